"""The quiz tables as Python objects, for service tests that read better without a database.

One course: its modules (a title and a question bank each), the learners' records of each
module and their attempts. Each write is a compare-and-set on the same facts as the
statements of `storage.quiz` (the attempts started, the attempt's current question), so
a stale decision loses here as it does there. It implements `QuizReads` (but
`module_with_quiz`) and `AttemptWrites`; the storage tests keep PostgreSQL's own semantics
covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID, uuid4

from domain.quiz.model import (
    Attempt,
    AttemptStatus,
    BankQuestion,
    Finish,
    LiveQuestion,
    ModuleQuizRecord,
    Question,
    QuizRules,
)


@dataclass
class InMemoryQuizStore:
    course_name: str
    modules: dict[int, tuple[str, list[BankQuestion]]]  # number: (title, bank)
    rules: QuizRules = field(default_factory=QuizRules)
    course_id: UUID = field(default_factory=uuid4)
    records: dict[tuple[int, int], ModuleQuizRecord] = field(default_factory=dict)
    attempts: dict[UUID, Attempt] = field(default_factory=dict)
    completed_at: dict[int, datetime] = field(default_factory=dict)  # learner: when
    answered: set[int] = field(default_factory=set)  # updates that recorded an answer
    live: dict[int, LiveQuestion] = field(default_factory=dict)  # chat: its live question
    reads: int = 0  # statements that read, to count what memory saves

    def enroll(self, user_id: int) -> None:
        """Enrolled, every topic done, module 1 open."""
        last = max(self.modules)
        for number, (title, bank) in self.modules.items():
            following = self.modules.get(number + 1)
            self.records[user_id, number] = ModuleQuizRecord(
                course_id=self.course_id,
                course_name=self.course_name,
                module_no=number,
                module_title=title,
                last_module_no=last,
                next_module_title=following[0] if following else None,
                enrollment_status="active",
                rules=self.rules,
                bank_size=len(bank),
                topic_titles={1: "A topic"},
                topics_completed=1,
                unlocked=number == 1,
                quiz_passed=False,
                best_score=None,
                attempts_used=0,
                extra_attempts=0,
                cooldown_until=None,
                open_attempt=None,
            )

    # -- QuizReads ---------------------------------------------------------------------------

    async def module_quiz(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> ModuleQuizRecord | None:
        self.reads += 1
        return self.records.get((user_id, module_no)) if course_id == self.course_id else None

    async def question_bank(self, course_id: UUID, module_no: int) -> list[BankQuestion]:
        self.reads += 1
        return list(self.modules[module_no][1])

    async def attempt(self, user_id: int, attempt_id: UUID) -> Attempt | None:
        self.reads += 1
        attempt = self.attempts.get(attempt_id)
        return attempt if attempt is not None and attempt.user_id == user_id else None

    async def open_attempts(self, user_id: int) -> list[Attempt]:
        self.reads += 1
        running = [
            a
            for a in self.attempts.values()
            if a.user_id == user_id and a.status is AttemptStatus.IN_PROGRESS
        ]
        return sorted(running, key=lambda a: a.started_at, reverse=True)

    # -- AttemptWrites -----------------------------------------------------------------------

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
        record = self.records[user_id, module_no]
        cooling = record.cooldown_until is not None and record.cooldown_until > now
        if (
            record.attempts_used != attempts_used
            or record.quiz_passed
            or not record.unlocked
            or cooling
            or record.open_attempt is not None
        ):
            return None
        attempt_id = uuid4()
        self.attempts[attempt_id] = Attempt.started(
            attempt_id, user_id, course_id, module_no, questions, now
        )
        self.records[user_id, module_no] = replace(
            record, attempts_used=attempts_used + 1, open_attempt=attempt_id, cooldown_until=None
        )
        if live_at is not None:
            self.live[live_at[0]] = LiveQuestion(attempt_id, 0, live_at[1])
        return attempt_id

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
        stored = self._running_at(attempt.id, index)
        if stored is None:
            return False
        self.attempts[attempt.id] = replace(
            stored,
            answers={**stored.answers, index: tuple(choice)},
            current_index=index + 1,
            correct_count=stored.correct_count + int(correct),
        )
        if finish is not None:
            self._finish(attempt.id, finish, now)
        if request_id is not None:
            self.answered.add(request_id)
        return True

    async def answered_by(self, request_id: int) -> bool:
        self.reads += 1
        return request_id in self.answered

    async def move_live_question(
        self, chat_id: int, user_id: int, live: LiveQuestion
    ) -> LiveQuestion | None:
        before = self.live.get(chat_id)
        self.live[chat_id] = live
        return before

    async def finish_attempt(
        self,
        attempt: Attempt,
        finish: Finish,
        now: datetime,
        decided_from: ModuleQuizRecord | None = None,
    ) -> bool:
        if self._running_at(attempt.id, attempt.current_index) is None:
            return False
        self._finish(attempt.id, finish, now)
        return True

    def _running_at(self, attempt_id: UUID, index: int) -> Attempt | None:
        """The compare-and-set: the attempt, if still running at question `index`."""
        stored = self.attempts.get(attempt_id)
        if stored is None or stored.status is not AttemptStatus.IN_PROGRESS:
            return None
        return stored if stored.current_index == index else None

    def _finish(self, attempt_id: UUID, finish: Finish, now: datetime) -> None:
        """What `storage.quiz._FINISH` does in its one statement."""
        attempt = replace(self.attempts[attempt_id], status=finish.status, finished_at=now)
        self.attempts[attempt_id] = attempt
        key = (attempt.user_id, attempt.module_no)
        record = self.records[key]
        best = max(record.best_score or 0.0, finish.score)
        self.records[key] = replace(
            record,
            best_score=best,
            quiz_passed=record.quiz_passed or finish.status is AttemptStatus.PASSED,
            cooldown_until=finish.cooldown_until,
            open_attempt=None,
        )
        following = (attempt.user_id, finish.unlock_module)
        if finish.unlock_module is not None and following in self.records:
            self.records[following] = replace(self.records[following], unlocked=True)
        if finish.complete_course:
            self.completed_at.setdefault(attempt.user_id, now)
            for number in self.modules:
                done = self.records[attempt.user_id, number]
                self.records[attempt.user_id, number] = replace(done, enrollment_status="completed")
