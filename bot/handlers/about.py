"""/help: what the bot can do."""

from __future__ import annotations

from telegram import Update

from bot.commands import COMMANDS
from bot.context import TutorContext
from bot.views import common


async def help_command(update: Update, context: TutorContext) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_html(common.help_text(COMMANDS))
