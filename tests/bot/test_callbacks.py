"""The callback-data codec: compact, round-trips, and refuses anything it did not make."""

from __future__ import annotations

import uuid

import pytest

from bot.callbacks import MAX_BYTES, Action, ForgedCallback, decode, encode
from domain.personas import Persona

COURSE = uuid.UUID("b030a980-3d02-413c-a872-9a92ebc224e8")

EVERY_ACTION = [
    Action("home"),
    Action("catalog"),
    Action("progress"),
    Action("noop"),
    Action("course", COURSE),
    Action("enroll", COURSE),
    Action("course_menu", COURSE),
    Action("persona_menu", COURSE),
    Action("persona", COURSE, persona=Persona.ADVENTURE),
    Action("module", COURSE, module=12),
    Action("topic", COURSE, module=9999, topic=9999, page=9999),
    Action("complete", COURSE, module=3, topic=4),
]


@pytest.mark.parametrize("pressed", EVERY_ACTION, ids=lambda a: a.name)
def test_every_action_round_trips_within_telegrams_limit(pressed: Action) -> None:
    data = encode(pressed)
    assert 1 <= len(data.encode()) <= MAX_BYTES
    assert decode(data) == pressed


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "??",
        "t",
        "t:x:1:1:0",
        "md:" + "A" * 22,
        "md:" + "A" * 22 + ":-1",
        "md:" + "A" * 22 + ":1:2",
        "p:" + "A" * 22 + ":z",
        "h:extra",
        "é" * 40,
        "t:" + "A" * 22 + ":99999:1:0",
    ],
)
def test_anything_else_is_refused(data: str | None) -> None:
    with pytest.raises(ForgedCallback):
        decode(data)
