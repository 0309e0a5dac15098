"""/help: what the bot can do."""

from __future__ import annotations

from telegram import Update

from bot.commands import COMMANDS
from bot.context import TutorContext
from bot.handlers.render import show
from bot.views import common
from bot.views.screen import Screen


async def help_command(update: Update, context: TutorContext) -> None:
    await show(update, Screen(common.help_text(COMMANDS)))
