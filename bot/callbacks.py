"""Callback data: a compact, strictly parsed codec (Telegram allows 1-64 bytes).

The server never trusts what comes back: decoding only proves the shape; every use case
re-checks ownership and state. Course ids (UUIDs) travel as 22 base64url characters.

Each button's payload is a small frozen dataclass declared with `@payload(code, name)`:
its fields, in order, are the layout; each field's type says how it travels. Format: the
code, then the fields separated by ':' — e.g. `t:<course>:1:2:0`. A `+` before the code
asks for the screen in a new message instead of in place of the pressed one. A second
payload with the same code or name fails at import, i.e. at start-up.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, ClassVar, TypeVar, dataclass_transform, get_type_hints
from uuid import UUID

from domain.goals import GoalKind
from domain.personas import Persona

MAX_BYTES = 64


class ForgedCallback(ValueError):
    """The data does not parse: stale from an old version, or made up."""


class DuplicateButton(ValueError):
    """Two payloads (or two handlers) claim the same button: one would silently win."""


@dataclass(frozen=True)
class Wire:
    """How one field travels: the text it must match, and the conversions both ways."""

    pattern: re.Pattern[str]
    parse: Callable[[str], Any]
    format: Callable[[Any], str]


def _digits(most: int) -> Wire:
    pattern = r"\d" if most == 1 else rf"\d{{1,{most}}}"
    return Wire(re.compile(pattern), int, lambda value: str(int(value)))


def _uuid_text(value: UUID) -> str:
    return base64.urlsafe_b64encode(value.bytes).decode().rstrip("=")


def _uuid_of(text: str) -> UUID:
    return UUID(bytes=base64.urlsafe_b64decode(text + "=="))


_PERSONA_CODES = {
    "n": Persona.NORMAL,
    "s": Persona.SPORTS,
    "c": Persona.COOKING,
    "a": Persona.ADVENTURE,
}
_PERSONA_LETTERS = {v: k for k, v in _PERSONA_CODES.items()}

# The field types payloads are made of.
Id = Annotated[UUID, Wire(re.compile(r"[A-Za-z0-9_-]{22}"), _uuid_of, _uuid_text)]
Number = Annotated[int, _digits(4)]  # a module, topic, page or question number
Option = Annotated[int, _digits(1)]  # the index of an answer option
Mask = Annotated[int, _digits(2)]  # a bit mask of ticked options
Serial = Annotated[int, _digits(19)]  # a row's bigserial id (a note)
PersonaCode = Annotated[
    Persona, Wire(re.compile("[ncsa]"), _PERSONA_CODES.__getitem__, _PERSONA_LETTERS.__getitem__)
]
Letter = Annotated[str, Wire(re.compile("[pua]"), str, str)]
_GOAL_KINDS = {kind.value[0]: kind for kind in GoalKind}  # t(opics), r(eviews), m(inutes)
GoalKindCode = Annotated[
    GoalKind, Wire(re.compile("[trm]"), _GOAL_KINDS.__getitem__, lambda kind: kind.value[0])
]


@dataclass(frozen=True, slots=True)
class Payload:
    """A decoded button press. Subclasses are declared with `@payload`."""

    CODE: ClassVar[str]
    NAME: ClassVar[str]
    LAYOUT: ClassVar[tuple[tuple[str, Wire], ...]]

    new_message: bool = field(default=False, kw_only=True)  # show below, keep the pressed


P = TypeVar("P", bound=Payload)

_BY_CODE: dict[str, type[Payload]] = {}
_BY_NAME: dict[str, type[Payload]] = {}


@dataclass_transform(frozen_default=True)
def payload(code: str, name: str) -> Callable[[type[P]], type[P]]:
    """Declare a button's payload: `code` on the wire, `name` for views (`action`)."""

    def declare(cls: type[P]) -> type[P]:
        if not re.fullmatch(r"[a-z]{1,3}", code):
            raise ValueError(f"a button code is 1-3 lowercase letters, not {code!r}")
        if code in _BY_CODE or name in _BY_NAME:
            raise DuplicateButton(f"a button {name!r} or with code {code!r} exists already")
        declared = dataclass(frozen=True, slots=True)(cls)
        hints = get_type_hints(declared, include_extras=True)
        layout = []
        for f in fields(declared):
            if f.name == "new_message":
                continue
            [wire] = [m for m in getattr(hints[f.name], "__metadata__", ()) if isinstance(m, Wire)]
            layout.append((f.name, wire))
        declared.CODE, declared.NAME, declared.LAYOUT = code, name, tuple(layout)
        _BY_CODE[code] = _BY_NAME[name] = declared
        return declared

    return declare


