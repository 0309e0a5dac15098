"""Module quizzes: drawing a question set, answering, scoring, unlocking and cooldowns.

The rules live here; the store only applies them atomically. Every change is a
compare-and-set against the state the rule was computed from (the attempt's current
question, the number of attempts started), so a double tap, a second device or a replayed
update finds the state moved on and changes nothing.

Correct answers never leave the server: the frozen question set keeps them, and a button
carries only the index of the option the learner picked.
"""

from __future__ import annotations

import random
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from domain.learning import (
    AccessDenied,
    LearnerCourse,
    ModuleView,
    NotEnrolled,
    NotFound,
    module_view,
)

Clock = Callable[[], datetime]

TRUE_FALSE = ("true", "false")


def utc_now() -> datetime:
    return datetime.now(UTC)


class QuizUnavailable(AccessDenied):
    """The quiz cannot be started now; `status` says why and, if so, until when."""

    def __init__(self, reason: str, status: QuizStatus | None = None) -> None:
        super().__init__(reason)
        self.status = status


class AnswerRejected(AccessDenied):
    """This answer does not apply (any more): already answered, quiz finished, bad choice."""


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    FAILED = "failed"
    ABANDONED = "abandoned"


class Gate(StrEnum):
    """Where a learner stands with one module's quiz."""

    NO_QUIZ = "no_quiz"
    MODULE_LOCKED = "module_locked"
    TOPICS_PENDING = "topics_pending"
    IN_PROGRESS = "in_progress"
    COOLDOWN = "cooldown"
    NO_ATTEMPTS_LEFT = "no_attempts_left"
    PASSED = "passed"
    OPEN = "open"


@dataclass(frozen=True)
class QuizRules:
    """A course's quiz settings (seed 002: threshold, attempts limit, cooldown)."""

    pass_threshold: int = 70
    cooldown_hours: int = 24
    attempts_limit: int = 0  # 0: unlimited
    question_count: int = 10
    requires_topics: bool = True

    @property
    def cooldown(self) -> timedelta:
        return timedelta(hours=self.cooldown_hours)


@dataclass(frozen=True)
class BankQuestion:
    """A question as stored in the course's bank."""

    key: str
    section: int  # the topic-pair index: topics 1-2 are section 0, 3-4 section 1, ...
    text: str
    explanation: str
    options: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Question:
    """A question as frozen into one attempt: options in the order this learner sees."""

    key: str
    section: int
    text: str
    explanation: str
    kind: QuestionKind
    options: tuple[str, ...]
    correct: frozenset[int]

    def is_right(self, choice: frozenset[int]) -> bool:
        return choice == self.correct

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "section": self.section,
            "text": self.text,
            "explanation": self.explanation,
            "kind": self.kind.value,
            "options": list(self.options),
            "correct": sorted(self.correct),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        return cls(
            key=data["key"],
            section=int(data["section"]),
            text=data["text"],
            explanation=data["explanation"],
            kind=QuestionKind(data["kind"]),
            options=tuple(data["options"]),
            correct=frozenset(int(i) for i in data["correct"]),
        )


@dataclass(frozen=True)
class Attempt:
    id: UUID
    user_id: int
    course_id: UUID
    module_no: int
    questions: tuple[Question, ...]
    answers: dict[int, tuple[int, ...]]
    current_index: int
    correct_count: int
    status: AttemptStatus
    started_at: datetime

    @property
    def current(self) -> Question | None:
        if self.status is not AttemptStatus.IN_PROGRESS:
            return None
        if self.current_index >= len(self.questions):
            return None
        return self.questions[self.current_index]

    @property
    def total(self) -> int:
        return len(self.questions)


@dataclass(frozen=True)
class ModuleQuizRecord:
    """Everything stored that decides one learner's access to one module's quiz."""

    course_id: UUID
    course_name: str
    module_no: int
    module_title: str
    last_module_no: int
    next_module_title: str | None
    enrollment_status: str | None  # None: not enrolled
    rules: QuizRules
    bank_size: int
    topic_titles: dict[int, str]
    topics_completed: int
    unlocked: bool
    quiz_passed: bool
    best_score: float | None
    attempts_used: int
    extra_attempts: int
    cooldown_until: datetime | None
    open_attempt: UUID | None
    open_attempt_index: int = 0
    open_attempt_total: int = 0
    version: datetime | None = None  # the course's, as read: a re-import refuses decisions

    @property
    def topics(self) -> int:
        return len(self.topic_titles)


