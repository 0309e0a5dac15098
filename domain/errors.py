"""Refusals: what a learner or staff member may not do (now), shared by every use case.

A refusal is an exception carrying a `Reason` and the facts that go with it (typed
attributes of its class), never words: the bot words each reason in one place,
`bot/views/refusals.py` (`refusal_text`), and shows it as a toast or a screen.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.learning.model import Prerequisite
    from domain.quiz.model import QuizStatus


class Reason(StrEnum):
    # Something the request names is not there (any more).
    COURSE_GONE = "course_gone"  # not published (any more)
    COURSE_DELETED = "course_deleted"  # staff: not in the database at all
    MODULE_GONE = "module_gone"
    TOPIC_GONE = "topic_gone"
    QUIZ_GONE = "quiz_gone"
    SUGGESTION_GONE = "suggestion_gone"
    # The learner's enrollment does not allow it.
    NOT_ENROLLED = "not_enrolled"
    SUSPENDED = "suspended"
    SUSPENDED_ON_ENROLL = "suspended_on_enroll"  # asked to enroll again: who to turn to
    NO_COURSE_OPEN = "no_course_open"  # free text outside any course
    NO_PERSONA_VERSION = "no_persona_version"
    MODULE_LOCKED = "module_locked"
    # A quiz that cannot start now (see `Gate`).
    QUIZ_NONE = "quiz_none"
    QUIZ_MODULE_LOCKED = "quiz_module_locked"
    QUIZ_PASSED = "quiz_passed"
    QUIZ_COOLDOWN = "quiz_cooldown"
    QUIZ_NO_ATTEMPTS = "quiz_no_attempts"
    QUIZ_TOPICS_PENDING = "quiz_topics_pending"
    QUIZ_CLOSED = "quiz_closed"  # any other gate
    QUIZ_BUSY_STARTING = "quiz_busy_starting"
    # An answer that does not apply (any more).
    ALREADY_ANSWERED = "already_answered"
    NOT_OPEN_YET = "not_open_yet"
    PICK_AN_OPTION = "pick_an_option"
    PICK_ONE = "pick_one"
    QUIZ_FINISHED = "quiz_finished"
    QUIZ_BUSY = "quiz_busy"
    # The tutor.
    QUOTA_EXHAUSTED = "quota_exhausted"
    # Staff commands.
    NOT_ALLOWED = "not_allowed"
    SELF_DEMOTION = "self_demotion"
    BAD_COUNT = "bad_count"  # `limit`: the largest allowed
    UNKNOWN_USER = "unknown_user"  # `name`: as typed
    UNKNOWN_COURSE = "unknown_course"  # `name`: the slug as typed
    NO_SUCH_MODULE = "no_such_module"  # `name`: the course's slug, `limit`: its modules
    MESSAGE_LENGTH = "message_length"  # `limit`: the longest allowed
    BROADCAST_FINISHED = "broadcast_finished"
    NOT_THE_AUTHOR = "not_the_author"
    # Notes and bookmarks.
    NO_TOPIC_OPEN = "no_topic_open"  # a note needs the topic it is about
    NOTE_EMPTY = "note_empty"
    NOTE_TOO_LONG = "note_too_long"  # `limit`, `length`
    TOO_MANY_NOTES = "too_many_notes"  # `limit`
    NOTE_GONE = "note_gone"
    # Reminders.
    BAD_TIME = "bad_time"  # `text`: as typed
    # Daily goals and course target dates.
    GOAL_NOT_OFFERED = "goal_not_offered"  # a forged goal button
    NO_COURSE_FOR_TARGET = "no_course_for_target"
    BAD_DATE = "bad_date"  # `text`: as typed
    DATE_PASSED = "date_passed"  # `text`: as typed
    DATE_TOO_FAR = "date_too_far"  # `limit`: years ahead at most

    CARD_GONE = "card_gone"  # a review card not (any more) in the learner's deck

    NOT_RATEABLE_YET = "not_rateable_yet"  # `after`: "course" or "first_module"
    BAD_RATING = "bad_rating"
    RATE_FIRST = "rate_first"  # words before stars
    REVIEW_EMPTY = "review_empty"
    REVIEW_TOO_LONG = "review_too_long"  # `limit`, `length`

    PREREQUISITES_MISSING = "prerequisites_missing"  # `course_name`, `missing`
    PATH_GONE = "path_gone"  # a learning path no longer there
    CERTIFICATE_NAME_EMPTY = "certificate_name_empty"
    CERTIFICATE_NAME_TOO_LONG = "certificate_name_too_long"  # `limit`, `length`
    CERTIFICATE_UNKNOWN = "certificate_unknown"  # not one of the learner's
    # Asking a human tutor (domain.help_requests).
    HELP_EMPTY = "help_empty"
    HELP_TOO_LONG = "help_too_long"  # `limit`, `length`
    HELP_NOTHING_ASKED = "help_nothing_asked"  # no exchange with the AI tutor to send on
    HELP_OPEN_CAP = "help_open_cap"  # `limit`: open requests per learner
    HELP_DAILY_CAP = "help_daily_cap"  # `limit`: the course's requests a day
    HELP_NO_TUTORS = "help_no_tutors"  # nobody to answer: no tutor, group or admin
    HELP_GONE = "help_gone"  # not (any more) a request this person may see
    HELP_TAKEN = "help_taken"  # `name`: the tutor who claimed it
    HELP_RESOLVED = "help_resolved"
    HELP_NOT_TUTOR = "help_not_tutor"  # `name`: the course, which they don't teach
    HELP_NOT_A_FORUM = "help_not_a_forum"  # /link_staff_group outside a forum supergroup
    HELP_NO_TOPIC_RIGHTS = "help_no_topic_rights"  # the bot may not create topics there
    # Cohorts (domain.cohorts)
    INVITE_UNKNOWN = "invite_unknown"  # a join link whose code names no cohort
    INVITE_CLOSED = "invite_closed"  # the cohort takes no new members
    NOT_IN_COHORT = "not_in_cohort"  # leaving a cohort the learner is not in (any more)
    UNKNOWN_COHORT = "unknown_cohort"  # staff: `name` as typed
    COHORT_NAME_LENGTH = "cohort_name_length"  # staff: `limit`
    COHORT_NAME_TAKEN = "cohort_name_taken"  # staff: `name`
    NOT_A_COURSE_TUTOR = "not_a_course_tutor"  # staff: `name`, the person as typed


class AccessDenied(Exception):
    """The learner (or staff member) may not do this (now), for `reason`."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class NotFound(AccessDenied):
    """What the request names is gone: a course, module, topic, quiz or suggestion."""


