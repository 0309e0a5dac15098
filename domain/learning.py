"""The learner's journey: catalog, enrollment, personas, modules and topics, progress.

Every use case re-checks access against stored state (the learner owns an active
enrollment, the module is unlocked, the topic exists), because the requests come from
buttons whose data the client can forge or replay long after the fact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain.personas import Persona, text_for


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


def module_state(record: ModuleRecord, now: datetime) -> ModuleState:
    """The quiz's state wins over the topics' once the quiz has been started: a failed
    quiz's module is waiting for its retry, not simply "completed"."""
    if not record.unlocked:
        return ModuleState.LOCKED
    if record.has_quiz:
        if record.quiz_passed:
            return ModuleState.QUIZ_PASSED
        if record.quiz_running:
            return ModuleState.QUIZ_RUNNING
        if record.cooldown_until is not None and record.cooldown_until > now:
            return ModuleState.QUIZ_COOLDOWN
        if record.out_of_attempts:
            return ModuleState.NO_ATTEMPTS
    elif record.quiz_passed:
        return ModuleState.QUIZ_PASSED
    if record.topics and record.completed >= record.topics:
        return ModuleState.COMPLETED
    if record.completed:
        return ModuleState.IN_PROGRESS
    return ModuleState.UNLOCKED


class LearningStore(Protocol):
    async def catalog(
        self, user_id: int, course_id: UUID | None = None
    ) -> list[tuple[CourseInfo, bool]]: ...

    async def home(self, user_id: int) -> tuple[list[LearnerCourse], list[CourseInfo]]: ...

    async def course_by_slug(self, slug: str) -> CourseInfo | None: ...

    async def enrollment(self, user_id: int, course_id: UUID) -> Enrollment | None: ...

    async def ensure_enrollment(
        self, user_id: int, course_id: UUID
    ) -> tuple[EnrollOutcome, Enrollment] | None: ...

    async def choose_persona(
        self, user_id: int, course_id: UUID, persona: Persona
    ) -> LearnerCourse | None: ...

    async def learner_course(
        self, user_id: int, course_id: UUID, module_no: int | None
    ) -> LearnerCourse | None: ...

    async def learner_courses(self, user_id: int) -> list[LearnerCourse]: ...

    async def topic_marks(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> list[TopicMark]: ...

    async def topic(self, course_id: UUID, module_no: int, number: int) -> TopicRecord | None: ...

    async def visit_topic(
        self, user_id: int, chat_id: int, course_id: UUID, topic: TopicRecord, page: int
    ) -> LearnerCourse | None: ...

    async def complete_and_read(
        self, user_id: int, course_id: UUID, topic: TopicRecord
    ) -> tuple[LearnerCourse | None, bool]: ...

    async def record_visit(self, user_id: int, topic_id: UUID, chat_id: int, page: int) -> None: ...

    async def complete_topic(self, user_id: int, topic_id: UUID) -> bool: ...

    async def unlock_module(self, user_id: int, course_id: UUID, module_no: int) -> bool: ...

    async def complete_enrollment(self, user_id: int, course_id: UUID) -> None: ...


class LearningService:
    def __init__(
        self, store: LearningStore, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._store = store
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    async def catalog_for(self, user_id: int) -> tuple[list[CourseInfo], frozenset[UUID]]:
        """The published courses and which of them the learner is enrolled in."""
        listed = await self._store.catalog(user_id)
        return [course for course, _ in listed], frozenset(c.id for c, mine in listed if mine)

    async def course_card(self, user_id: int, course_id: UUID) -> tuple[CourseInfo, bool]:
        """A published course and whether the learner is enrolled in it."""
        found = await self._store.catalog(user_id, course_id)
        if not found:
            raise NotFound("That course is no longer available.")
        return found[0]

    async def course_by_slug(self, slug: str) -> CourseInfo | None:
        return await self._store.course_by_slug(slug)

    async def home(self, user_id: int) -> tuple[list[CourseProgress], list[CourseInfo]]:
        """The learner's courses and the catalog, read together."""
        mine, catalog = await self._store.home(user_id)
        return _progress_of_each(mine, self._clock()), catalog

    async def my_courses(self, user_id: int) -> list[CourseProgress]:
        return _progress_of_each(await self._store.learner_courses(user_id), self._clock())

    async def enroll(self, user_id: int, course_id: UUID) -> tuple[EnrollOutcome, Enrollment]:
        enrolled = await self._store.ensure_enrollment(user_id, course_id)
        if enrolled is None:
            raise NotFound("That course is no longer available.")
        if enrolled[0] is EnrollOutcome.SUSPENDED:
            raise NotEnrolled(
                "Your enrollment in this course is suspended; please contact support."
            )
        return enrolled

    async def choose_persona(
        self, user_id: int, course_id: UUID, persona: Persona
    ) -> tuple[CourseProgress, Resume]:
        """Save the persona; returns the course menu that follows, from the same read. A
        persona the course has nothing written for is not offered, and refused if forged
        (the store writes only a persona with something written for it)."""
        state = _checked(await self._store.choose_persona(user_id, course_id, persona))
        course = state.enrollment.course
        if persona not in course.personas:
            raise AccessDenied(f"{course.name} has no {persona.value} version yet.")
        return _progress_of(state, self._clock()), self._continue_from(state)

    async def enrollment(self, user_id: int, course_id: UUID) -> Enrollment:
        return await self._active(user_id, course_id)

    async def progress(self, user_id: int, course_id: UUID) -> CourseProgress:
        return _progress_of(await self._state(user_id, course_id, None), self._clock())

    async def open_topic(
        self, user_id: int, chat_id: int, course_id: UUID, module_no: int, number: int, page: int
    ) -> TopicView:
        """The topic's screen, its visit recorded in the round trip that reads the state
        (the store writes it only where these same rules allow the learner to be)."""
        topic = await self._store.topic(course_id, module_no, number)
        if topic is None:  # the refusal that applies (not enrolled, locked, gone) from the state
            view = await self._topic_view(user_id, course_id, module_no, number)
        else:
            state = await self._store.visit_topic(user_id, chat_id, course_id, topic, page)
            view = await self._view_of(_checked(state), module_no, number)
        if topic is None or view.topic.id != topic.id:  # re-imported since the cache was read
            await self._store.record_visit(user_id, view.topic.id, chat_id, page)
        return view

    async def complete_topic(
        self, user_id: int, course_id: UUID, module_no: int, number: int
    ) -> tuple[TopicView, bool]:
        """Mark a topic done; the flag says whether it was newly completed."""
        topic = await self._store.topic(course_id, module_no, number)
        if topic is None:
            state, newly = await self._state(user_id, course_id, module_no), False
        else:
            found, newly = await self._store.complete_and_read(user_id, course_id, topic)
            state = _checked(found)
        view = await self._view_of(state, module_no, number)
        if topic is None or view.topic.id != topic.id:  # re-imported since the cache was read
            newly = await self._store.complete_topic(user_id, view.topic.id)
        if newly:
            view = await self._view_of(state.with_completed(module_no, number), module_no, number)
        # A module without a quiz has nothing to pass: finishing it opens the next one, and
        # finishing the last one completes the course.
        if (
            view.module.state is ModuleState.COMPLETED
            and not view.module.has_quiz
            and not await self._store.unlock_module(user_id, course_id, module_no + 1)
        ):
            await self._store.complete_enrollment(user_id, course_id)
        return view, newly

    async def course_overview(self, user_id: int, course_id: UUID) -> tuple[CourseProgress, Resume]:
        """The course's progress and where to continue, from one read of the state."""
        state = await self._state(user_id, course_id, None)
        return _progress_of(state, self._clock()), self._continue_from(state)

    def _continue_from(self, state: LearnerCourse) -> Resume:
        """Where the learner should go next: the topic they left unfinished, else the next
        unfinished topic after it (then from the start) in an open module, else the quiz
        of the first open module not passed yet. None: nothing is left to do."""
        progress = _progress_of(state, self._clock())
        open_modules = [m for m in progress.modules if m.is_open]
        last = state.last
        start = (last.module_no, last.topic_number) if last is not None else (0, 0)
        left = list(state.unfinished)
        after = [t for t in left if (t.module_no, t.number) >= start]
        topic = (after or left or [None])[0]
        if topic is not None:
            return Continue(topic.module_no, topic.number, topic.title)
        waiting = (m for m in open_modules if m.has_quiz and m.state is not ModuleState.QUIZ_PASSED)
        quiz = next(waiting, None)
        return Continue(quiz.number, None, quiz.title) if quiz is not None else None

    async def _topic_view(
        self, user_id: int, course_id: UUID, module_no: int, number: int
    ) -> TopicView:
        return await self._view_of(
            await self._state(user_id, course_id, module_no), module_no, number
        )

    async def _view_of(self, state: LearnerCourse, module_no: int, number: int) -> TopicView:
        progress = _progress_of(state, self._clock())
        module = _open_module(progress, module_no)
        topic = await self._store.topic(progress.course.id, module_no, number)
        if topic is None:
            raise NotFound("That topic does not exist (any more).")
        persona = state.enrollment.persona or Persona.NORMAL
        return TopicView(
            course=progress.course,
            module=module,
            topic=topic,
            persona=persona,
            text=text_for(persona, topic.text, topic.variants),
            told_in_persona=persona is Persona.NORMAL or bool(topic.variants.get(persona)),
            completed=any(m.number == number and m.completed for m in state.marks),
            topic_count=len(state.marks),
            has_previous=number > 1,
            has_next=number < len(state.marks),
        )

    async def _state(self, user_id: int, course_id: UUID, module_no: int | None) -> LearnerCourse:
        return _checked(await self._store.learner_course(user_id, course_id, module_no))

    async def _active(self, user_id: int, course_id: UUID) -> Enrollment:
        enrollment = await self._store.enrollment(user_id, course_id)
        if enrollment is None:
            raise NotEnrolled("You are not enrolled in this course. Open it from /courses.")
        if enrollment.status == "suspended":
            raise NotEnrolled("Your enrollment in this course is suspended.")
        return enrollment


def module_view(state: LearnerCourse | None, module_no: int, now: datetime) -> ModuleView:
    """A module's screen from the learner's state read with its marks, or the refusal that
    applies: not enrolled, suspended, no such module, still locked."""
    checked = _checked(state)
    progress = _progress_of(checked, now)
    return ModuleView(progress.course, _open_module(progress, module_no), checked.marks)


def _checked(state: LearnerCourse | None) -> LearnerCourse:
    if state is None:
        raise NotEnrolled("You are not enrolled in this course. Open it from /courses.")
    if state.enrollment.status == "suspended":
        raise NotEnrolled("Your enrollment in this course is suspended.")
    return state


def _open_module(progress: CourseProgress, module_no: int) -> ModuleStatus:
    module = next((m for m in progress.modules if m.number == module_no), None)
    if module is None:
        raise NotFound("That module does not exist.")
    if not module.is_open:
        previous = module_no - 1
        raise ModuleLocked(
            f"Module {module_no} is locked: pass the Module {previous} quiz to unlock it."
        )
    return module


def _progress_of_each(states: list[LearnerCourse], now: datetime) -> list[CourseProgress]:
    """The courses a learner may see: a suspended enrollment is not listed."""
    return [_progress_of(s, now) for s in states if s.enrollment.status != "suspended"]


def _progress_of(state: LearnerCourse, now: datetime) -> CourseProgress:
    modules = tuple(module_status(r, now) for r in state.modules)
    return CourseProgress(
        state.enrollment.course,
        state.enrollment.persona,
        modules,
        completed_course=state.enrollment.status == "completed",
    )


def module_status(record: ModuleRecord, now: datetime) -> ModuleStatus:
    state = module_state(record, now)
    return ModuleStatus(
        record.number,
        record.title,
        record.description,
        record.topics,
        record.completed,
        state,
        record.has_quiz,
        record.cooldown_until if state is ModuleState.QUIZ_COOLDOWN else None,
    )
