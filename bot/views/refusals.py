"""Every refusal in words: the one place a domain `Reason` becomes what the person reads.

Handlers show `refusal_text(error)` as a toast (Telegram allows 200 characters in an
alert) or as a message; the domain never words a refusal itself.
"""

from __future__ import annotations

from datetime import datetime

from bot.views.clock import local_time, until
from domain.admin import Invalid
from domain.errors import (
    AccessDenied,
    BadTime,
    CertificateRefused,
    HelpRefused,
    ModuleLocked,
    NoteRefused,
    PersonaUnavailable,
    PrerequisitesMissing,
    QuizUnavailable,
    RatingRefused,
    Reason,
    TargetRefused,
)
from domain.tutor import QuotaExhausted

NOT_ALLOWED = "Sorry, you're not allowed to do that."
NOT_ENROLLED = "You are not enrolled in this course. Open it from /courses."
BROADCAST_FINISHED = "This broadcast was already sent or cancelled."
NOT_THE_AUTHOR = "Only the author of this draft can send or cancel it."

# Reasons that need no facts to be said.
_PLAIN: dict[Reason, str] = {
    Reason.COURSE_GONE: "That course is no longer available.",
    Reason.COURSE_DELETED: "That course no longer exists.",
    Reason.PATH_GONE: "That learning path is no longer available.",
    Reason.MODULE_GONE: "That module does not exist.",
    Reason.TOPIC_GONE: "That topic does not exist (any more).",
    Reason.QUIZ_GONE: "This quiz is no longer available.",
    Reason.SUGGESTION_GONE: "That suggestion is no longer available.",
    Reason.NOT_ENROLLED: NOT_ENROLLED,
    Reason.SUSPENDED: "Your enrollment in this course is suspended.",
    Reason.SUSPENDED_ON_ENROLL: (
        "Your enrollment in this course is suspended; please contact support."
    ),
    Reason.NO_COURSE_OPEN: "Open a course first (/courses), then type your question about it.",
    Reason.QUIZ_CLOSED: "The quiz is not available right now.",
    Reason.QUIZ_BUSY_STARTING: "The quiz is busy starting elsewhere; please try again.",
    Reason.ALREADY_ANSWERED: "You already answered that question.",
    Reason.NOT_OPEN_YET: "That question isn't open yet.",
    Reason.PICK_AN_OPTION: "Pick an option first.",
    Reason.PICK_ONE: "Pick exactly one option.",
    Reason.QUIZ_FINISHED: "This quiz is already finished.",
    Reason.QUIZ_BUSY: "The quiz is busy elsewhere; please try again.",
    Reason.NOT_ALLOWED: NOT_ALLOWED,
    Reason.SELF_DEMOTION: "You can't demote yourself; ask another admin.",
    Reason.BROADCAST_FINISHED: BROADCAST_FINISHED,
    Reason.NOT_THE_AUTHOR: NOT_THE_AUTHOR,
    Reason.NO_TOPIC_OPEN: (
        "Open a topic first (/courses): a note is kept with the topic it is about."
    ),
    Reason.NOTE_EMPTY: "Write the note after the command, e.g. /note the loss is a mean.",
    Reason.NOTE_GONE: "That note is already deleted.",
    Reason.BAD_RATING: "A rating is 1 to 5 stars.",
    Reason.RATE_FIRST: "Rate a course first (/rate), then add your words.",
    Reason.REVIEW_EMPTY: "Write your words after the command, e.g. /rate Clear and practical.",
    Reason.CERTIFICATE_NAME_EMPTY: (
        "Write the name after the command, e.g. /certificate_name Ada Lovelace."
    ),
    Reason.CERTIFICATE_UNKNOWN: "That is not one of your certificates. /certificates lists them.",
    Reason.INVITE_UNKNOWN: (
        "That invite link doesn't lead to any cohort. Please check it with your tutor; "
        "/courses lists every course."
    ),
    Reason.INVITE_CLOSED: (
        "This invite is closed: the cohort takes no new members. Ask your tutor for a "
        "current link; /courses lists every course."
    ),
    Reason.NOT_IN_COHORT: "You're not in that cohort (any more). /cohort lists yours.",
    Reason.CARD_GONE: "That review card is not in your deck any more. /review shows what is due.",
    Reason.GOAL_NOT_OFFERED: "Pick one of the daily goals offered under /goal.",
    Reason.NO_COURSE_FOR_TARGET: (
        "Enroll in a course first (/courses): a target date is for the course you study."
    ),
    Reason.HELP_EMPTY: "Write your question (or answer) in the message, then send it.",
    Reason.HELP_NOTHING_ASKED: (
        "You haven't asked me anything in this course yet: type your question for the tutor."
    ),
    Reason.HELP_NO_TUTORS: (
        "This course has no human tutors yet. I can still answer: type your question."
    ),
    Reason.HELP_GONE: "That request is not yours to see (or no longer there).",
    Reason.HELP_RESOLVED: "That request is resolved. Ask again with 🙋 under an answer or a topic.",
    Reason.HELP_NOT_A_FORUM: (
        "The staff group must be a supergroup with topics turned on (group settings → Topics)."
    ),
    Reason.HELP_NO_TOPIC_RIGHTS: (
        "Make me an administrator of this group allowed to manage topics, then send "
        "/link_staff_group again."
    ),
}


