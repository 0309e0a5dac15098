"""What finishing a module does to a learner's progress, decided in one place.

A module is finished when its quiz is passed or, for a module without a quiz, when its
last topic is completed. Either way the same rule (`module_finished`) decides what
follows: the next module opens (`ModuleUnlocked`), or, after the last module, the course
is completed (`CourseCompleted`). The time is the service's clock, handed to the store as
a parameter, so every path writes the same timestamp under the same clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class ModuleUnlocked:
    """The learner may now open module `module_no` of the course."""

    user_id: int
    course_id: UUID
    module_no: int
    at: datetime


@dataclass(frozen=True)
class CourseCompleted:
    """The learner completed the course: every module finished, the last one just now."""

    user_id: int
    course_id: UUID
    at: datetime


Advance = ModuleUnlocked | CourseCompleted


def module_finished(
    user_id: int, course_id: UUID, module_no: int, last_module_no: int, at: datetime
) -> Advance:
    """The one decision of what finishing module `module_no` does: unlock the next module,
    or complete the course when it was the last one. `at` is the service's clock.

    This is the hook for what follows a completion (a certificate, a congratulation, a
    review request): every path that can finish a module returns the outcome once it is
    stored, and only then (a repeat press or a replayed update that changes nothing
    returns none, except a replayed last answer, which returns the outcome it recorded):

    - `LearningService.complete_topic`: the last topic of a module without a quiz
      (`TopicCompleted.outcome`);
    - `QuizService.answer`: the last answer of a passing attempt
      (`AnswerOutcome.result.outcome`, a `QuizResult`).

    Nothing else finishes a module: an abandoned attempt counts as failed
    (`QuizService.abandon` returns no outcome), and no staff action (granting attempts or
    prompts, releasing a cooldown, suspending) unlocks a module or completes a course.
    The bot reacts in `bot/handlers/learning.py` and `bot/handlers/quiz.py`, through the
    topic and quiz result screens (`bot/views`).
    """
    if module_no >= last_module_no:
        return CourseCompleted(user_id, course_id, at)
    return ModuleUnlocked(user_id, course_id, module_no + 1, at)
