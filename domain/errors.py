"""Refusals: what a learner or staff member may not do (now), shared by every use case.

A refusal is an exception the bot turns into a toast or a screen; `reason` is safe to
show them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.quiz.model import QuizStatus


class AccessDenied(Exception):
    """The learner may not do this (now); `reason` is safe to show them."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(AccessDenied):
    pass


class NotEnrolled(AccessDenied):
    pass


class ModuleLocked(AccessDenied):
    pass


class QuizUnavailable(AccessDenied):
    """The quiz cannot be started now; `status` says why and, if so, until when."""

    def __init__(self, reason: str, status: QuizStatus | None = None) -> None:
        super().__init__(reason)
        self.status = status


class AnswerRejected(AccessDenied):
    """This answer does not apply (any more): already answered, quiz finished, bad choice."""
