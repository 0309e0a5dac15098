"""Callback data: a compact, strictly parsed codec (Telegram allows 1-64 bytes).

The server never trusts what comes back: decoding only proves the shape; every use case
re-checks ownership and state. Course ids (UUIDs) travel as 22 base64url characters.

Format: an action code, then fields separated by ':' — e.g. `t:<course>:1:2:0`. A `+`
before the code asks for the screen in a new message instead of in place of the pressed one.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from uuid import UUID

from domain.personas import Persona

MAX_BYTES = 64
_UUID_RE = r"[A-Za-z0-9_-]{22}"
_INT_RE = r"\d{1,4}"


class ForgedCallback(ValueError):
    """The data does not parse: stale from an old version, or made up."""


@dataclass(frozen=True)
class Action:
    """A decoded button press: `name` plus the typed fields it carries."""

    name: str
    course: UUID | None = None
    module: int | None = None
    topic: int | None = None
    page: int = 0
    persona: Persona | None = None
    attempt: UUID | None = None
    question: int | None = None
    option: int | None = None
    mask: int | None = None
    suggestion: UUID | None = None
    broadcast: UUID | None = None
    op: str | None = None
    request: UUID | None = None
    new_message: bool = False  # show the screen below, keep the message pressed on


_PERSONA_CODES = {
    "n": Persona.NORMAL,
    "s": Persona.SPORTS,
    "c": Persona.COOKING,
    "a": Persona.ADVENTURE,
}
_PERSONA_LETTERS = {v: k for k, v in _PERSONA_CODES.items()}

# code -> (action name, field layout)
_LAYOUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "h": ("home", ()),
    "cat": ("catalog", ()),
    "pr": ("progress", ()),
    "x": ("noop", ()),
    "c": ("course", ("course",)),
    "e": ("enroll", ("course",)),
    "m": ("course_menu", ("course",)),
    "pm": ("persona_menu", ("course",)),
    "p": ("persona", ("course", "persona")),
    "md": ("module", ("course", "module")),
    "t": ("topic", ("course", "module", "topic", "page")),
    "tc": ("complete", ("course", "module", "topic")),
    "tn": ("complete_next", ("course", "module", "topic")),  # complete, then the next topic
    # Quizzes. An answer carries only the index of the option pressed (or, for a
    # multiple-choice question, the bit mask of the options ticked): never correctness.
    "qi": ("quiz", ("course", "module")),
    "qb": ("quiz_start", ("course", "module")),
    "qa": ("quiz_answer", ("attempt", "question", "option")),
    "qt": ("quiz_toggle", ("attempt", "question", "mask")),
    "qs": ("quiz_submit", ("attempt", "question", "mask")),
    "qr": ("quiz_resume", ("attempt",)),
    "qx": ("quiz_abandon", ("attempt",)),
    "qxy": ("quiz_abandon_confirm", ("attempt",)),
    # Asking the tutor: a hint on how to ask about a topic; a curated suggestion.
    "ak": ("ask", ("course", "module", "topic")),
    "sg": ("suggestion", ("suggestion",)),
    # Staff: confirming or cancelling a broadcast draft.
    "bc": ("broadcast_send", ("broadcast",)),
    "bx": ("broadcast_cancel", ("broadcast",)),
    "ca": ("course_visibility", ("course", "op")),
    # /deleteme: confirming or cancelling the pending erasure request it names.
    "ey": ("erase_confirm", ("request",)),
    "en": ("erase_cancel", ("request",)),
}
_UUID_FIELDS = ("course", "attempt", "suggestion", "broadcast", "request")
_CODES = {name: code for code, (name, _) in _LAYOUTS.items()}
_FIELD_RE = {
    "course": _UUID_RE,
    "module": _INT_RE,
    "topic": _INT_RE,
    "page": _INT_RE,
    "persona": "[ncsa]",
    "attempt": _UUID_RE,
    "question": _INT_RE,
    "option": r"\d",
    "mask": r"\d{1,2}",
    "suggestion": _UUID_RE,
    "broadcast": _UUID_RE,
    "op": "[pua]",
    "request": _UUID_RE,
}
_TEXT_FIELDS = ("op",)


def encode(action: Action) -> str:
    code = _CODES[action.name]
    parts = [("+" if action.new_message else "") + code]
    for field in _LAYOUTS[code][1]:
        value = getattr(action, field)
        if field in _UUID_FIELDS:
            parts.append(base64.urlsafe_b64encode(value.bytes).decode().rstrip("="))
        elif field == "persona":
            parts.append(_PERSONA_LETTERS[value])
        elif field in _TEXT_FIELDS:
            parts.append(str(value))
        else:
            parts.append(str(int(value)))
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data}")
    return data


def decode(data: str | None) -> Action:
    if not data or len(data.encode()) > MAX_BYTES:
        raise ForgedCallback("empty or oversized")
    code, *values = data.split(":")
    new_message = code.startswith("+")
    layout = _LAYOUTS.get(code.removeprefix("+"))
    if layout is None or len(values) != len(layout[1]):
        raise ForgedCallback(f"unknown action {code!r}")
    name, fields = layout
    parsed: dict[str, object] = {}
    for field, value in zip(fields, values, strict=True):
        if not re.fullmatch(_FIELD_RE[field], value):
            raise ForgedCallback(f"bad {field}")
        if field in _UUID_FIELDS:
            parsed[field] = UUID(bytes=base64.urlsafe_b64decode(value + "=="))
        elif field == "persona":
            parsed[field] = _PERSONA_CODES[value]
        elif field in _TEXT_FIELDS:
            parsed[field] = value
        else:
            parsed[field] = int(value)
    return Action(name, **parsed, new_message=new_message)  # type: ignore[arg-type]


def action(name: str, **fields: object) -> str:
    """Shorthand for views: `action("topic", course=id, module=1, topic=2)`."""
    return encode(Action(name, **fields))  # type: ignore[arg-type]
