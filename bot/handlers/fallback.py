"""Everything no other handler wanted: a short, useful answer instead of silence or a crash."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import TutorContext

UNKNOWN_COMMAND = "Sorry, I don't know that command. /help lists what I can do."
NOT_TEXT = "I can only read text messages. Use the buttons, or /help."


async def unknown_command(update: Update, context: TutorContext) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(UNKNOWN_COMMAND)


async def not_text(update: Update, context: TutorContext) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(NOT_TEXT)


async def group_command(update: Update, context: TutorContext) -> None:
    """Lessons are personal: in a group, point people to a private chat instead."""
    if update.effective_message is None:
        return
    url = f"https://t.me/{context.bot.username}"
    await update.effective_message.reply_text(
        "I teach in private chats — tap below to start.",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Open a private chat", url=url)]]),
    )
