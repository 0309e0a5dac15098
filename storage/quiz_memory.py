"""What this process last saw of quizzes, in front of the quiz store: a caching wrapper.

It remembers the running attempts this process started, resumed or last answered (and the
module's record each began under), and the quiz state a screen last showed, so that an
answer costs one round trip, the compare-and-set write, and a start after the quiz's
intro none to read. Memory can only be behind the database (another replica or device
answered, or abandoned), never ahead of it: every write it saves a read for is a
compare-and-set that a stale copy loses, and the service then reads afresh
(`domain.quiz.service`). A lost write or a finished attempt is forgotten here.

Bounded: the least recently used entries go beyond `remember` of each kind.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from domain.learning.model import LearnerCourse
from domain.quiz.model import (
    Attempt,
    AttemptStatus,
    BankQuestion,
    CooldownKey,
    DueCooldown,
    Finish,
    LiveQuestion,
    ModuleQuizRecord,
    Question,
)
from domain.quiz.ports import QuizStore


class QuizAttemptCache:
    """A `QuizStore` with the `QuizMemory` the quiz service runs on."""

    def __init__(self, store: QuizStore, *, remember: int = 4096) -> None:
        self._store = store
        self._remember = remember
        self._running: OrderedDict[UUID, Attempt] = OrderedDict()
        self._started_under: dict[UUID, ModuleQuizRecord] = {}
        self._shown: OrderedDict[tuple[int, UUID, int], ModuleQuizRecord] = OrderedDict()

    # -- memory (no I/O) --------------------------------------------------------------------

    def saw(self, user_id: int, record: ModuleQuizRecord) -> None:
        key = (user_id, record.course_id, record.module_no)
        self._shown[key] = record
        self._shown.move_to_end(key)
        while len(self._shown) > self._remember:
            self._shown.popitem(last=False)

    def take_shown(self, user_id: int, course_id: UUID, module_no: int) -> ModuleQuizRecord | None:
        return self._shown.pop((user_id, course_id, module_no), None)

    def known_attempt(self, user_id: int, attempt_id: UUID) -> Attempt | None:
        attempt = self._running.get(attempt_id)
        if attempt is None or attempt.user_id != user_id:  # never serve another's attempt
            return None
        self._running.move_to_end(attempt_id)
        return attempt

    def started_under(self, attempt_id: UUID) -> ModuleQuizRecord | None:
        return self._started_under.get(attempt_id)

    def remember(self, attempt: Attempt, started_under: ModuleQuizRecord | None = None) -> None:
        if attempt.status is not AttemptStatus.IN_PROGRESS:
            self._forget(attempt.id)
            return
        self._running[attempt.id] = attempt
        self._running.move_to_end(attempt.id)
        if started_under is not None:
            self._started_under[attempt.id] = started_under
        while len(self._running) > self._remember:
            self._forget(next(iter(self._running)))

    def _forget(self, attempt_id: UUID) -> None:
        self._running.pop(attempt_id, None)
        self._started_under.pop(attempt_id, None)

    # -- the store, with what each call tells memory ---------------------------------------

    async def attempt(self, user_id: int, attempt_id: UUID) -> Attempt | None:
        attempt = await self._store.attempt(user_id, attempt_id)
        if attempt is not None:
            self.remember(attempt)
        return attempt

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
    ) -> bool:
        recorded = await self._store.record_answer(
            attempt, index, choice, correct, finish, now, request_id, decided_from
        )
        if not recorded:  # memory was behind: read it again next time
            self._forget(attempt.id)
        return recorded

    async def finish_attempt(
        self,
        attempt: Attempt,
        finish: Finish,
        now: datetime,
        decided_from: ModuleQuizRecord | None = None,
    ) -> bool:
        finished = await self._store.finish_attempt(attempt, finish, now, decided_from)
        if finished:
            self._forget(attempt.id)
        return finished

    # -- the store, as it is ----------------------------------------------------------------

    async def module_quiz(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> ModuleQuizRecord | None:
        return await self._store.module_quiz(user_id, course_id, module_no)

    async def module_with_quiz(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> tuple[LearnerCourse | None, ModuleQuizRecord | None]:
        return await self._store.module_with_quiz(user_id, course_id, module_no)

    async def question_bank(self, course_id: UUID, module_no: int) -> list[BankQuestion]:
        return await self._store.question_bank(course_id, module_no)

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
    ) -> UUID | None:
        return await self._store.start_attempt(
            user_id,
            course_id,
            module_no,
            questions,
            attempts_used=attempts_used,
            now=now,
            version=version,
            live_at=live_at,
        )

    async def open_attempts(self, user_id: int) -> list[Attempt]:
        return await self._store.open_attempts(user_id)

    async def answered_by(self, request_id: int) -> bool:
        return await self._store.answered_by(request_id)

    async def move_live_question(
        self, chat_id: int, user_id: int, live: LiveQuestion
    ) -> LiveQuestion | None:
        return await self._store.move_live_question(chat_id, user_id, live)

    async def claim_due_cooldowns(
        self, now: datetime, claim_until: datetime, limit: int
    ) -> list[DueCooldown]:
        return await self._store.claim_due_cooldowns(now, claim_until, limit)

    async def mark_cooldowns_notified(self, keys: Iterable[CooldownKey], now: datetime) -> None:
        await self._store.mark_cooldowns_notified(keys, now)

    async def retry_cooldowns_later(self, keys: Iterable[CooldownKey], at: datetime) -> None:
        await self._store.retry_cooldowns_later(keys, at)

    async def next_cooldown_due(self) -> datetime | None:
        return await self._store.next_cooldown_due()
