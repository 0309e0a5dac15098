"""Courses as staff see them: publishing, unpublishing and archiving (drafts and archived
courses are invisible to learners), and the learners' progress as a CSV file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain.admin import Action, AdminService, NotAllowed
from domain.errors import NotFound, Reason
from domain.users import Role


class Visibility(StrEnum):
    PUBLISHED = "published"
    DRAFT = "draft"
    ARCHIVED = "archived"


class Change(StrEnum):
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    ARCHIVE = "archive"


@dataclass(frozen=True)
class CourseRow:
    id: UUID
    slug: str
    name: str
    visibility: Visibility
    learners: int


@dataclass(frozen=True)
class ProgressRow:
    user_id: int
    username: str | None
    name: str
    status: str
    persona: str | None
    enrolled_at: datetime
    completed_at: datetime | None
    module_no: int
    topics_done: int
    topics: int
    quiz_passed: bool
    best_score: float | None
    attempts: int
    typed_used: int


class CourseAdminStore(Protocol):
    async def courses(self) -> list[CourseRow]: ...

    async def course(self, course_id: UUID) -> CourseRow | None: ...

    async def set_visibility(self, course_id: UUID, change: Change, now: datetime) -> None: ...

    async def progress_rows(self, course_id: UUID) -> list[ProgressRow]: ...


CSV_COLUMNS = (
    "user_id",
    "username",
    "name",
    "enrollment",
    "persona",
    "enrolled_at",
    "completed_at",
    "module",
    "topics_done",
    "topics",
    "quiz_passed",
    "best_score",
    "quiz_attempts",
    "typed_questions",
)


def to_csv(rows: list[ProgressRow]) -> bytes:
    """One row per learner and module. Spreadsheet formulas are neutralised: a cell that
    starts with = + - @ is prefixed with a quote, so a name can't run in Excel."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.user_id,
                _cell(r.username or ""),
                _cell(r.name),
                r.status,
                r.persona or "",
                r.enrolled_at.isoformat(timespec="seconds"),
                r.completed_at.isoformat(timespec="seconds") if r.completed_at else "",
                r.module_no,
                r.topics_done,
                r.topics,
                "yes" if r.quiz_passed else "no",
                "" if r.best_score is None else round(r.best_score, 2),
                r.attempts,
                r.typed_used,
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


class CourseAdminService:
    def __init__(self, store: CourseAdminStore, admin: AdminService) -> None:
        self._store = store
        self._admin = admin

    async def overview(self, actor_id: int) -> list[CourseRow]:
        staff = await self._admin.require(actor_id, Action.COURSES)
        await self._admin.record(staff, Action.COURSES, "", "done", {})
        return await self._store.courses()

    async def change(
        self, actor_id: int, course_id: UUID, change: Change, now: datetime
    ) -> list[CourseRow]:
        staff = await self._admin.require(actor_id, Action.COURSES, str(course_id))
        if staff.role is not Role.ADMIN:
            raise NotAllowed
        course = await self._store.course(course_id)
        if course is None:
            raise NotFound(Reason.COURSE_DELETED)
        await self._store.set_visibility(course_id, change, now)
        await self._admin.record(
            staff, Action.COURSES, course.slug, "done", {"change": change.value}
        )
        return await self._store.courses()

    async def export(self, actor_id: int, slug: str) -> tuple[str, bytes, int]:
        """(file name, CSV bytes, learners) of one course's progress."""
        staff, course = await self._admin.authorise(actor_id, Action.EXPORT, slug, slug)
        assert course is not None
        rows = await self._store.progress_rows(course.id)
        learners = len({r.user_id for r in rows})
        await self._admin.record(staff, Action.EXPORT, slug, "done", {"learners": learners})
        return f"{course.slug}-progress.csv", to_csv(rows), learners