def refusal_text(
    error: AccessDenied, timezone: str | None = None, now: datetime | None = None
) -> str:
    """What to tell the person refused. Given the reader's `timezone` and `now`, a quiz
    cooling down says when it reopens, in their time; without them, that it reopens later."""
    plain = _PLAIN.get(error.reason)
    if plain is not None:
        return plain
    match error:
        case QuizUnavailable(status=status) if status is not None:
            return _quiz_closed(error, timezone, now)
        case ModuleLocked(module_no=number):
            return f"Module {number} is locked: pass the Module {number - 1} quiz to unlock it."
        case PersonaUnavailable():
            return f"{error.course_name} has no {error.persona} version yet."
        case QuotaExhausted(context=context):
            return (
                f"You've used all {context.quota} typed questions for Module "
                f"{context.module_no}. The suggested questions are free — tap one below."
            )
        case Invalid():
            return _invalid(error)
        case NoteRefused(reason=Reason.NOTE_TOO_LONG):
            return (
                f"A note holds at most {error.limit:,} characters; yours has "
                f"{error.length:,}. Split it into shorter notes."
            )
        case BadTime(text=text):
            shown = text.strip()[:40] or "nothing"
            return f"“{shown}” isn't a time of day. Try 19:00, 7pm or 7:30 am."
        case TargetRefused(reason=Reason.BAD_DATE, text=text):
            shown = text[:40] or "nothing"
            return f"“{shown}” isn't a date I can read. Try /goal by 2027-03-01 (or 1 Mar 2027)."
        case TargetRefused(reason=Reason.DATE_PASSED, text=text):
            return f"{text} has passed: pick today or a later day."
        case TargetRefused(reason=Reason.DATE_TOO_FAR, limit=limit):
            return f"Pick a date within {limit} years from today."
        case NoteRefused(reason=Reason.TOO_MANY_NOTES):
            return f"You have {error.limit:,} notes, the most I keep; delete some first (/notes)."
        case PrerequisitesMissing(missing=missing):
            names = ", ".join(p.name for p in missing)
            first = "it" if len(missing) == 1 else "them"
            return f"{error.course_name} needs {names} completed first: finish {first}, then enrol."
        case RatingRefused(reason=Reason.NOT_RATEABLE_YET):
            when = "its first module" if error.after == "first_module" else "it"
            return f"You can rate this course once you have completed {when}."
        case CertificateRefused(reason=Reason.CERTIFICATE_NAME_TOO_LONG):
            return (
                f"A name on a certificate holds at most {error.limit:,} characters; yours has "
                f"{error.length:,}."
            )
        case HelpRefused(reason=Reason.HELP_TOO_LONG):
            return (
                f"That's {error.length:,} characters; a message for a tutor holds at most "
                f"{error.limit:,}. Send it in parts."
            )
        case HelpRefused(reason=Reason.HELP_OPEN_CAP):
            return (
                f"You have {error.limit} requests open, the most at once: close one first "
                "(✅ under a tutor's answer)."
            )
        case HelpRefused(reason=Reason.HELP_DAILY_CAP):
            return (
                f"This course's tutors have {error.limit} requests today, the most they take "
                "in a day; please ask again tomorrow. I can still answer: type your question."
            )
        case HelpRefused(reason=Reason.HELP_TAKEN):
            return f"{error.name} has taken this request."
        case HelpRefused(reason=Reason.HELP_NOT_TUTOR):
            return f"Only tutors of {error.name} answer its requests."
        case RatingRefused(reason=Reason.REVIEW_TOO_LONG):
            return (
                f"A review holds at most {error.limit:,} characters; yours has "
                f"{error.length:,}. A few sentences are plenty."
            )
    return _PLAIN[Reason.QUIZ_CLOSED]


