"""Putting a screen in front of the user: edit in place after a button, send otherwise.
The one send path for screens: `show` (the reply to an update), `send` and `edit` (a
message by its id: a quiz's next question, a streamed answer's last form).

A button press is answered by the dispatcher (bot/handlers/buttons.py), which opens a
`Press` around the handler: the button may ask for its screen in a new message, and a
press whose screen is already on show is not sent to Telegram at all (it would refuse the
edit as "message is not modified") but answered with the screen's `unchanged` toast.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Bot, MaybeInaccessibleMessage, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.transport.telegram_bot import TutorBot
from bot.views.screen import Displayed, Screen


@dataclass
class Press:
    """One button press being handled: how its screen is to be shown, and whether showing
    it found nothing to change (then `unchanged` is the toast to answer it with)."""

    new_message: bool = False
    unchanged: str | None = None


_press: ContextVar[Press | None] = ContextVar("press", default=None)


@contextmanager
def pressing(*, new_message: bool = False) -> Iterator[Press]:
    press = Press(new_message)
    token = _press.set(press)
    try:
        yield press
    finally:
        _press.reset(token)


async def show(update: Update, screen: Screen) -> int | None:
    """Returns the id of the message that shows the screen (None: no chat to show it in).
    The Bot API's reply is not turned into PTB objects (`TutorBot.post`)."""
    bot = update.get_bot()
    query = update.callback_query
    press = _press.get()
    if query is not None and query.message is not None:
        shown = query.message
        if press is not None and press.new_message:
            return await send(bot, shown.chat.id, screen, thread=_thread(shown))
        if _already_shown(screen, shown):
            _nothing_changed(press, screen)
            return shown.message_id
        try:
            await edit(bot, shown.chat.id, shown.message_id, screen)
        except BadRequest as exc:
            # The same update handled again (after a failure) edits what its first run
            # already edited: the message as the update carries it is older than the chat.
            if "not modified" not in exc.message.lower():
                raise
            _nothing_changed(press, screen)
        return shown.message_id
    message = update.effective_message
    if message is None:
        return None
    return await send(bot, message.chat.id, screen, thread=_thread(message))


NO_PREVIEW = {"is_disabled": True}  # LinkPreviewOptions, as JSON: sent raw


async def send(bot: Bot, chat_id: int, screen: Screen, *, thread: int | None = None) -> int:
    """A screen as a new message; returns its id (the rest of the reply is not read)."""
    sent = await _post(
        bot,
        "sendMessage",
        chat_id=chat_id,
        text=screen.text,
        parse_mode=ParseMode.HTML,
        reply_markup=screen.keyboard,
        link_preview_options=NO_PREVIEW,
        message_thread_id=thread,
    )
    return int(sent["message_id"])


async def edit(bot: Bot, chat_id: int, message_id: int, screen: Screen) -> None:
    """A message becomes the screen (its keyboard too: none if the screen has none)."""
    await _post(
        bot,
        "editMessageText",
        chat_id=chat_id,
        message_id=message_id,
        text=screen.text,
        parse_mode=ParseMode.HTML,
        reply_markup=screen.keyboard,
        link_preview_options=NO_PREVIEW,
    )


def _already_shown(screen: Screen, message: MaybeInaccessibleMessage) -> bool:
    """Whether editing `message` into `screen` would change nothing the user sees."""
    if isinstance(message, Message):  # PTB parsed the whole update
        shown: Mapping[str, Any] = message.to_dict()
    else:  # bot/transport/updates.py kept what it shows, raw
        shown = message.api_kwargs
    text = shown.get("text")
    if not isinstance(text, str):
        return False
    keyboard = (shown.get("reply_markup") or {}).get("inline_keyboard") or []
    return (
        keyboard == screen.rows
        and Displayed.of(text, shown.get("entities") or ()) == screen.displayed
    )


def _nothing_changed(press: Press | None, screen: Screen) -> None:
    if press is not None:
        press.unchanged = screen.unchanged


def _thread(message: MaybeInaccessibleMessage) -> int | None:
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


async def _post(bot: Bot, method: str, **params: Any) -> Any:
    assert isinstance(bot, TutorBot), "build_application gives every Application a TutorBot"
    return await bot.post(method, **params)
