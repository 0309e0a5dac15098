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

from domain.admin import Action, AdminService, Invalid, NotAllowed
from domain.cohorts import CohortFinder
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
    cohort: str | None = None  # the learner's current cohort in the course


class CourseAdminStore(Protocol):
    async def courses(self) -> list[CourseRow]: ...

    async def course(self, course_id: UUID) -> CourseRow | None: ...

    async def set_visibility(self, course_id: UUID, change: Change, now: datetime) -> None: ...

    async def progress_rows(
        self, course_id: UUID, cohort_id: UUID | None = None
    ) -> list[ProgressRow]:
        """Every learner's rows, or (`cohort_id`) those of the cohort's current members."""
        ...


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
    "cohort",
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
                _cell(r.cohort or ""),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


class CourseAdminService:
    def __init__(
        self, store: CourseAdminStore, admin: AdminService, cohorts: CohortFinder | None = None
    ) -> None:
        self._store = store
        self._admin = admin
        self._cohorts = cohorts

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

    async def export(
        self, actor_id: int, slug: str, cohort_ref: str | None = None
    ) -> tuple[str, bytes, int]:
        """(file name, CSV bytes, learners) of one course's progress, or of the current
        members of one of its cohorts (by name or code)."""
        target = f"{slug} {cohort_ref}"[:64] if cohort_ref else slug
        staff, course = await self._admin.authorise(actor_id, Action.EXPORT, target, slug)
        assert course is not None
        name = f"{course.slug}-progress.csv"
        detail: dict = {}
        if cohort_ref:
            ref = " ".join(cohort_ref.split())[:64]
            cohort = await self._cohorts.find(course.id, ref) if self._cohorts else None
            if cohort is None:
                await self._admin.record(staff, Action.EXPORT, target, "invalid", {"cohort": ref})
                raise Invalid(Reason.UNKNOWN_COHORT, name=ref)
            rows = await self._store.progress_rows(course.id, cohort.id)
            name = f"{course.slug}-{cohort.code}-progress.csv"
            detail["cohort"] = str(cohort.id)
        else:
            rows = await self._store.progress_rows(course.id)
        learners = len({r.user_id for r in rows})
        await self._admin.record(
            staff, Action.EXPORT, target, "done", {"learners": learners, **detail}
        )
        return name, to_csv(rows), learners
