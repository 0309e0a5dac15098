"""/start and /help."""

from __future__ import annotations

from telegram import Update

from bot.commands import COMMANDS
from bot.context import TutorContext
from bot.handlers.profile import profile_of
from bot.views import common


async def start(update: Update, context: TutorContext) -> None:
    if update.effective_user is None or update.effective_message is None:
        return
    user = await context.services.users.register(profile_of(update.effective_user))
    await update.effective_message.reply_html(common.greeting(user))


async def help_command(update: Update, context: TutorContext) -> None:
    if update.effective_message is None:
        return
    await update.effective_message.reply_html(common.help_text(COMMANDS))