@payload("h", "home")
class Home(Payload):
    pass


@payload("cat", "catalog")
class Catalog(Payload):
    pass


@payload("cg", "catalog_page")
class CatalogPage(Payload):
    page: Number
    level: Option  # 1-based in the levels offered, 0: all
    category: Number  # 1-based in the categories offered, 0: all


@payload("pr", "progress")
class Progress(Payload):
    pass


@payload("x", "noop")
class Noop(Payload):
    """A label-only button."""


@payload("c", "course")
class CourseCard(Payload):
    course: Id


@payload("e", "enroll")
class Enroll(Payload):
    course: Id


@payload("lp", "path")
class PathCard(Payload):
    path: Id


@payload("m", "course_menu")
class CourseMenu(Payload):
    course: Id


@payload("pm", "persona_menu")
class PersonaMenu(Payload):
    course: Id


@payload("p", "persona")
class ChoosePersona(Payload):
    course: Id
    persona: PersonaCode


@payload("md", "module")
class Module(Payload):
    course: Id
    module: Number


@payload("t", "topic")
class Topic(Payload):
    course: Id
    module: Number
    topic: Number
    page: Number = 0


@payload("tc", "complete")
class Complete(Payload):
    course: Id
    module: Number
    topic: Number


@payload("tn", "complete_next")
class CompleteNext(Payload):
    """Complete the topic, then open the next one."""

    course: Id
    module: Number
    topic: Number


# Quizzes. An answer carries only the index of the option pressed (or, for a
# multiple-choice question, the bit mask of the options ticked): never correctness.
@payload("qi", "quiz")
class QuizIntro(Payload):
    course: Id
    module: Number


@payload("qb", "quiz_start")
class QuizStart(Payload):
    course: Id
    module: Number


@payload("qa", "quiz_answer")
class QuizAnswer(Payload):
    attempt: Id
    question: Number
    option: Option


@payload("qt", "quiz_toggle")
class QuizToggle(Payload):
    attempt: Id
    question: Number
    mask: Mask


@payload("qs", "quiz_submit")
class QuizSubmit(Payload):
    attempt: Id
    question: Number
    mask: Mask


@payload("qr", "quiz_resume")
class QuizResume(Payload):
    attempt: Id


@payload("qx", "quiz_abandon")
class QuizAbandon(Payload):
    attempt: Id


@payload("qxy", "quiz_abandon_confirm")
class QuizAbandonConfirm(Payload):
    attempt: Id


# Asking the tutor: a hint on how to ask about a topic; a curated suggestion.
@payload("ak", "ask")
class AskHint(Payload):
    course: Id
    module: Number
    topic: Number


@payload("sg", "suggestion")
class Suggestion(Payload):
    suggestion: Id


# Staff: confirming or cancelling a broadcast draft; publishing, unpublishing, archiving.
@payload("bc", "broadcast_send")
class BroadcastSend(Payload):
    broadcast: Id


@payload("bx", "broadcast_cancel")
class BroadcastCancel(Payload):
    broadcast: Id


@payload("ca", "course_visibility")
class CourseVisibility(Payload):
    course: Id
    op: Letter  # p(ublish), u(npublish), a(rchive)


# Notes and bookmarks (a topic's notes screen, its bookmark toggle, the lists).
@payload("nt", "topic_notes")
class TopicNotes(Payload):
    course: Id
    module: Number
    topic: Number


@payload("bk", "bookmark")
class Bookmark(Payload):
    course: Id
    module: Number
    topic: Number


@payload("nd", "note_delete")
class DeleteNote(Payload):
    note: Serial


@payload("nl", "notes")
class Notes(Payload):
    pass


@payload("bl", "bookmarks")
class Bookmarks(Payload):
    pass


# Reminders: under a reminder (snooze, stop) and on /remind's screen.
@payload("mz", "remind_snooze")
class RemindSnooze(Payload):
    pass


@payload("ms", "remind_stop")
class RemindStop(Payload):
    pass


@payload("mu", "remind_usual")
class RemindUsual(Payload):
    pass


@payload("ma", "remind_at")
class RemindAt(Payload):
    minute: Number  # of the day, 0-1439


# Daily goals: the /goal screen, picking a goal, turning it off, dropping a target date.
@payload("gl", "goal")
class Goal(Payload):
    pass


