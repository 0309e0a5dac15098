"""The callback-data codec: compact, round-trips, and refuses anything it did not make."""

from __future__ import annotations

import uuid

import pytest

from bot import callbacks as press
from bot.callbacks import MAX_BYTES, DuplicateButton, ForgedCallback, Payload, decode, encode
from domain.goals import GoalKind
from domain.personas import Persona

COURSE = uuid.UUID("b030a980-3d02-413c-a872-9a92ebc224e8")
ATTEMPT = uuid.UUID("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b")
BIGGEST = 2**63 - 1  # a bigserial id at its largest

# Every button, with the largest values its fields allow.
EVERY_PAYLOAD: list[Payload] = [
    press.RemindSnooze(),
    press.RemindStop(),
    press.RemindUsual(),
    press.RemindAt(1439),
    press.Home(),
    press.PathCard(uuid.UUID(int=2**128 - 1)),
    press.Catalog(),
    press.CatalogPage(9999, 9, 9999),
    press.Progress(),
    press.Noop(),
    press.CourseCard(COURSE),
    press.Enroll(COURSE),
    press.CourseMenu(COURSE),
    press.PersonaMenu(COURSE),
    press.ChoosePersona(COURSE, Persona.ADVENTURE),
    press.Module(COURSE, 12),
    press.Topic(COURSE, 9999, 9999, 9999),
    press.Complete(COURSE, 3, 4),
    press.CompleteNext(COURSE, 9999, 9999),
    press.QuizIntro(COURSE, 9999),
    press.QuizStart(COURSE, 9999),
    press.QuizAnswer(ATTEMPT, 9999, 9),
    press.QuizToggle(ATTEMPT, 9999, 63),
    press.QuizSubmit(ATTEMPT, 9999, 63),
    press.QuizResume(ATTEMPT),
    press.QuizAbandon(ATTEMPT),
    press.QuizAbandonConfirm(ATTEMPT),
    press.AskHint(COURSE, 9999, 9999),
    press.Suggestion(ATTEMPT),
    press.BroadcastSend(ATTEMPT),
    press.BroadcastCancel(ATTEMPT),
    press.CourseVisibility(COURSE, "a"),
    press.EraseConfirm(ATTEMPT),
    press.EraseCancel(ATTEMPT),
    press.CancelInput("x" * 24),
    press.HelpAsk(COURSE, 9999, 9999),
    press.HelpWrite(COURSE, 9999, 9999),
    press.HelpSend(COURSE),
    press.HelpReply(BIGGEST),
    press.HelpResolve(BIGGEST),
    press.HelpRate(BIGGEST, 5),
    press.HelpClaim(BIGGEST),
    press.HelpDraft(BIGGEST),
    press.HelpSendDraft(BIGGEST),
    press.TopicNotes(COURSE, 9999, 9999),
    press.Bookmark(COURSE, 9999, 9999),
    press.DeleteNote(2**63 - 1),
    press.Notes(),
    press.Bookmarks(),
    press.RateMenu(COURSE),
    press.Rate(COURSE, 5),
    press.CourseReviews(COURSE),
    press.CertificateResend("A" * 32),
    press.MyCohorts(),
    press.CohortLeave(uuid.UUID(int=2**128 - 1)),
    press.CohortLeaveConfirm(uuid.UUID(int=2**128 - 1)),
    press.Review(),
    press.ReviewAnswer(2**63 - 1, 9),
    press.ReviewToggle(2**63 - 1, 63),
    press.ReviewSubmit(2**63 - 1, 63),
    press.ReviewLater(2**63 - 1),
    press.ReviewStop(),
    press.Goal(),
    press.SetGoal(GoalKind.MINUTES, 9999),
    press.GoalOff(),
    press.DropTarget(COURSE),
]


@pytest.mark.parametrize("pressed", EVERY_PAYLOAD, ids=lambda p: p.NAME)
def test_every_button_round_trips_within_telegrams_limit(pressed: Payload) -> None:
    data = encode(pressed)
    assert 1 <= len(data.encode()) <= MAX_BYTES
    assert decode(data) == pressed
    assert decode("+" + data) == type(pressed)(*_values(pressed), new_message=True)


def test_the_list_above_names_every_button() -> None:
    assert {type(p) for p in EVERY_PAYLOAD} == set(press._BY_CODE.values())


@pytest.mark.parametrize(
    ("data", "pressed"),
    [
        # Callback data sent by earlier versions of the bot still decodes the same.
        ("h", press.Home()),
        ("x", press.Noop()),
        ("t:sDCpgD0CQTyocpqS68Ik6A:1:2:0", press.Topic(COURSE, 1, 2, 0)),
        ("+t:sDCpgD0CQTyocpqS68Ik6A:1:2:3", press.Topic(COURSE, 1, 2, 3, new_message=True)),
        ("p:sDCpgD0CQTyocpqS68Ik6A:c", press.ChoosePersona(COURSE, Persona.COOKING)),
        ("qs:bxwqO01eT2CKe5wNHi86Sw:0:5", press.QuizSubmit(ATTEMPT, 0, 5)),
        ("qxy:bxwqO01eT2CKe5wNHi86Sw", press.QuizAbandonConfirm(ATTEMPT)),
        ("ca:sDCpgD0CQTyocpqS68Ik6A:u", press.CourseVisibility(COURSE, "u")),
    ],
)
def test_the_wire_format_is_unchanged(data: str, pressed: Payload) -> None:
    assert decode(data) == pressed
    assert encode(pressed) == data


def test_views_name_buttons_by_their_name() -> None:
    assert press.action("topic", course=COURSE, module=1, topic=2, page=0) == encode(
        press.Topic(COURSE, 1, 2, 0)
    )
    assert press.action("persona", course=COURSE, persona="sports").endswith(":s")


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
        "qa:" + "A" * 22 + ":0:10",
        "ca:" + "A" * 22 + ":x",
        "++h",
    ],
)
def test_anything_else_is_refused(data: str | None) -> None:
    with pytest.raises(ForgedCallback):
        decode(data)


def test_a_second_button_with_a_taken_code_or_name_fails_when_declared() -> None:
    with pytest.raises(DuplicateButton):

        @press.payload("t", "another_topic")
        class AnotherTopic(Payload):
            course: press.Id

    with pytest.raises(DuplicateButton):

        @press.payload("zz", "topic")
        class SameName(Payload):
            pass

    assert decode("t:sDCpgD0CQTyocpqS68Ik6A:1:2:0") == press.Topic(COURSE, 1, 2, 0)


def _values(pressed: Payload) -> list[object]:
    return [getattr(pressed, name) for name, _ in pressed.LAYOUT]
