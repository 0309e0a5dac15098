"""The learner's journey as values: courses, modules, topics, enrollments, progress."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple
from uuid import UUID

from domain.personas import Persona
from domain.progress import Advance


class ModuleState(StrEnum):
    """Where a learner stands in a module, topics and quiz together: the one notion every
    screen (course menu, module, /progress, /quiz, the staff's /learner) words the same way."""

    LOCKED = "locked"
    UNLOCKED = "unlocked"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"  # every topic done; with a quiz: the quiz is to take
    QUIZ_RUNNING = "quiz_running"
    QUIZ_COOLDOWN = "quiz_cooldown"  # failed (or abandoned): reopens at `cooldown_until`
    NO_ATTEMPTS = "no_attempts"  # failed with every attempt used
    QUIZ_PASSED = "quiz_passed"


class EnrollOutcome(StrEnum):
    ENROLLED = "enrolled"
    ALREADY = "already"
    SUSPENDED = "suspended"
    GATED = "gated"  # a prerequisite is not completed: nothing written


@dataclass(frozen=True)
class Prerequisite:
    """A course to complete first, and whether this learner has (domain.prerequisites)."""

    id: UUID
    slug: str
    name: str
    completed: bool
    published: bool = True  # unpublished, it still gates but has no card to open


@dataclass(frozen=True)
class CourseInfo:
    id: UUID
    slug: str
    name: str
    description: str
    category: str
    level: str
    price_cents: int
    currency: str
    modules: int
    topics: int
    # Topics with their own retelling, per persona that has variants (the rest read the
    # default text in that persona).
    variants: Mapping[Persona, int] = field(default_factory=dict)
    ratings: int = 0  # visible ratings
    rating: float | None = None  # their average, None below domain.ratings.SHOWN_FROM
    requires: tuple[Prerequisite, ...] = ()  # in the pack's order, with the learner's state

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    def persona_topics(self, persona: Persona) -> int:
        """How many topics the persona has its own telling of (normal: every topic)."""
        return self.topics if persona is Persona.NORMAL else self.variants.get(persona, 0)

    @property
    def personas(self) -> tuple[Persona, ...]:
        """The personas worth offering: those the course has something written for."""
        return tuple(p for p in Persona if self.persona_topics(p) > 0 or p is Persona.NORMAL)


@dataclass(frozen=True)
class ModuleRecord:
    """A module as stored, joined with one learner's progress in it."""

    number: int
    title: str
    description: str
    topics: int
    completed: int
    unlocked: bool
    quiz_passed: bool
    has_quiz: bool
    quiz_running: bool = False
    cooldown_until: datetime | None = None
    out_of_attempts: bool = False  # the course limits attempts and all were used


@dataclass(frozen=True)
class ModuleStatus:
    number: int
    title: str
    description: str
    topics: int
    completed: int
    state: ModuleState
    has_quiz: bool = True
    cooldown_until: datetime | None = None  # with QUIZ_COOLDOWN: when the quiz reopens

    @property
    def percent(self) -> int:
        return percent(self.completed, self.topics)

    @property
    def is_open(self) -> bool:
        return self.state is not ModuleState.LOCKED


@dataclass(frozen=True)
class TopicRecord:
    id: UUID
    module_no: int
    number: int
    title: str
    text: str
    variants: dict[Persona, str | None]
    ppt_url: str | None
    video_url: str | None


@dataclass(frozen=True)
class TopicMark:
    number: int
    title: str
    completed: bool


@dataclass(frozen=True)
class Enrollment:
    course: CourseInfo
    status: str
    persona: Persona | None


@dataclass(frozen=True)
class CourseProgress:
    course: CourseInfo
    persona: Persona | None
    modules: tuple[ModuleStatus, ...]
    completed_course: bool = False  # the last module's quiz was passed

    @property
    def completed(self) -> int:
        return sum(m.completed for m in self.modules)

    @property
    def topics(self) -> int:
        return sum(m.topics for m in self.modules)

    @property
    def percent(self) -> int:
        return percent(self.completed, self.topics)


@dataclass(frozen=True)
class ModuleView:
    course: CourseInfo
    module: ModuleStatus
    topics: tuple[TopicMark, ...]


@dataclass(frozen=True)
class TopicView:
    course: CourseInfo
    module: ModuleStatus
    topic: TopicRecord
    persona: Persona
    text: str
    completed: bool
    topic_count: int
    has_previous: bool
    has_next: bool
    told_in_persona: bool = True  # False: no retelling for the persona, the default text


class TopicCompleted(NamedTuple):
    """What marking a topic done did: the topic's screen, whether this press completed it,
    and what finishing its module did (see domain.progress), if it finished one now."""

    view: TopicView
    newly: bool
    outcome: Advance | None = None


@dataclass(frozen=True)
class Position:
    module_no: int
    topic_number: int


@dataclass(frozen=True)
class OpenTopic:
    """A topic of an unlocked module, by number and title."""

    module_no: int
    number: int
    title: str


@dataclass(frozen=True)
class Continue:
    """Where "Continue" takes the learner: a topic (named), or, with every open topic done,
    the quiz of the module (`topic_number` None) that still waits for it."""

    module_no: int
    topic_number: int | None
    title: str


Resume = Continue | None


def percent(done: int, total: int) -> int:
    return 0 if total == 0 else round(100 * done / total)


@dataclass(frozen=True)
class LearnerCourse:
    """One learner in one course, as read in one go: enrollment, every module's progress,
    and the marks of one module's topics (empty when no module was asked for)."""

    enrollment: Enrollment
    modules: tuple[ModuleRecord, ...]
    marks: tuple[TopicMark, ...]
    last: Position | None = None  # the topic visited or completed most recently
    unfinished: tuple[OpenTopic, ...] = ()  # topics of unlocked modules not completed yet

    def with_completed(self, module_no: int, number: int) -> LearnerCourse:
        """The same learner right after completing a topic (no need to read it again)."""
        modules = tuple(
            replace(m, completed=m.completed + 1) if m.number == module_no else m
            for m in self.modules
        )
        marks = tuple(replace(k, completed=True) if k.number == number else k for k in self.marks)
        unfinished = tuple(
            t for t in self.unfinished if (t.module_no, t.number) != (module_no, number)
        )
        return LearnerCourse(
            self.enrollment, modules, marks, Position(module_no, number), unfinished
        )
