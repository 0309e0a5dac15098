"""Putting a screen in front of the user: edit in place after a button, send otherwise."""

from __future__ import annotations

from typing import Any

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.telegram_bot import TutorBot
from bot.views.screen import Screen


async def show(update: Update, screen: Screen) -> None:
    """The Bot API's reply (the message as edited or sent) is not needed here, so it is
    not turned into PTB objects (`TutorBot.post`)."""
    bot = update.get_bot()
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await _post(
                bot,
                "editMessageText",
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
                text=screen.text,
                parse_mode=ParseMode.HTML,
                reply_markup=screen.keyboard,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            # Pressing the button of the screen already shown changes nothing; that is fine.
            if "not modified" not in exc.message.lower():
                raise
        return
    message = update.effective_message
    if message is not None:
        await _post(
            bot,
            "sendMessage",
            chat_id=message.chat.id,
            text=screen.text,
            parse_mode=ParseMode.HTML,
            reply_markup=screen.keyboard,
            link_preview_options=NO_PREVIEW,
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )


NO_PREVIEW = {"is_disabled": True}  # LinkPreviewOptions, as JSON: sent raw


async def send(bot: Bot, chat_id: int, screen: Screen) -> None:
    """A screen as a new message, without reading the reply back."""
    await _post(
        bot,
        "sendMessage",
        chat_id=chat_id,
        text=screen.text,
        parse_mode=ParseMode.HTML,
        reply_markup=screen.keyboard,
        link_preview_options=NO_PREVIEW,
    )


async def _post(bot: Bot, method: str, **params: Any) -> None:
    assert isinstance(bot, TutorBot), "build_application gives every Application a TutorBot"
    await bot.post(method, **params)
