"""The quiz use cases: start, answer, abandon, and the cooldown release's side."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from domain.clock import Clock, utc_now
from domain.errors import AnswerRejected, NotEnrolled, NotFound, QuizUnavailable, Reason
from domain.learning.model import ModuleView
from domain.learning.rules import module_view
from domain.progress import module_finished
from domain.quiz.model import (
    AnswerOutcome,
    Attempt,
    AttemptStatus,
    CooldownKey,
    Draw,
    DueCooldown,
    Finish,
    Gate,
    LiveQuestion,
    ModuleQuizRecord,
    QuestionKind,
    QuizResult,
    QuizStatus,
)
from domain.quiz.ports import RememberingQuizStore
from domain.quiz.rules import (
    attempts_left,
    draw_questions,
    gate,
    plan_finish,
    score_of,
    section_results,
)


class QuizService:
    """Quiz use cases.

    The store remembers (`QuizMemory`, kept by storage's caching wrapper) the running
    attempts this process started, resumed or last answered, so an answer costs one round
    trip: the compare-and-set write. Memory can only be behind the database (another replica
    or device answered, or abandoned), never ahead of it, and a write from a stale copy finds
    the state moved on; then the attempt is read again and the answer decided afresh.
    Nothing is ever decided from memory alone.
    """

    def __init__(
        self,
        store: RememberingQuizStore,
        *,
        clock: Clock = utc_now,
        draw: Draw | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._rng = (draw or Draw()).rng

    def now(self) -> datetime:
        return self._clock()

    async def status(self, user_id: int, course_id: UUID, module_no: int) -> QuizStatus:
        record = await self._record(user_id, course_id, module_no)
        self._store.saw(user_id, record)
        return gate(record, self._clock())

    async def module(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> tuple[ModuleView, QuizStatus | None]:
        """A module's screen and, when it has a quiz, the quiz's state: one read for both."""
        state, record = await self._store.module_with_quiz(user_id, course_id, module_no)
        view = module_view(state, module_no, self._clock())
        if not view.module.has_quiz or record is None:
            return view, None
        self._store.saw(user_id, record)
        return view, gate(record, self._clock())

    async def start_shown(
        self, user_id: int, course_id: UUID, module_no: int, chat_id: int, message_id: int
    ) -> tuple[Attempt, int | None]:
        """`start`, the question to be shown in `message_id`: a new attempt records its live
        copy in the statement that opens it; a resumed one moves it there (`question_shown`:
        the second value is the copy left behind, whose buttons must go)."""
        spot = (chat_id, message_id)
        attempt, fresh = await self._start(user_id, course_id, module_no, spot)
        if fresh:
            return attempt, None
        return attempt, await self.question_shown(user_id, chat_id, attempt, message_id)

    async def start(self, user_id: int, course_id: UUID, module_no: int) -> Attempt:
        """Begin the module's quiz, or resume the attempt already running."""
        return (await self._start(user_id, course_id, module_no, None))[0]

    async def _start(
        self, user_id: int, course_id: UUID, module_no: int, spot: tuple[int, int] | None
    ) -> tuple[Attempt, bool]:
        """Begin the module's quiz (True), or resume the attempt already running (False).

        The quiz's state as this process last showed it (the quiz's intro, say) is tried
        first: the start is a compare-and-set on everything the gate was decided from, so a
        stale copy only costs a fresh read. Refusals and resumes are always decided fresh."""
        shown = self._store.take_shown(user_id, course_id, module_no)
        for _ in range(3):
            status = gate(shown, self._clock()) if shown is not None else None
            if status is None or status.gate is not Gate.OPEN:
                status = gate(await self._record(user_id, course_id, module_no), self._clock())
            shown = None
            record = status.record
            if status.gate is Gate.IN_PROGRESS and record.open_attempt is not None:
                attempt = await self._store.attempt(user_id, record.open_attempt)
                if attempt is not None and attempt.status is AttemptStatus.IN_PROGRESS:
                    return self._remembered(attempt, record), False
                continue
            if status.gate is not Gate.OPEN:
                raise QuizUnavailable(status)
            bank = await self._store.question_bank(course_id, module_no)
            questions = draw_questions(bank, record.rules.question_count, self._rng)
            now = self._clock()
            attempt_id = await self._store.start_attempt(
                user_id,
                course_id,
                module_no,
                questions,
                attempts_used=record.attempts_used,
                now=now,
                version=record.version,
                live_at=spot,
            )
            if attempt_id is not None:  # stored exactly as drawn: no need to read it back
                started = self._remembered(
                    Attempt.started(attempt_id, user_id, course_id, module_no, questions, now),
                    replace(  # the record as the start left it
                        record,
                        attempts_used=record.attempts_used + 1,
                        open_attempt=attempt_id,
                        cooldown_until=None,
                    ),
                )
                return started, True
            # Someone (another device, a replayed update) changed the state first: look again.
        raise QuizUnavailable()

    async def attempt(self, user_id: int, attempt_id: UUID) -> Attempt:
        attempt = await self._store.attempt(user_id, attempt_id)
        if attempt is None:
            raise NotFound(Reason.QUIZ_GONE)
        return attempt  # remembered by the store while it runs

    async def question_on_screen(self, user_id: int, attempt_id: UUID, index: int) -> Attempt:
        """The attempt to redraw question `index` (a ticked box): from memory when memory
        is at that question, since the answer that follows is checked against the database."""
        known = self._store.known_attempt(user_id, attempt_id)
        if known is not None and known.current_index == index:
            return known
        return await self.attempt(user_id, attempt_id)

    async def open_attempt(self, user_id: int) -> Attempt | None:
        """The learner's most recently started quiz still running, for /quiz."""
        attempts = await self._store.open_attempts(user_id)
        return attempts[0] if attempts else None

    async def question_shown(
        self, user_id: int, chat_id: int, attempt: Attempt, message_id: int
    ) -> int | None:
        """Record that `message_id` now shows the attempt's current question; returns the
        message of an older copy of that same question, whose buttons must go."""
        live = LiveQuestion(attempt.id, attempt.current_index, message_id)
        before = await self._store.move_live_question(chat_id, user_id, live)
        return before.message_id if before is not None and before.left_behind(live) else None

    async def answer(
        self,
        user_id: int,
        attempt_id: UUID,
        index: int,
        choice: Iterable[int],
        *,
        request_id: int | None = None,
    ) -> AnswerOutcome:
        """Record an answer. `request_id` (the update carrying it) makes it repeatable: the
        same update handled again after a failure gets the outcome it recorded the first
        time, while another update (a double tap) is refused as already answered."""
        known = self._store.known_attempt(user_id, attempt_id)
        if known is not None and known.current_index == index:
            outcome = await self._answer(known, index, choice, request_id)
            if outcome is not None:
                return outcome
        # Not remembered, or memory was behind: decide from what is stored now.
        try:
            outcome = await self._answer(
                await self._running(user_id, attempt_id), index, choice, request_id
            )
        except AnswerRejected:
            if request_id is not None and await self._store.answered_by(request_id):
                return await self._recorded(user_id, attempt_id, index)
            raise
        if outcome is None:
            raise AnswerRejected(Reason.ALREADY_ANSWERED)
        return outcome

    async def _recorded(self, user_id: int, attempt_id: UUID, index: int) -> AnswerOutcome:
        """The outcome of an answer stored earlier, rebuilt from the stored attempt."""
        attempt = await self.attempt(user_id, attempt_id)
        question = attempt.questions[index]
        picked = frozenset(attempt.answers[index])
        result = None
        if attempt.status is not AttemptStatus.IN_PROGRESS and index + 1 == attempt.total:
            record = await self._record(user_id, attempt.course_id, attempt.module_no)
            advance = None
            if attempt.status is AttemptStatus.PASSED:  # the outcome as recorded then
                advance = module_finished(
                    user_id,
                    attempt.course_id,
                    attempt.module_no,
                    record.last_module_no,
                    attempt.finished_at or self._clock(),
                )
            finish = Finish(
                attempt.status,
                score_of(attempt.correct_count, attempt.total),
                record.cooldown_until,
                advance,
            )
            result = self._result(record, attempt, attempt.answers, attempt.correct_count, finish)
        return AnswerOutcome(attempt, index, question, picked, question.is_right(picked), result)

    async def _answer(
        self, attempt: Attempt, index: int, choice: Iterable[int], request_id: int | None
    ) -> AnswerOutcome | None:
        """None when the compare-and-set found the attempt moved on since `attempt`."""
        user_id = attempt.user_id
        if index != attempt.current_index:
            raise AnswerRejected(
                Reason.ALREADY_ANSWERED if index < attempt.current_index else Reason.NOT_OPEN_YET
            )
        question = attempt.questions[index]
        picked = frozenset(choice)
        if not picked or any(not 0 <= i < len(question.options) for i in picked):
            raise AnswerRejected(Reason.PICK_AN_OPTION)
        if question.kind is not QuestionKind.MULTIPLE and len(picked) != 1:
            raise AnswerRejected(Reason.PICK_ONE)
        right = question.is_right(picked)
        answers = {**attempt.answers, index: tuple(sorted(picked))}
        finish = result = record = None
        now = self._clock()
        if index + 1 == attempt.total:
            record = self._store.started_under(attempt.id) or await self._record(
                user_id, attempt.course_id, attempt.module_no
            )
            correct = attempt.correct_count + int(right)
            finish = plan_finish(record, correct, attempt.total, now, user_id=user_id)
            result = self._result(record, attempt, answers, correct, finish)
        recorded = await self._store.record_answer(
            attempt, index, sorted(picked), right, finish, now, request_id, record
        )
        if not recorded:  # the store forgets what it remembered of the attempt
            return None
        # The write was a compare-and-set on this very state, so the new state is known.
        updated = replace(
            attempt,
            answers=answers,
            current_index=index + 1,
            correct_count=attempt.correct_count + int(right),
            status=finish.status if finish is not None else attempt.status,
        )
        self._remembered(updated)
        return AnswerOutcome(updated, index, question, picked, right, result)

    async def abandon(self, user_id: int, attempt_id: UUID) -> QuizResult:
        """Give up: counts as a failed attempt (its questions were seen) and starts the
        cooldown, so abandoning cannot be used to preview the question bank for free."""
        for _ in range(3):
            attempt = await self._running(user_id, attempt_id)
            record = await self._record(user_id, attempt.course_id, attempt.module_no)
            now = self._clock()
            finish = plan_finish(
                record, attempt.correct_count, attempt.total, now, user_id=user_id, abandoned=True
            )
            if await self._store.finish_attempt(attempt, finish, now, record):
                return self._result(record, attempt, attempt.answers, attempt.correct_count, finish)
            # An answer landed in between (another device): score what is there now.
        raise AnswerRejected(Reason.QUIZ_BUSY)

    # -- cooldown release (the scheduler's side) --------------------------------------------

    async def claim_due_cooldowns(self, limit: int, lease: timedelta) -> list[DueCooldown]:
        now = self._clock()
        return await self._store.claim_due_cooldowns(now, now + lease, limit)

    async def cooldowns_announced(self, keys: Iterable[CooldownKey]) -> None:
        await self._store.mark_cooldowns_notified(keys, self._clock())

    async def retry_cooldowns_later(self, keys: Iterable[CooldownKey], delay: timedelta) -> None:
        await self._store.retry_cooldowns_later(keys, self._clock() + delay)

    async def next_cooldown_due(self) -> datetime | None:
        return await self._store.next_cooldown_due()

    # -- internals -------------------------------------------------------------------------

    async def _record(self, user_id: int, course_id: UUID, module_no: int) -> ModuleQuizRecord:
        record = await self._store.module_quiz(user_id, course_id, module_no)
        if record is None:
            raise NotFound(Reason.MODULE_GONE)
        if record.enrollment_status is None:
            raise NotEnrolled()
        if record.enrollment_status == "suspended":
            raise NotEnrolled(Reason.SUSPENDED)
        return record

    def _remembered(
        self, attempt: Attempt, started_under: ModuleQuizRecord | None = None
    ) -> Attempt:
        """`started_under`: the module's record as the attempt began, so the last answer
        can finish it without reading it again (the write is guarded by what it holds)."""
        self._store.remember(attempt, started_under)
        return attempt

    async def _running(self, user_id: int, attempt_id: UUID) -> Attempt:
        attempt = await self.attempt(user_id, attempt_id)
        if attempt.status is not AttemptStatus.IN_PROGRESS:
            raise AnswerRejected(Reason.QUIZ_FINISHED)
        return attempt

    @staticmethod
    def _result(
        record: ModuleQuizRecord,
        attempt: Attempt,
        answers: dict[int, tuple[int, ...]],
        correct: int,
        finish: Finish,
    ) -> QuizResult:
        next_module = None
        if finish.unlock_module is not None and record.next_module_title is not None:
            next_module = (finish.unlock_module, record.next_module_title)
        return QuizResult(
            attempt_id=attempt.id,
            course_id=record.course_id,
            course_name=record.course_name,
            module_no=record.module_no,
            module_title=record.module_title,
            status=finish.status,
            correct=correct,
            total=attempt.total,
            score=finish.score,
            threshold=record.rules.pass_threshold,
            sections=section_results(
                attempt, answers, record.rules.pass_threshold, record.topic_titles
            ),
            topic_titles=record.topic_titles,
            next_module=next_module,
            outcome=finish.advance,
            cooldown_until=finish.cooldown_until,
            attempts_left=attempts_left(record),
        )
