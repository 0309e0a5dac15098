"""The learner's journey, use case by use case."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.clock import Clock, utc_now
from domain.errors import NotEnrolled, NotFound, PersonaUnavailable, PrerequisitesMissing, Reason
from domain.learning.model import (
    CourseInfo,
    CourseProgress,
    Enrollment,
    EnrollOutcome,
    LearnerCourse,
    ModuleState,
    Resume,
    TopicCompleted,
    TopicView,
)
from domain.learning.ports import LearningStore
from domain.learning.rules import (
    continue_from,
    enrolled_state,
    open_module,
    progress_of,
    progress_of_each,
)
from domain.paths import PathSummary
from domain.personas import Persona, text_for
from domain.prerequisites import missing
from domain.progress import Advance, ModuleUnlocked, module_finished


class LearningService:
    def __init__(self, store: LearningStore, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    async def catalog_for(
        self, user_id: int
    ) -> tuple[list[CourseInfo], frozenset[UUID], list[PathSummary]]:
        """The published courses, which of them the learner is enrolled in, and the
        learning paths (domain.paths), read together."""
        listed, paths = await self._store.shelf(user_id)
        mine = frozenset(c.id for c, enrolled in listed if enrolled)
        return [course for course, _ in listed], mine, paths

    async def course_card(self, user_id: int, course_id: UUID) -> tuple[CourseInfo, bool]:
        """A published course and whether the learner is enrolled in it."""
        found = await self._store.catalog(user_id, course_id)
        if not found:
            raise NotFound(Reason.COURSE_GONE)
        return found[0]

    async def course_by_slug(self, slug: str, user_id: int | None = None) -> CourseInfo | None:
        """A published course; given the learner, with their prerequisites' state."""
        return await self._store.course_by_slug(slug, user_id)

    async def my_courses(self, user_id: int) -> list[CourseProgress]:
        return progress_of_each(await self._store.learner_courses(user_id), self._clock())

    async def enroll(self, user_id: int, course_id: UUID) -> tuple[EnrollOutcome, Enrollment]:
        """Enrol (once); refused while a prerequisite is not completed, unless the learner
        is enrolled already (a requirement added later does not throw anyone out). The
        store enrols only then, in the statement that reads the prerequisites."""
        enrolled = await self._store.ensure_enrollment(user_id, course_id)
        if enrolled is None:
            raise NotFound(Reason.COURSE_GONE)
        if enrolled[0] is EnrollOutcome.SUSPENDED:
            raise NotEnrolled(Reason.SUSPENDED_ON_ENROLL)
        if enrolled[0] is EnrollOutcome.GATED:
            course = enrolled[1].course
            raise PrerequisitesMissing(course.name, missing(course))
        return enrolled

    async def choose_persona(
        self, user_id: int, course_id: UUID, persona: Persona
    ) -> tuple[CourseProgress, Resume]:
        """Save the persona; returns the course menu that follows, from the same read. A
        persona the course has nothing written for is not offered, and refused if forged
        (the store writes only a persona with something written for it)."""
        state = enrolled_state(await self._store.choose_persona(user_id, course_id, persona))
        course = state.enrollment.course
        if persona not in course.personas:
            raise PersonaUnavailable(course.name, persona.value)
        return progress_of(state, self._clock()), continue_from(state, self._clock())

    async def enrollment(self, user_id: int, course_id: UUID) -> Enrollment:
        return await self._active(user_id, course_id)

    async def progress(self, user_id: int, course_id: UUID) -> CourseProgress:
        return progress_of(await self._state(user_id, course_id, None), self._clock())

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
            view = await self._view_of(enrolled_state(state), module_no, number)
        if topic is None or view.topic.id != topic.id:  # re-imported since the cache was read
            await self._store.record_visit(user_id, view.topic.id, chat_id, page)
        return view

    async def complete_topic(
        self, user_id: int, course_id: UUID, module_no: int, number: int
    ) -> TopicCompleted:
        """Mark a topic done: its screen, whether this call completed it, and what that
        did to the course (`domain.progress`): the last topic of a module without a quiz
        finishes the module, which opens the next one or completes the course."""
        now = self._clock()
        topic = await self._store.topic(course_id, module_no, number)
        if topic is None:
            state, newly = await self._state(user_id, course_id, module_no), False
        else:
            found, newly = await self._store.complete_and_read(user_id, course_id, topic, now)
            state = enrolled_state(found)
        view = await self._view_of(state, module_no, number)
        if topic is None or view.topic.id != topic.id:  # re-imported since the cache was read
            newly = await self._store.complete_topic(user_id, view.topic.id, now)
        if newly:
            view = await self._view_of(state.with_completed(module_no, number), module_no, number)
        outcome = None
        if view.module.state is ModuleState.COMPLETED and not view.module.has_quiz:
            last = max(m.number for m in state.modules)
            outcome = await self._apply(module_finished(user_id, course_id, module_no, last, now))
        return TopicCompleted(view, newly, outcome)

    async def _apply(self, advance: Advance) -> Advance | None:
        """Store what finishing a module decided; the outcome when this call changed
        anything (a module already open or a course already completed returns None)."""
        if isinstance(advance, ModuleUnlocked):
            done = await self._store.unlock_module(
                advance.user_id, advance.course_id, advance.module_no, advance.at
            )
        else:
            done = await self._store.complete_enrollment(
                advance.user_id, advance.course_id, advance.at
            )
        return advance if done else None

    async def course_overview(self, user_id: int, course_id: UUID) -> tuple[CourseProgress, Resume]:
        """The course's progress and where to continue, from one read of the state."""
        state = await self._state(user_id, course_id, None)
        return progress_of(state, self._clock()), continue_from(state, self._clock())

    async def _topic_view(
        self, user_id: int, course_id: UUID, module_no: int, number: int
    ) -> TopicView:
        return await self._view_of(
            await self._state(user_id, course_id, module_no), module_no, number
        )

    async def _view_of(self, state: LearnerCourse, module_no: int, number: int) -> TopicView:
        progress = progress_of(state, self._clock())
        module = open_module(progress, module_no)
        topic = await self._store.topic(progress.course.id, module_no, number)
        if topic is None:
            raise NotFound(Reason.TOPIC_GONE)
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
        return enrolled_state(await self._store.learner_course(user_id, course_id, module_no))

    async def _active(self, user_id: int, course_id: UUID) -> Enrollment:
        enrollment = await self._store.enrollment(user_id, course_id)
        if enrollment is None:
            raise NotEnrolled()
        if enrollment.status == "suspended":
            raise NotEnrolled(Reason.SUSPENDED)
        return enrollment
