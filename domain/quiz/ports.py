"""What the quiz service needs of storage, one Protocol per use: reading a module's quiz
state and attempts, writing attempts, the cooldown release's claims, and the memory of
what this process last saw (kept by a caching wrapper in storage, `storage/quiz_memory.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.learning.model import LearnerCourse
from domain.quiz.model import (
    Attempt,
    BankQuestion,
    CooldownKey,
    DueCooldown,
    Finish,
    LiveQuestion,
    ModuleQuizRecord,
    Question,
)


class QuizReads(Protocol):
    async def module_quiz(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> ModuleQuizRecord | None: ...

    async def module_with_quiz(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> tuple[LearnerCourse | None, ModuleQuizRecord | None]: ...

    async def question_bank(self, course_id: UUID, module_no: int) -> list[BankQuestion]: ...

    async def attempt(self, user_id: int, attempt_id: UUID) -> Attempt | None: ...

    async def open_attempts(self, user_id: int) -> list[Attempt]: ...


class AttemptWrites(Protocol):
    """Every write is a compare-and-set on the state it was decided from: False (or None)
    when that state moved on."""

    async def start_attempt(
        self,
        user_id: int,
        course_id: UUID,
        module_no: int,
        questions: Sequence[Question],
        *,
        attempts_used: int,
        now: datetime,
        version: datetime | None = None,
        live_at: tuple[int, int] | None = None,
    ) -> UUID | None: ...

    async def record_answer(
        self,
        attempt: Attempt,
        index: int,
        choice: Sequence[int],
        correct: bool,
        finish: Finish | None,
        now: datetime,
        request_id: int | None = None,
        decided_from: ModuleQuizRecord | None = None,
    ) -> bool: ...

    async def answered_by(self, request_id: int) -> bool: ...

    async def move_live_question(
        self, chat_id: int, user_id: int, live: LiveQuestion
    ) -> LiveQuestion | None: ...

    async def finish_attempt(
        self,
        attempt: Attempt,
        finish: Finish,
        now: datetime,
        decided_from: ModuleQuizRecord | None = None,
    ) -> bool: ...


class CooldownClaims(Protocol):
    async def claim_due_cooldowns(
        self, now: datetime, claim_until: datetime, limit: int
    ) -> list[DueCooldown]: ...

    async def mark_cooldowns_notified(self, keys: Iterable[CooldownKey], now: datetime) -> None: ...

    async def retry_cooldowns_later(self, keys: Iterable[CooldownKey], at: datetime) -> None: ...

    async def next_cooldown_due(self) -> datetime | None: ...


class QuizStore(QuizReads, AttemptWrites, CooldownClaims, Protocol):
    """The quiz tables (storage.quiz.PgQuizStore)."""


class QuizMemory(Protocol):
    """What this process last saw; no I/O. It may be behind the database, never ahead:
    the service decides nothing from it that a compare-and-set does not check."""

    def saw(self, user_id: int, record: ModuleQuizRecord) -> None:
        """A screen showed the learner this quiz state (the intro, the module screen)."""

    def take_shown(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> ModuleQuizRecord | None: ...

    def known_attempt(self, user_id: int, attempt_id: UUID) -> Attempt | None: ...

    def started_under(self, attempt_id: UUID) -> ModuleQuizRecord | None:
        """The module's record as the running attempt began (its last answer needs it)."""

    def remember(self, attempt: Attempt, started_under: ModuleQuizRecord | None = None) -> None:
        """The attempt as it now stands (a finished one is forgotten)."""


class RememberingQuizStore(QuizStore, QuizMemory, Protocol):
    """What the quiz service runs on: the store behind a memory
    (storage.quiz_memory.QuizAttemptCache)."""
