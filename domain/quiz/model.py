"""A quiz's values: the question bank and frozen questions, attempts, a learner's
standing with a module's quiz, results and cooldowns."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.progress import Advance, CourseCompleted, ModuleUnlocked


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
    finished_at: datetime | None = None

    @classmethod
    def started(
        cls,
        attempt_id: UUID,
        user_id: int,
        course_id: UUID,
        module_no: int,
        questions: Iterable[Question],
        at: datetime,
    ) -> Attempt:
        """A new attempt, as its start stores it: at its first question, nothing answered."""
        return cls(
            attempt_id,
            user_id,
            course_id,
            module_no,
            tuple(questions),
            answers={},
            current_index=0,
            correct_count=0,
            status=AttemptStatus.IN_PROGRESS,
            started_at=at,
        )

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
    outcome: Advance | None = None  # what the pass did: see domain.progress
    cooldown_until: datetime | None = None
    attempts_left: int | None = None

    @property
    def passed(self) -> bool:
        return self.status is AttemptStatus.PASSED

    @property
    def course_completed(self) -> bool:
        return isinstance(self.outcome, CourseCompleted)

    @property
    def percent(self) -> int:
        return round(self.score)


@dataclass(frozen=True)
class Finish:
    """What finishing an attempt does to the learner's progress, decided by the rules."""

    status: AttemptStatus
    score: float
    cooldown_until: datetime | None
    advance: Advance | None = None  # a pass: the next module opens, or the course completes

    @property
    def unlock_module(self) -> int | None:
        return self.advance.module_no if isinstance(self.advance, ModuleUnlocked) else None

    @property
    def complete_course(self) -> bool:
        return isinstance(self.advance, CourseCompleted)


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