@dataclass(frozen=True)
class QuizStatus:
    record: ModuleQuizRecord
    gate: Gate
    reopens_at: datetime | None = None
    attempts_left: int | None = None  # None: unlimited

    @property
    def question_count(self) -> int:
        return min(self.record.rules.question_count, self.record.bank_size)


@dataclass(frozen=True)
class SectionResult:
    section: int
    topic_numbers: tuple[int, ...]
    correct: int
    total: int
    weak: bool


@dataclass(frozen=True)
class QuizResult:
    attempt_id: UUID
    course_id: UUID
    course_name: str
    module_no: int
    module_title: str
    status: AttemptStatus
    correct: int
    total: int
    score: float
    threshold: int
    sections: tuple[SectionResult, ...]
    topic_titles: dict[int, str]
    next_module: tuple[int, str] | None = None
    course_completed: bool = False
    cooldown_until: datetime | None = None
    attempts_left: int | None = None

    @property
    def passed(self) -> bool:
        return self.status is AttemptStatus.PASSED

    @property
    def percent(self) -> int:
        return round(self.score)


@dataclass(frozen=True)
class Finish:
    """What finishing an attempt does to the learner's progress, decided by the rules."""

    status: AttemptStatus
    score: float
    cooldown_until: datetime | None
    unlock_module: int | None
    complete_course: bool


@dataclass(frozen=True)
class AnswerOutcome:
    attempt: Attempt
    index: int
    question: Question
    choice: frozenset[int]
    correct: bool
    result: QuizResult | None = None

    @property
    def next_question(self) -> Question | None:
        return self.attempt.current


@dataclass(frozen=True)
class DueCooldown:
    """A cooldown that fell due and whose learner has not been told yet."""

    user_id: int
    course_id: UUID
    module_no: int
    course_name: str
    module_title: str
    cooldown_until: datetime
    active: bool  # False: enrollment not active, course withdrawn, bot blocked, passed
    attempts_left: int | None = None

    @property
    def key(self) -> CooldownKey:
        return CooldownKey(self.user_id, self.course_id, self.module_no)

    @property
    def worth_announcing(self) -> bool:
        return self.active and self.attempts_left != 0


@dataclass(frozen=True)
class CooldownKey:
    user_id: int
    course_id: UUID
    module_no: int


@dataclass(frozen=True)
class LiveQuestion:
    """The one message in a chat that shows the question an attempt waits for, with
    answer buttons. Showing the question elsewhere (/quiz, "Back to the quiz", a module's
    "Resume") moves it there: the copy left behind must stop taking answers."""

    attempt_id: UUID
    index: int
    message_id: int

    def left_behind(self, moved_to: LiveQuestion) -> bool:
        """Whether this copy still shows, with buttons, the question now shown elsewhere."""
        return (
            self.attempt_id == moved_to.attempt_id
            and self.index == moved_to.index
            and self.message_id != moved_to.message_id
        )


@dataclass
class Draw:
    """Randomness behind an attempt, injectable so tests can fix it."""

    rng: random.Random = field(default_factory=random.SystemRandom)


