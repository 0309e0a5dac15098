"""How the courses are doing, for staff: learners, activity, the completion funnel per module,
quiz pass rates, typed questions and what learners ask most.

`/stats` is authorised and audited exactly like the other staff commands (domain.admin):
admins see every course; tutors the courses they are assigned to; anyone else gets the
neutral refusal. Every attempt leaves an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.admin import Action, AdminStore, CourseRef, Invalid, NotAllowed, Staff
from domain.clock import Clock, utc_now
from domain.cohorts import CohortFinder
from domain.errors import Reason
from domain.users import Role

ACTIVE_DAYS = 7
TOP_QUESTIONS = 5
STAGES = ("enrolled", "unlocked", "topics done", "quiz passed")
STATUSES = ("active", "suspended", "completed")


def share(part: int, whole: int) -> int | None:
    """`part` of `whole` as a whole percentage; None when there is nothing to divide by."""
    return round(100 * part / whole) if whole > 0 else None


@dataclass(frozen=True)
class ModuleFunnel:
    """One module's completion funnel and quiz record, counted over the course's enrollments.

    The stages are not strictly nested: a course with `quiz_requires_topics: false` lets a
    learner pass a quiz without finishing the topics, so each stage is counted on its own.
    """

    module_no: int
    title: str
    enrolled: int  # every enrollment in the course, whatever its status
    unlocked: int  # ... whose module is open (module 1 opens on enrollment)
    topics_done: int  # ... who completed every topic of the module
    quiz_passed: int  # ... who passed the module's quiz
    attempts_passed: int
    attempts_failed: int
    attempts_abandoned: int
    typed: int  # typed questions used in the module (sum of typed_count)

    @property
    def stages(self) -> tuple[int, int, int, int]:
        return (self.enrolled, self.unlocked, self.topics_done, self.quiz_passed)

    @property
    def attempts_finished(self) -> int:
        """Attempts that ended with a score; an abandoned attempt has none."""
        return self.attempts_passed + self.attempts_failed

    @property
    def pass_rate(self) -> int | None:
        """Passed attempts out of finished ones, in percent (None: no attempt finished)."""
        return share(self.attempts_passed, self.attempts_finished)


@dataclass(frozen=True)
class Figures:
    """Head counts over a set of enrollments (one course, or every course in view)."""

    learners: int  # distinct enrolled users
    active: int  # ... of whom active in the last ACTIVE_DAYS days
    by_status: dict[str, int]  # enrollments: active / suspended / completed

    @classmethod
    def none(cls) -> Figures:
        return cls(0, 0, dict.fromkeys(STATUSES, 0))


@dataclass(frozen=True)
class Ratings:
    """A course's visible ratings: how many, their sum, and how many have words."""

    count: int = 0
    total: int = 0
    reviews: int = 0

    @property
    def average(self) -> float | None:
        """Staff see the average from the first rating (learners from `SHOWN_FROM`)."""
        return round(self.total / self.count, 1) if self.count else None


@dataclass(frozen=True)
class CourseStats:
    course: CourseRef
    figures: Figures
    modules: tuple[ModuleFunnel, ...]
    ratings: Ratings = Ratings()

    @property
    def typed(self) -> int:
        return sum(m.typed for m in self.modules)


@dataclass(frozen=True)
class QuestionCount:
    text: str  # normalised: trimmed, lower case
    count: int


@dataclass(frozen=True)
class StatsReport:
    course: CourseRef | None  # None: every course the staff member may see
    role: Role
    since: datetime  # activity is counted from here
    totals: Figures
    courses: tuple[CourseStats, ...]
    top_questions: tuple[QuestionCount, ...]
    cohort: str | None = None  # only this cohort's members are counted

    @property
    def typed(self) -> int:
        return sum(c.typed for c in self.courses)


class StatsStore(Protocol):
    async def figures(
        self,
        courses: frozenset[UUID] | None,
        since: datetime,
        top: int,
        cohort: UUID | None = None,
    ) -> tuple[Figures, tuple[CourseStats, ...], tuple[QuestionCount, ...]]:
        """Everything for the courses given (None: all courses); with `cohort`, counting
        only its current members.

        A learner counts as *active* when, within the courses and since `since`, they
        enrolled, opened or completed a topic (topic_progress.updated_at), started or
        finished a quiz attempt, or typed/chose a question for the tutor. Profile changes
        (users.updated_at) are not activity: they say nothing about studying.
        """
        ...


class StatsService:
    def __init__(
        self,
        admin: AdminStore,
        store: StatsStore,
        *,
        clock: Clock = utc_now,
        cohorts: CohortFinder | None = None,
    ) -> None:
        self._admin = admin
        self._store = store
        self._clock = clock
        self._cohorts = cohorts

    async def require(self, actor_id: int, target: str = "") -> Staff:
        """Refuse (and audit) before even reading the arguments of the command."""
        staff = await self._admin.staff(actor_id)
        if not staff.may(Action.STATS):
            await self._audit(staff, target, "denied", {})
            raise NotAllowed
        return staff

    async def report(
        self, actor_id: int, slug: str | None = None, cohort_ref: str | None = None
    ) -> StatsReport:
        """One course's figures, or (no slug) those of every course the actor may see;
        with a cohort (by name or code) of that course, only its members'."""
        target = " ".join(part for part in (slug, cohort_ref) if part)
        staff = await self.require(actor_id, target)
        course: CourseRef | None = None
        if slug is not None:
            course = await self._admin.course(slug.strip().lower()[:64])
            if course is None:
                await self._audit(staff, target, "invalid", {"course": slug[:64]})
                raise Invalid(Reason.UNKNOWN_COURSE, name=slug[:64])
            if not staff.may(Action.STATS, course.id):
                await self._audit(staff, target, "denied", {"course": course.slug})
                raise NotAllowed
            scope: frozenset[UUID] | None = frozenset({course.id})
        else:
            cohort_ref = None
            scope = None if staff.role is Role.ADMIN else staff.tutor_of
        cohort = None
        if course is not None and cohort_ref:
            ref = " ".join(cohort_ref.split())[:64]
            cohort = await self._cohorts.find(course.id, ref) if self._cohorts else None
            if cohort is None:
                await self._audit(staff, target, "invalid", {"cohort": ref})
                raise Invalid(Reason.UNKNOWN_COHORT, name=ref)
        since = self._clock() - timedelta(days=ACTIVE_DAYS)
        if scope is not None and not scope:  # a tutor without courses
            totals, courses, top = Figures.none(), (), ()
        elif cohort is not None:
            totals, courses, top = await self._store.figures(scope, since, TOP_QUESTIONS, cohort.id)
        else:
            totals, courses, top = await self._store.figures(scope, since, TOP_QUESTIONS)
        detail = {"course": course.slug if course else "all", "courses": len(courses)}
        if cohort is not None:
            detail["cohort"] = str(cohort.id)
        await self._audit(staff, target, "done", detail)
        name = cohort.name if cohort else None
        return StatsReport(course, staff.role, since, totals, courses, top, name)

    async def _audit(self, staff: Staff, target: str, outcome: str, detail: dict) -> None:
        await self._admin.audit(staff.user_id, Action.STATS, target[:64], outcome, detail)