@payload("gs", "goal_set")
class SetGoal(Payload):
    kind: GoalKindCode
    target: Number


@payload("go", "goal_off")
class GoalOff(Payload):
    pass


@payload("gx", "target_drop")
class DropTarget(Payload):
    course: Id


# /deleteme: confirming or cancelling the pending erasure request it names.
# Spaced review: start a session, answer a card asked with buttons, put it off, stop.
@payload("rv", "review")
class Review(Payload):
    pass


@payload("ra", "review_answer")
class ReviewAnswer(Payload):
    ask: Serial
    option: Option


@payload("rt", "review_toggle")
class ReviewToggle(Payload):
    ask: Serial
    mask: Mask


@payload("rs", "review_submit")
class ReviewSubmit(Payload):
    ask: Serial
    mask: Mask


@payload("rl", "review_later")
class ReviewLater(Payload):
    ask: Serial


@payload("rx", "review_stop")
class ReviewStop(Payload):
    pass


# Course ratings: a course's rating screen, a rating given, what learners say.
@payload("sc", "rate_menu")
class RateMenu(Payload):
    course: Id


@payload("sv", "rate")
class Rate(Payload):
    course: Id
    stars: Option


@payload("sl", "course_reviews")
class CourseReviews(Payload):
    course: Id


# Certificates: resend one of the learner's certificates (its code).
Code = Annotated[str, Wire(re.compile(r"[A-Za-z0-9_-]{16,32}"), str, str)]


@payload("cz", "certificate_resend")
class CertificateResend(Payload):
    code: Code


@payload("ey", "erase_confirm")
class EraseConfirm(Payload):
    request: Id


@payload("en", "erase_cancel")
class EraseCancel(Payload):
    request: Id


# Awaited text (domain.inputs): stop waiting for the input of this kind.
Kind = Annotated[str, Wire(re.compile(r"[a-z_]{1,24}"), str, str)]


@payload("ic", "input_cancel")
class CancelInput(Payload):
    kind: Kind


# Asking a human tutor (domain.help_requests): module and topic 0 when not from a topic.
@payload("hk", "help_ask")
class HelpAsk(Payload):
    course: Id
    module: Number
    topic: Number


@payload("hw", "help_write")
class HelpWrite(Payload):
    course: Id
    module: Number
    topic: Number


@payload("hs", "help_send")
class HelpSend(Payload):
    course: Id


@payload("hb", "help_reply")
class HelpReply(Payload):
    request: Serial


@payload("hx", "help_resolve")
class HelpResolve(Payload):
    request: Serial


@payload("hv", "help_rate")
class HelpRate(Payload):
    request: Serial
    stars: Option


@payload("hc", "help_claim")
class HelpClaim(Payload):
    request: Serial


@payload("hd", "help_draft")
class HelpDraft(Payload):
    request: Serial


@payload("hf", "help_send_draft")
class HelpSendDraft(Payload):
    request: Serial


# Cohorts (bot/handlers/cohorts.py): every code starts with "k".
@payload("km", "my_cohorts")
class MyCohorts(Payload):
    pass


@payload("kl", "cohort_leave")
class CohortLeave(Payload):
    cohort: Id


@payload("kc", "cohort_leave_confirm")
class CohortLeaveConfirm(Payload):
    cohort: Id


def encode(pressed: Payload) -> str:
    parts = ["+" + pressed.CODE if pressed.new_message else pressed.CODE]
    for name, wire in pressed.LAYOUT:
        parts.append(wire.format(getattr(pressed, name)))
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data}")
    return data


def decode(data: str | None) -> Payload:
    if not data or len(data.encode()) > MAX_BYTES:
        raise ForgedCallback("empty or oversized")
    code, *values = data.split(":")
    new_message = code.startswith("+")
    kind = _BY_CODE.get(code[1:] if new_message else code)
    if kind is None or len(values) != len(kind.LAYOUT):
        raise ForgedCallback(f"unknown action {code!r}")
    parsed = []
    for (name, wire), value in zip(kind.LAYOUT, values, strict=True):
        if wire.pattern.fullmatch(value) is None:
            raise ForgedCallback(f"bad {name}")
        parsed.append(wire.parse(value))
    return kind(*parsed, new_message=new_message)


def named(name: str) -> type[Payload]:
    """The payload of the button called `name` (KeyError: there is none)."""
    return _BY_NAME[name]


def action(name: str, **fields: Any) -> str:
    """Shorthand for views: `action("topic", course=id, module=1, topic=2)`."""
    return encode(_BY_NAME[name](**fields))