class QuizStore(Protocol):
    async def module_quiz(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> ModuleQuizRecord | None: ...

    async def module_with_quiz(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> tuple[LearnerCourse | None, ModuleQuizRecord | None]: ...

    async def question_bank(self, course_id: UUID, module_no: int) -> list[BankQuestion]: ...

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

    async def attempt(self, user_id: int, attempt_id: UUID) -> Attempt | None: ...

    async def open_attempts(self, user_id: int) -> list[Attempt]: ...

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

    async def claim_due_cooldowns(
        self, now: datetime, claim_until: datetime, limit: int
    ) -> list[DueCooldown]: ...

    async def mark_cooldowns_notified(self, keys: Iterable[CooldownKey], now: datetime) -> None: ...

    async def retry_cooldowns_later(self, keys: Iterable[CooldownKey], at: datetime) -> None: ...

    async def next_cooldown_due(self) -> datetime | None: ...


def question_kind(options: Sequence[tuple[str, bool]]) -> QuestionKind:
    texts = tuple(text.strip().casefold() for text, _ in options)
    if texts == TRUE_FALSE or texts == TRUE_FALSE[::-1]:
        return QuestionKind.TRUE_FALSE
    if sum(correct for _, correct in options) > 1:
        return QuestionKind.MULTIPLE
    return QuestionKind.SINGLE


def freeze(question: BankQuestion, rng: random.Random) -> Question:
    """Fix one question for one attempt; true/false keeps its natural order."""
    kind = question_kind(question.options)
    options = list(question.options)
    if kind is QuestionKind.TRUE_FALSE:
        options.sort(key=lambda o: o[0].strip().casefold() != "true")
    else:
        rng.shuffle(options)
    return Question(
        key=question.key,
        section=question.section,
        text=question.text,
        explanation=question.explanation,
        kind=kind,
        options=tuple(text for text, _ in options),
        correct=frozenset(i for i, (_, correct) in enumerate(options) if correct),
    )


def draw_questions(bank: Sequence[BankQuestion], count: int, rng: random.Random) -> list[Question]:
    """At most `count` questions, taken in turns from every section so each is covered."""
    sections: dict[int, list[BankQuestion]] = defaultdict(list)
    for question in bank:
        sections[question.section].append(question)
    order = list(sections)
    rng.shuffle(order)
    for questions in sections.values():
        rng.shuffle(questions)
    chosen: list[BankQuestion] = []
    while len(chosen) < count and any(sections.values()):
        for section in order:
            if sections[section] and len(chosen) < count:
                chosen.append(sections[section].pop())
    rng.shuffle(chosen)
    return [freeze(q, rng) for q in chosen]


def section_topics(section: int, topic_numbers: Iterable[int]) -> tuple[int, ...]:
    return tuple(t for t in sorted(topic_numbers) if (t - 1) // 2 == section)


def score_of(correct: int, total: int) -> float:
    return 0.0 if total == 0 else round(100 * correct / total, 2)


def passes(correct: int, total: int, threshold: int) -> bool:
    return total > 0 and correct * 100 >= threshold * total


def remaining_attempts(limit: int, extra: int, used: int) -> int | None:
    """Attempts the learner may still start; None when the course sets no limit."""
    if limit == 0:
        return None
    return max(limit + extra - used, 0)


def attempts_left(record: ModuleQuizRecord) -> int | None:
    return remaining_attempts(
        record.rules.attempts_limit, record.extra_attempts, record.attempts_used
    )


def gate(record: ModuleQuizRecord, now: datetime) -> QuizStatus:
    left = attempts_left(record)
    if record.bank_size == 0:
        return QuizStatus(record, Gate.NO_QUIZ)
    if not record.unlocked:
        return QuizStatus(record, Gate.MODULE_LOCKED, attempts_left=left)
    if record.quiz_passed:
        return QuizStatus(record, Gate.PASSED, attempts_left=left)
    if record.open_attempt is not None:
        return QuizStatus(record, Gate.IN_PROGRESS, attempts_left=left)
    if record.cooldown_until is not None and record.cooldown_until > now:
        return QuizStatus(record, Gate.COOLDOWN, record.cooldown_until, left)
    if left == 0:
        return QuizStatus(record, Gate.NO_ATTEMPTS_LEFT, attempts_left=0)
    if record.rules.requires_topics and record.topics_completed < record.topics:
        return QuizStatus(record, Gate.TOPICS_PENDING, attempts_left=left)
    return QuizStatus(record, Gate.OPEN, attempts_left=left)


def section_results(
    attempt: Attempt,
    answers: dict[int, tuple[int, ...]],
    threshold: int,
    topic_numbers: Iterable[int],
) -> tuple[SectionResult, ...]:
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for index, question in enumerate(attempt.questions):
        right = index in answers and question.is_right(frozenset(answers[index]))
        totals[question.section][0] += int(right)
        totals[question.section][1] += 1
    numbers = list(topic_numbers)
    return tuple(
        SectionResult(
            section,
            section_topics(section, numbers),
            correct,
            total,
            weak=not passes(correct, total, threshold),
        )
        for section, (correct, total) in sorted(totals.items())
    )


def plan_finish(
    record: ModuleQuizRecord, correct: int, total: int, now: datetime, *, abandoned: bool = False
) -> Finish:
    score = score_of(correct, total)
    if not abandoned and passes(correct, total, record.rules.pass_threshold):
        last = record.module_no >= record.last_module_no
        return Finish(
            AttemptStatus.PASSED,
            score,
            None,
            None if last else record.module_no + 1,
            complete_course=last,
        )
    cooldown = record.rules.cooldown
    return Finish(
        AttemptStatus.ABANDONED if abandoned else AttemptStatus.FAILED,
        score,
        now + cooldown if cooldown else None,
        None,
        complete_course=False,
    )


class QuizService:
    """Quiz use cases.

    Running attempts this process started, resumed or last answered are remembered, so an
    answer costs one round trip: the compare-and-set write. Memory can only be behind the
    database (another replica or device answered, or abandoned), never ahead of it, and a
    write from a stale copy finds the state moved on; then the attempt is read again and the
    answer decided afresh. Nothing is ever decided from memory alone.
    """

    def __init__(
        self,
        store: QuizStore,
        *,
        clock: Clock = utc_now,
        draw: Draw | None = None,
        remember: int = 4096,
    ) -> None:
        self._store = store
        self._clock = clock
        self._rng = (draw or Draw()).rng
        self._remember = remember
        self._running_attempts: OrderedDict[UUID, Attempt] = OrderedDict()
        self._started_under: dict[UUID, ModuleQuizRecord] = {}
        self._shown: OrderedDict[tuple[int, UUID, int], ModuleQuizRecord] = OrderedDict()

    def now(self) -> datetime:
        return self._clock()

    async def status(self, user_id: int, course_id: UUID, module_no: int) -> QuizStatus:
        record = await self._record(user_id, course_id, module_no)
        self._saw(user_id, record)
        return gate(record, self._clock())

    async def module(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> tuple[ModuleView, QuizStatus | None]:
        """A module's screen and, when it has a quiz, the quiz's state: one read for both."""
        state, record = await self._store.module_with_quiz(user_id, course_id, module_no)
        view = module_view(state, module_no, self._clock())
        if not view.module.has_quiz or record is None:
            return view, None
        self._saw(user_id, record)
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
        shown = self._shown.pop((user_id, course_id, module_no), None)
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
                raise QuizUnavailable(unavailable_reason(status), status)
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
                    Attempt(
                        attempt_id,
                        user_id,
                        course_id,
                        module_no,
                        tuple(questions),
                        answers={},
                        current_index=0,
                        correct_count=0,
                        status=AttemptStatus.IN_PROGRESS,
                        started_at=now,
                    ),
                    replace(  # the record as the start left it
                        record,
                        attempts_used=record.attempts_used + 1,
                        open_attempt=attempt_id,
                        cooldown_until=None,
                    ),
                )
                return started, True
            # Someone (another device, a replayed update) changed the state first: look again.
        raise QuizUnavailable("The quiz is busy starting elsewhere; please try again.")

    async def attempt(self, user_id: int, attempt_id: UUID) -> Attempt:
        attempt = await self._store.attempt(user_id, attempt_id)
        if attempt is None:
            raise NotFound("This quiz is no longer available.")
        return self._remembered(attempt)

    async def question_on_screen(self, user_id: int, attempt_id: UUID, index: int) -> Attempt:
        """The attempt to redraw question `index` (a ticked box): from memory when memory
        is at that question, since the answer that follows is checked against the database."""
        known = self._known(user_id, attempt_id)
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
        known = self._known(user_id, attempt_id)
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
            raise AnswerRejected("You already answered that question.")
        return outcome

    async def _recorded(self, user_id: int, attempt_id: UUID, index: int) -> AnswerOutcome:
        """The outcome of an answer stored earlier, rebuilt from the stored attempt."""
        attempt = await self.attempt(user_id, attempt_id)
        question = attempt.questions[index]
        picked = frozenset(attempt.answers[index])
        result = None
        if attempt.status is not AttemptStatus.IN_PROGRESS and index + 1 == attempt.total:
            record = await self._record(user_id, attempt.course_id, attempt.module_no)
            passed = attempt.status is AttemptStatus.PASSED
            last = record.module_no >= record.last_module_no
            finish = Finish(
                attempt.status,
                score_of(attempt.correct_count, attempt.total),
                record.cooldown_until,
                record.module_no + 1 if passed and not last else None,
                complete_course=passed and last,
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
                "You already answered that question."
                if index < attempt.current_index
                else "That question isn't open yet."
            )
        question = attempt.questions[index]
        picked = frozenset(choice)
        if not picked or any(not 0 <= i < len(question.options) for i in picked):
            raise AnswerRejected("Pick an option first.")
        if question.kind is not QuestionKind.MULTIPLE and len(picked) != 1:
            raise AnswerRejected("Pick exactly one option.")
        right = question.is_right(picked)
        answers = {**attempt.answers, index: tuple(sorted(picked))}
        finish = result = record = None
        if index + 1 == attempt.total:
            record = self._started_under.get(attempt.id) or await self._record(
                user_id, attempt.course_id, attempt.module_no
            )
            correct = attempt.correct_count + int(right)
            finish = plan_finish(record, correct, attempt.total, self._clock())
            result = self._result(record, attempt, answers, correct, finish)
        now = self._clock()
        recorded = await self._store.record_answer(
            attempt, index, sorted(picked), right, finish, now, request_id, record
        )
        if not recorded:
            self._forget(attempt.id)
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
            finish = plan_finish(record, attempt.correct_count, attempt.total, now, abandoned=True)
            if await self._store.finish_attempt(attempt, finish, now, record):
                self._forget(attempt.id)
                return self._result(record, attempt, attempt.answers, attempt.correct_count, finish)
            # An answer landed in between (another device): score what is there now.
        raise AnswerRejected("The quiz is busy elsewhere; please try again.")

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
            raise NotFound("That module does not exist.")
        if record.enrollment_status is None:
            raise NotEnrolled("You are not enrolled in this course. Open it from /courses.")
        if record.enrollment_status == "suspended":
            raise NotEnrolled("Your enrollment in this course is suspended.")
        return record

    def _saw(self, user_id: int, record: ModuleQuizRecord) -> None:
        key = (user_id, record.course_id, record.module_no)
        self._shown[key] = record
        self._shown.move_to_end(key)
        while len(self._shown) > self._remember:
            self._shown.popitem(last=False)

    def _known(self, user_id: int, attempt_id: UUID) -> Attempt | None:
        attempt = self._running_attempts.get(attempt_id)
        if attempt is None or attempt.user_id != user_id:  # never serve another's attempt
            return None
        self._running_attempts.move_to_end(attempt_id)
        return attempt

    def _remembered(
        self, attempt: Attempt, started_under: ModuleQuizRecord | None = None
    ) -> Attempt:
        """`started_under`: the module's record as the attempt began, so the last answer
        can finish it without reading it again (the write is guarded by what it holds)."""
        if attempt.status is not AttemptStatus.IN_PROGRESS:
            self._forget(attempt.id)
            return attempt
        self._running_attempts[attempt.id] = attempt
        self._running_attempts.move_to_end(attempt.id)
        if started_under is not None:
            self._started_under[attempt.id] = started_under
        while len(self._running_attempts) > self._remember:
            self._forget(next(iter(self._running_attempts)))
        return attempt

    def _forget(self, attempt_id: UUID) -> None:
        self._running_attempts.pop(attempt_id, None)
        self._started_under.pop(attempt_id, None)

    async def _running(self, user_id: int, attempt_id: UUID) -> Attempt:
        attempt = await self.attempt(user_id, attempt_id)
        if attempt.status is not AttemptStatus.IN_PROGRESS:
            raise AnswerRejected("This quiz is already finished.")
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
            course_completed=finish.complete_course,
            cooldown_until=finish.cooldown_until,
            attempts_left=attempts_left(record),
        )


def unavailable_reason(status: QuizStatus) -> str:
    record = status.record
    module = f"Module {record.module_no}"
    match status.gate:
        case Gate.NO_QUIZ:
            return f"{module} has no quiz."
        case Gate.MODULE_LOCKED:
            return f"{module} is locked: pass the Module {record.module_no - 1} quiz first."
        case Gate.PASSED:
            return f"You already passed the {module} quiz."
        case Gate.COOLDOWN:
            return f"The {module} quiz is cooling down; it reopens later."
        case Gate.NO_ATTEMPTS_LEFT:
            return f"No attempts left for the {module} quiz; please ask a tutor for more."
        case Gate.TOPICS_PENDING:
            return (
                f"Finish the topics of {module} first "
                f"({record.topics_completed}/{record.topics} done)."
            )
    return "The quiz is not available right now."
