"""Parsing stored updates: a press is built around where its message is, everything else
is PTB's own parse, and what handlers read is the same either way."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from telegram import Bot, Message, Update

from bot.transport.updates import parse_update

BOT = Bot("123:token")


def press(**changes: Any) -> dict[str, Any]:
    update = {
        "update_id": 9,
        "callback_query": {
            "id": "4242",
            "from": {"id": 42, "is_bot": False, "first_name": "Ada", "language_code": "en"},
            "chat_instance": "-77",
            "data": "t:0f:1:2:0",
            "message": {
                "message_id": 7,
                "from": {"id": 123, "is_bot": True, "first_name": "Tutor"},
                "chat": {"id": 42, "type": "private", "first_name": "Ada"},
                "date": 1_700_000_000,
                "text": "<b>1.2 Data</b> " + "x" * 2000,
                "entities": [{"type": "bold", "offset": 0, "length": 8}],
                "reply_markup": {"inline_keyboard": [[{"text": "Next ➡", "callback_data": "n"}]]},
            },
        },
    }
    update["callback_query"].update(changes)
    return update


def test_a_press_carries_what_handlers_read_and_not_the_pressed_message() -> None:
    stored = press()
    before = copy.deepcopy(stored)

    cheap = parse_update(stored, BOT)
    full = Update.de_json(copy.deepcopy(stored), BOT)

    assert stored == before, "the stored update is not touched"
    query, expected = cheap.callback_query, full.callback_query
    assert query is not None and expected is not None and query.message is not None
    assert (cheap.update_id, query.id, query.data, query.chat_instance) == (
        9,
        expected.id,
        expected.data,
        expected.chat_instance,
    )
    assert query.from_user == expected.from_user and cheap.effective_user == full.effective_user
    assert (query.message.chat, query.message.message_id) == (full.effective_chat, 7)
    assert not isinstance(query.message, Message), "no text, keyboard or formatting parsed"
    assert query.get_bot() is BOT and query.message.get_bot() is BOT


@pytest.mark.parametrize(
    "changes",
    [
        {"message": None, "inline_message_id": "AAQ"},  # a button under an inline message
        {"message": {"message_id": 7, "chat": {"id": 42, "type": "private"}, "date": 0}},
        {"newer_field": {"x": 1}},  # a field this code does not know: PTB keeps it
    ],
    ids=["inline message", "inaccessible message", "unknown field"],
)
def test_any_other_press_is_parsed_by_ptb_itself(changes: dict[str, Any]) -> None:
    stored = press(**changes)
    if stored["callback_query"]["message"] is None:
        del stored["callback_query"]["message"]

    parsed = parse_update(stored, BOT)

    assert parsed.callback_query == Update.de_json(copy.deepcopy(stored), BOT).callback_query
    assert parsed.to_dict() == Update.de_json(copy.deepcopy(stored), BOT).to_dict()


def test_a_message_is_parsed_by_ptb_itself() -> None:
    stored = {
        "update_id": 10,
        "message": {
            "message_id": 8,
            "from": {"id": 42, "is_bot": False, "first_name": "Ada"},
            "chat": {"id": 42, "type": "private"},
            "date": 1_700_000_000,
            "text": "/progress",
            "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
        },
    }

    assert parse_update(stored, BOT).to_dict() == Update.de_json(stored, BOT).to_dict()