def _quiz_closed(error: QuizUnavailable, timezone: str | None, now: datetime | None) -> str:
    assert error.status is not None
    record = error.status.record
    module = f"Module {record.module_no}"
    reopens = error.status.reopens_at
    match error.reason:
        case Reason.QUIZ_COOLDOWN if reopens is not None and now is not None:
            return (
                f"The {module} quiz reopens "
                f"{local_time(reopens, timezone, now)} ({until(reopens, now)})."
            )
        case Reason.QUIZ_COOLDOWN:
            return f"The {module} quiz is cooling down; it reopens later."
        case Reason.QUIZ_NONE:
            return f"{module} has no quiz."
        case Reason.QUIZ_MODULE_LOCKED:
            return f"{module} is locked: pass the Module {record.module_no - 1} quiz first."
        case Reason.QUIZ_PASSED:
            return f"You already passed the {module} quiz."
        case Reason.QUIZ_NO_ATTEMPTS:
            return f"No attempts left for the {module} quiz; please ask a tutor for more."
        case Reason.QUIZ_TOPICS_PENDING:
            return (
                f"Finish the topics of {module} first "
                f"({record.topics_completed}/{record.topics} done)."
            )
    return _PLAIN[Reason.QUIZ_CLOSED]


def _invalid(error: Invalid) -> str:
    match error.reason:
        case Reason.BAD_COUNT:
            return f"The number must be a whole number from 1 to {error.limit}."
        case Reason.UNKNOWN_USER:
            return (
                f"I don't know the user “{error.name}”. Use their numeric id or @username "
                "(they must have talked to the bot)."
            )
        case Reason.UNKNOWN_COURSE:
            return f"There is no course “{error.name}”."
        case Reason.NO_SUCH_MODULE:
            return f"{error.name} has modules 1 to {error.limit}."
        case Reason.MESSAGE_LENGTH:
            return f"The message must be 1 to {error.limit} characters."
        case Reason.UNKNOWN_COHORT:
            return (
                f"There is no cohort “{error.name}” in that course; "
                "/cohorts course-slug lists them."
            )
        case Reason.COHORT_NAME_LENGTH:
            return f"A cohort name is 1 to {error.limit} characters."
        case Reason.COHORT_NAME_TAKEN:
            return f"The course already has a cohort named “{error.name}”."
        case Reason.NOT_A_COURSE_TUTOR:
            return (
                f"{error.name} is not a tutor of this course. Make them one first "
                "(an admin can), then add them to the cohort."
            )
    return NOT_ALLOWED