class NotEnrolled(AccessDenied):
    def __init__(self, reason: Reason = Reason.NOT_ENROLLED) -> None:
        super().__init__(reason)


class ModuleLocked(AccessDenied):
    def __init__(self, module_no: int) -> None:
        super().__init__(Reason.MODULE_LOCKED)
        self.module_no = module_no


class PersonaUnavailable(AccessDenied):
    """The course has nothing written for the persona (a forged press: it is not offered)."""

    def __init__(self, course_name: str, persona: str) -> None:
        super().__init__(Reason.NO_PERSONA_VERSION)
        self.course_name = course_name
        self.persona = persona


_GATE_REASONS = {
    "no_quiz": Reason.QUIZ_NONE,
    "module_locked": Reason.QUIZ_MODULE_LOCKED,
    "passed": Reason.QUIZ_PASSED,
    "cooldown": Reason.QUIZ_COOLDOWN,
    "no_attempts_left": Reason.QUIZ_NO_ATTEMPTS,
    "topics_pending": Reason.QUIZ_TOPICS_PENDING,
}


class QuizUnavailable(AccessDenied):
    """The quiz cannot be started now; `status` (when the gate refused) says why and, if
    so, until when."""

    def __init__(self, status: QuizStatus | None = None) -> None:
        reason = Reason.QUIZ_BUSY_STARTING
        if status is not None:
            reason = _GATE_REASONS.get(status.gate.value, Reason.QUIZ_CLOSED)
        super().__init__(reason)
        self.status = status


class AnswerRejected(AccessDenied):
    """This answer does not apply (any more): already answered, quiz finished, bad choice."""


class NoteRefused(AccessDenied):
    """A note that cannot be kept: `limit` is the bound it broke, `length` what it had."""

    def __init__(self, reason: Reason, *, limit: int = 0, length: int = 0) -> None:
        super().__init__(reason)
        self.limit = limit
        self.length = length


class HelpRefused(AccessDenied):
    """A request for a human tutor, or a step in one, that cannot go on: `limit` the bound
    broken, `length` what it had, `name` the tutor or course the refusal is about."""

    def __init__(self, reason: Reason, *, limit: int = 0, length: int = 0, name: str = "") -> None:
        super().__init__(reason)
        self.limit = limit
        self.length = length
        self.name = name


class BadTime(AccessDenied):
    """Not a time of day; `text` is what was typed."""

    def __init__(self, text: str) -> None:
        super().__init__(Reason.BAD_TIME)
        self.text = text


class RatingRefused(AccessDenied):
    """A rating or review that cannot be kept: `after` says when the course may be rated,
    `limit` the bound broken and `length` what it had."""

    def __init__(self, reason: Reason, *, after: str = "", limit: int = 0, length: int = 0) -> None:
        super().__init__(reason)
        self.after = after
        self.limit = limit
        self.length = length


class CertificateRefused(AccessDenied):
    """A certificate name that cannot be kept (`limit` the bound broken, `length` what it
    had), or a certificate that is not the learner's."""

    def __init__(self, reason: Reason, *, limit: int = 0, length: int = 0) -> None:
        super().__init__(reason)
        self.limit = limit
        self.length = length


class TargetRefused(AccessDenied):
    """A course target date that cannot be set: `text` as typed, `limit` the bound broken."""

    def __init__(self, reason: Reason, *, text: str = "", limit: int = 0) -> None:
        super().__init__(reason)
        self.text = text
        self.limit = limit


class PrerequisitesMissing(AccessDenied):
    """Enrolment refused until the courses in `missing` are completed (domain.prerequisites)."""

    def __init__(self, course_name: str, missing: tuple[Prerequisite, ...]) -> None:
        super().__init__(Reason.PREREQUISITES_MISSING)
        self.course_name = course_name
        self.missing = missing
