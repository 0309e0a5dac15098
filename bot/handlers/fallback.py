"""Everything no other handler wanted: a short, useful answer instead of silence or a crash."""

from __future__ import annotations

from telegram import Update

from bot.context import TutorContext
from bot.handlers.render import show
from bot.views.screen import Screen, link, plain

UNKNOWN_COMMAND = "Sorry, I don't know that command. /help lists what I can do."
NOT_TEXT = "I can only read text messages. Use the buttons, or /help."


async def unknown_command(update: Update, context: TutorContext) -> None:
    await show(update, plain(UNKNOWN_COMMAND))


async def not_text(update: Update, context: TutorContext) -> None:
    await show(update, plain(NOT_TEXT))


async def group_command(update: Update, context: TutorContext) -> None:
    """Lessons are personal: in a group, point people to a private chat instead."""
    url = f"https://t.me/{context.bot.username}"
    await show(
        update,
        Screen(
            "I teach in private chats — tap below to start.",
            [[link("Open a private chat", url)]],
        ),
    )
