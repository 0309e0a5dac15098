"""Stored update JSON as PTB objects, for the Application to dispatch.

Telegram sends the pressed button's whole message back with every press: its text, its
formatting, its keyboard. PTB turns that into a `Message` of some 150 attributes (its parse
of a press took ~0.27 ms, ~0.1 ms this way), while no handler reads more of it than where
it is: its chat and its id (and, for rendering, what it shows). So a press is built around a
`MaybeInaccessibleMessage` (PTB's own base class of `Message`, carrying just those) and
everything else goes through PTB's `Update.de_json` unchanged. The stored update is
untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import Bot, CallbackQuery, Chat, MaybeInaccessibleMessage, Update, User

_PRESS_FIELDS = frozenset(
    {"id", "from", "message", "chat_instance", "data", "inline_message_id", "game_short_name"}
)

# The parts of the pressed message that say what it shows (bot/handlers/render.py).
_SHOWN_FIELDS = ("text", "entities", "reply_markup")


def parse_update(payload: dict[str, Any], bot: Bot) -> Update:
    query = payload.get("callback_query")
    if len(payload) == 2 and isinstance(query, dict):
        try:
            press = _press(query, bot)
        except (KeyError, TypeError, ValueError):
            press = None  # a shape PTB should judge: it gets the whole update
        if press is not None:
            update = Update(payload["update_id"], callback_query=press)
            update.set_bot(bot)
            return update
    return Update.de_json(payload, bot)


def _press(query: dict[str, Any], bot: Bot) -> CallbackQuery | None:
    message = query.get("message")
    if not isinstance(message, dict) or not message.get("date"):
        return None  # an inline message's press, or an inaccessible message: PTB's to judge
    if not query.keys() <= _PRESS_FIELDS:
        return None  # fields newer than ours: PTB keeps them in api_kwargs
    where = MaybeInaccessibleMessage(
        chat=Chat.de_json(message["chat"], bot),
        message_id=int(message["message_id"]),
        date=datetime.fromtimestamp(message["date"], UTC),
        # What the message shows, kept raw: rendering compares a new screen with it.
        api_kwargs={key: message[key] for key in _SHOWN_FIELDS if key in message},
    )
    where.set_bot(bot)
    press = CallbackQuery(
        id=str(query["id"]),
        from_user=User.de_json(query["from"], bot),
        chat_instance=str(query["chat_instance"]),
        message=where,
        data=query.get("data"),
        inline_message_id=query.get("inline_message_id"),
        game_short_name=query.get("game_short_name"),
    )
    press.set_bot(bot)
    return press
