"""Putting a screen in front of the user: edit in place after a button, send otherwise."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.views.screen import Screen


async def show(update: Update, screen: Screen) -> None:
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(
                screen.text,
                parse_mode=ParseMode.HTML,
                reply_markup=screen.markup,
                disable_web_page_preview=True,
            )
        except BadRequest as exc:
            # Pressing the button of the screen already shown changes nothing; that is fine.
            if "not modified" not in exc.message.lower():
                raise
        return
    if update.effective_message is not None:
        await update.effective_message.reply_html(
            screen.text, reply_markup=screen.markup, disable_web_page_preview=True
        )
