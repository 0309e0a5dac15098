"""Refusals in words: every domain `Reason` has its own wording in bot/views/refusals.py,
with the facts the refusal carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from bot.views.refusals import NOT_ALLOWED, refusal_text
from domain.admin import Invalid, NotAllowed
from domain.errors import (
    AccessDenied,
    AnswerRejected,
    BadTime,
    CertificateRefused,
    HelpRefused,
    ModuleLocked,
    NotEnrolled,
    NoteRefused,
    NotFound,
    PersonaUnavailable,
    PrerequisitesMissing,
    QuizUnavailable,
    RatingRefused,
    Reason,
    TargetRefused,
)
from domain.learning.model import Prerequisite
from domain.personas import Persona
from domain.quiz.model import Gate, QuizStatus
from domain.tutor import AskContext, QuotaExhausted
from tests.domain.test_quiz import record

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
MODULE_2 = record(module_no=2, topics_completed=1)


def gated(*names: str) -> PrerequisitesMissing:
    return PrerequisitesMissing(
        "Advanced tea", tuple(Prerequisite(uuid4(), "x", n, False) for n in names)
    )


def closed(gate: Gate, reopens_at: datetime | None = None) -> QuizUnavailable:
    return QuizUnavailable(QuizStatus(MODULE_2, gate, reopens_at))


def quota() -> QuotaExhausted:
    context = AskContext(
        user_id=42,
        course_id=uuid4(),
        course_slug="tiny",
        course_name="Tea basics",
        module_no=2,
        module_title="Brewing",
        max_module=2,
        persona=Persona.NORMAL,
        quota=5,
        used=5,
        topic_titles={},
    )
    return QuotaExhausted(context)


@pytest.mark.parametrize(
    ("refused", "text"),
    [
        (NotEnrolled(), "You are not enrolled in this course. Open it from /courses."),
        (NotEnrolled(Reason.SUSPENDED), "Your enrollment in this course is suspended."),
        (NotFound(Reason.TOPIC_GONE), "That topic does not exist (any more)."),
        (ModuleLocked(3), "Module 3 is locked: pass the Module 2 quiz to unlock it."),
        (PersonaUnavailable("Tea basics", "sports"), "Tea basics has no sports version yet."),
        (
            gated("Tea basics"),
            "Advanced tea needs Tea basics completed first: finish it, then enrol.",
        ),
        (
            gated("Tea basics", "Brewing"),
            "Advanced tea needs Tea basics, Brewing completed first: finish them, then enrol.",
        ),
        (AnswerRejected(Reason.PICK_ONE), "Pick exactly one option."),
        (QuizUnavailable(), "The quiz is busy starting elsewhere; please try again."),
        (closed(Gate.NO_QUIZ), "Module 2 has no quiz."),
        (closed(Gate.MODULE_LOCKED), "Module 2 is locked: pass the Module 1 quiz first."),
        (closed(Gate.PASSED), "You already passed the Module 2 quiz."),
        (closed(Gate.TOPICS_PENDING), "Finish the topics of Module 2 first (1/2 done)."),
        (
            closed(Gate.NO_ATTEMPTS_LEFT),
            "No attempts left for the Module 2 quiz; please ask a tutor for more.",
        ),
        (closed(Gate.OPEN), "The quiz is not available right now."),
        (
            quota(),
            "You've used all 5 typed questions for Module 2. "
            "The suggested questions are free — tap one below.",
        ),
        (NotAllowed(), NOT_ALLOWED),
        (Invalid(Reason.UNKNOWN_COURSE, name="nosuch"), "There is no course “nosuch”."),
        (Invalid(Reason.NO_SUCH_MODULE, name="tiny", limit=2), "tiny has modules 1 to 2."),
        (
            Invalid(Reason.UNKNOWN_COHORT, name="Spring"),
            "There is no cohort “Spring” in that course; /cohorts course-slug lists them.",
        ),
        (Invalid(Reason.COHORT_NAME_LENGTH, limit=64), "A cohort name is 1 to 64 characters."),
        (
            Invalid(Reason.COHORT_NAME_TAKEN, name="Spring"),
            "The course already has a cohort named “Spring”.",
        ),
        (
            Invalid(Reason.BAD_COUNT, limit=1000),
            "The number must be a whole number from 1 to 1000.",
        ),
        (HelpRefused(Reason.HELP_TAKEN, name="Maria"), "Maria has taken this request."),
        (
            HelpRefused(Reason.HELP_OPEN_CAP, limit=2),
            "You have 2 requests open, the most at once: close one first "
            "(✅ under a tutor's answer).",
        ),
    ],
)
def test_each_refusal_says_why_with_its_facts(refused: AccessDenied, text: str) -> None:
    assert refusal_text(refused) == text


def test_a_cooldown_says_when_it_ends_in_the_readers_time_when_it_knows_it() -> None:
    cooling = closed(Gate.COOLDOWN, NOW + timedelta(hours=1))

    assert refusal_text(cooling) == "The Module 2 quiz is cooling down; it reopens later."
    assert refusal_text(cooling, "UTC", NOW) == "The Module 2 quiz reopens at 13:00 UTC (in 1 h)."


def test_every_reason_has_words_of_its_own() -> None:
    """No reason falls through to the generic "not available" line by mistake."""
    generic = refusal_text(closed(Gate.OPEN))
    facts: dict[Reason, AccessDenied] = {
        Reason.MODULE_LOCKED: ModuleLocked(2),
        Reason.NO_PERSONA_VERSION: PersonaUnavailable("Tea basics", "sports"),
        Reason.QUOTA_EXHAUSTED: quota(),
        Reason.QUIZ_NONE: closed(Gate.NO_QUIZ),
        Reason.QUIZ_MODULE_LOCKED: closed(Gate.MODULE_LOCKED),
        Reason.QUIZ_PASSED: closed(Gate.PASSED),
        Reason.QUIZ_COOLDOWN: closed(Gate.COOLDOWN),
        Reason.QUIZ_NO_ATTEMPTS: closed(Gate.NO_ATTEMPTS_LEFT),
        Reason.QUIZ_TOPICS_PENDING: closed(Gate.TOPICS_PENDING),
        Reason.NOTE_TOO_LONG: NoteRefused(Reason.NOTE_TOO_LONG, limit=2000, length=10000),
        Reason.TOO_MANY_NOTES: NoteRefused(Reason.TOO_MANY_NOTES, limit=1000),
        Reason.NOT_RATEABLE_YET: RatingRefused(Reason.NOT_RATEABLE_YET, after="course"),
        Reason.REVIEW_TOO_LONG: RatingRefused(Reason.REVIEW_TOO_LONG, limit=1000, length=4000),
        Reason.CERTIFICATE_NAME_TOO_LONG: CertificateRefused(
            Reason.CERTIFICATE_NAME_TOO_LONG, limit=80, length=200
        ),
        Reason.BAD_TIME: BadTime("25:99"),
        Reason.HELP_TOO_LONG: HelpRefused(Reason.HELP_TOO_LONG, limit=3000, length=5000),
        Reason.HELP_OPEN_CAP: HelpRefused(Reason.HELP_OPEN_CAP, limit=2),
        Reason.HELP_DAILY_CAP: HelpRefused(Reason.HELP_DAILY_CAP, limit=30),
        Reason.HELP_TAKEN: HelpRefused(Reason.HELP_TAKEN, name="Maria"),
        Reason.HELP_NOT_TUTOR: HelpRefused(Reason.HELP_NOT_TUTOR, name="Tea basics"),
        Reason.BAD_DATE: TargetRefused(Reason.BAD_DATE, text="31-02"),
        Reason.DATE_PASSED: TargetRefused(Reason.DATE_PASSED, text="2026-01-01"),
        Reason.DATE_TOO_FAR: TargetRefused(Reason.DATE_TOO_FAR, text="2099-01-01", limit=3),
        Reason.PREREQUISITES_MISSING: gated("Tea basics"),
    }
    staff = {Reason.BAD_COUNT, Reason.UNKNOWN_USER, Reason.UNKNOWN_COURSE}
    staff |= {Reason.NO_SUCH_MODULE, Reason.MESSAGE_LENGTH, Reason.UNKNOWN_COHORT}
    staff |= {Reason.COHORT_NAME_LENGTH, Reason.COHORT_NAME_TAKEN, Reason.NOT_A_COURSE_TUTOR}
    texts = {}
    for reason in Reason:
        if reason in staff:
            refused = Invalid(reason, name="x", limit=9)
        else:
            refused = facts.get(reason, AccessDenied(reason))
        assert refused.reason is reason
        texts[reason] = refusal_text(refused)
    assert [r for r, t in texts.items() if t == generic] == [Reason.QUIZ_CLOSED]
    assert len(set(texts.values())) == len(texts), "two reasons worded alike"


def test_the_gate_decides_the_reason_of_a_closed_quiz() -> None:
    assert closed(Gate.COOLDOWN).reason is Reason.QUIZ_COOLDOWN
    assert closed(Gate.TOPICS_PENDING).status == QuizStatus(MODULE_2, Gate.TOPICS_PENDING)
    assert QuizUnavailable().reason is Reason.QUIZ_BUSY_STARTING, "no gate: a lost race"
