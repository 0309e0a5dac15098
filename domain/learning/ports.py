"""What the learning service needs of storage, one Protocol per use: the catalog,
enrollments, a learner's state in a course with the visits and completions written with
it, and the writes of what finishing a module does (domain.progress)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.learning.model import (
    CourseInfo,
    Enrollment,
    EnrollOutcome,
    LearnerCourse,
    TopicRecord,
)
from domain.paths import PathSummary
from domain.personas import Persona


class Catalog(Protocol):
    async def catalog(
        self, user_id: int, course_id: UUID | None = None
    ) -> list[tuple[CourseInfo, bool]]: ...

    async def shelf(
        self, user_id: int
    ) -> tuple[list[tuple[CourseInfo, bool]], list[PathSummary]]: ...

    async def home(self, user_id: int) -> tuple[list[LearnerCourse], list[CourseInfo]]: ...

    async def course_by_slug(self, slug: str, user_id: int | None = None) -> CourseInfo | None: ...


class Enrollments(Protocol):
    async def enrollment(self, user_id: int, course_id: UUID) -> Enrollment | None: ...

    async def ensure_enrollment(
        self, user_id: int, course_id: UUID
    ) -> tuple[EnrollOutcome, Enrollment] | None: ...

    async def choose_persona(
        self, user_id: int, course_id: UUID, persona: Persona
    ) -> LearnerCourse | None: ...


class LearnerState(Protocol):
    """A learner's state in a course, read in one go, with the writes made in that read."""

    async def learner_course(
        self, user_id: int, course_id: UUID, module_no: int | None
    ) -> LearnerCourse | None: ...

    async def learner_courses(self, user_id: int) -> list[LearnerCourse]: ...

    async def topic(self, course_id: UUID, module_no: int, number: int) -> TopicRecord | None: ...

    async def visit_topic(
        self, user_id: int, chat_id: int, course_id: UUID, topic: TopicRecord, page: int
    ) -> LearnerCourse | None: ...

    async def complete_and_read(
        self, user_id: int, course_id: UUID, topic: TopicRecord, at: datetime
    ) -> tuple[LearnerCourse | None, bool]: ...

    async def record_visit(self, user_id: int, topic_id: UUID, chat_id: int, page: int) -> None: ...

    async def complete_topic(self, user_id: int, topic_id: UUID, at: datetime) -> bool: ...


class Advances(Protocol):
    """What finishing a module decided (domain.progress), written at the decision's time;
    True when the write changed anything."""

    async def unlock_module(
        self, user_id: int, course_id: UUID, module_no: int, at: datetime
    ) -> bool: ...

    async def complete_enrollment(self, user_id: int, course_id: UUID, at: datetime) -> bool: ...


class LearningStore(Catalog, Enrollments, LearnerState, Advances, Protocol):
    """The learner journey's tables (storage.learning.PgLearningStore)."""
