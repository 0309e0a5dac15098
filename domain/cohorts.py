"""Cohorts: a course's learners in named groups, each with an invite link, tutors and
figures of its own (issue 23 part 3).

Staff (admins, tutors of the course) create, list and close a course's cohorts and name
their tutors, authorised and audited through `AdminService` like every staff command. A
learner joins by the invite deep link (`/start join_<code>`): enrolled first through the
learning use case (prerequisites, unpublished courses and suspensions apply as on the
course card), then put in the cohort. A learner is in at most one cohort of a course:
joining another moves them. Leaving ends the membership only; progress is the course's.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.admin import Action, AdminService, CourseRef, Invalid, Person, Staff
from domain.clock import Clock, utc_now
from domain.errors import AccessDenied, Reason
from domain.learning.model import Enrollment, EnrollOutcome
from domain.users import Role

JOIN_PREFIX = "join_"
MAX_NAME = 64
CODE_BYTES = 9  # 12 URL-safe characters: 72 random bits, "join_" + code is 17 of 64
_CODE = re.compile(r"[A-Za-z0-9_-]{8,40}")


@dataclass(frozen=True)
class Cohort:
    id: UUID
    course_id: UUID
    course_slug: str
    course_name: str
    name: str
    code: str
    closed: bool
    members: int = 0
    tutors: tuple[str, ...] = ()  # their names, for the lists


@dataclass(frozen=True)
class Membership:
    """A learner's current cohort in one course."""

    cohort_id: UUID
    name: str
    course_id: UUID
    course_name: str
    joined_at: datetime
    tutors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Joined:
    cohort: Cohort
    enrollment: Enrollment
    newly: bool  # False: already a member (a link opened twice, a re-delivered update)
    moved_from: str | None = None  # the cohort of the same course they were in before


def clean_name(text: str) -> str:
    """Spaces folded; 1 to MAX_NAME characters, else refused (the caller audits)."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME:
        raise Invalid(Reason.COHORT_NAME_LENGTH, limit=MAX_NAME)
    return name


def new_code(token: Callable[[int], str] = secrets.token_urlsafe) -> str:
    return token(CODE_BYTES)


def invite_code(parameter: str) -> str | None:
    """The code of a `/start join_<code>` parameter, or None when it can't be one."""
    if not parameter.startswith(JOIN_PREFIX):
        return None
    code = parameter[len(JOIN_PREFIX) :]
    return code if _CODE.fullmatch(code) else ""


class CohortStore(Protocol):
    async def create(
        self, course: CourseRef, name: str, code: str, actor_id: int, now: datetime
    ) -> Cohort | None:
        """None: the course has a cohort of that name (any case) already."""
        ...

    async def cohorts(self, course_id: UUID) -> list[Cohort]: ...

    async def find(self, course_id: UUID, ref: str) -> Cohort | None:
        """By name (any case) or invite code, in the course."""
        ...

    async def by_code(self, code: str) -> Cohort | None: ...

    async def close(self, cohort_id: UUID, now: datetime) -> bool: ...

    async def add_tutor(self, cohort_id: UUID, user_id: int) -> bool: ...

    async def join(
        self, cohort: Cohort, user_id: int, now: datetime
    ) -> tuple[bool, str | None] | None:
        """(newly joined, the name of the cohort left for it); None when it is closed."""
        ...

    async def memberships(self, user_id: int) -> list[Membership]: ...

    async def leave(self, user_id: int, cohort_id: UUID, now: datetime) -> bool: ...


class Enroller(Protocol):
    async def enroll(self, user_id: int, course_id: UUID) -> tuple[EnrollOutcome, Enrollment]: ...


class CohortFinder(Protocol):
    async def find(self, course_id: UUID, ref: str) -> Cohort | None: ...


class CohortService:
    def __init__(
        self,
        store: CohortStore,
        admin: AdminService,
        learning: Enroller,
        *,
        clock: Clock = utc_now,
        code: Callable[[], str] = new_code,
    ) -> None:
        self._store = store
        self._admin = admin
        self._learning = learning
        self._clock = clock
        self._code = code

    # -- staff -----------------------------------------------------------------------------

    async def create(self, actor_id: int, slug: str, name: str) -> Cohort:
        target = f"{slug} {name}"[:64]
        staff, course = await self._admin.authorise(actor_id, Action.COHORTS, target, slug)
        assert course is not None
        try:
            name = clean_name(name)
        except Invalid:
            await self._admin.record(staff, Action.COHORTS, target, "invalid", {"why": "name"})
            raise
        cohort = await self._store.create(course, name, self._code(), actor_id, self._clock())
        if cohort is None:
            await self._admin.record(staff, Action.COHORTS, target, "invalid", {"why": "taken"})
            raise Invalid(Reason.COHORT_NAME_TAKEN, name=name)
        detail = {"course": course.slug, "cohort": str(cohort.id), "created": True}
        await self._admin.record(staff, Action.COHORTS, target, "done", detail)
        return cohort

    async def list(self, actor_id: int, slug: str) -> tuple[CourseRef, list[Cohort]]:
        staff, course = await self._admin.authorise(actor_id, Action.COHORTS, slug, slug)
        assert course is not None
        cohorts = await self._store.cohorts(course.id)
        await self._admin.record(staff, Action.COHORTS, slug, "done", {"listed": len(cohorts)})
        return course, cohorts

    async def close(self, actor_id: int, slug: str, ref: str) -> tuple[Cohort, bool]:
        """(the cohort, whether this closed it)."""
        target = f"{slug} {ref}"[:64]
        staff, course = await self._admin.authorise(actor_id, Action.COHORTS, target, slug)
        assert course is not None
        cohort = await self._cohort(staff, Action.COHORTS, target, course, ref)
        closed = await self._store.close(cohort.id, self._clock())
        detail = {"course": course.slug, "cohort": str(cohort.id), "closed": closed}
        await self._admin.record(staff, Action.COHORTS, target, "done", detail)
        return cohort, closed

    async def add_tutor(
        self, actor_id: int, slug: str, ref: str, person_ref: str
    ) -> tuple[Cohort, Person, bool]:
        """(cohort, person, newly added). The person must be an admin or a tutor of the
        course; the audit row names them first, like every command about a person."""
        action = Action.COHORT_TUTOR
        target = f"{person_ref} {slug} {ref}"
        staff, person, course = await self._admin.person_in_course(
            actor_id, action, person_ref, slug
        )
        cohort = await self._cohort(staff, action, target, course, ref)
        if not await self._may_tutor(person, course):
            await self._admin.record(staff, action, target, "invalid", {"why": "not a tutor"})
            raise Invalid(Reason.NOT_A_COURSE_TUTOR, name=person.label)
        added = await self._store.add_tutor(cohort.id, person.id)
        detail = {"course": course.slug, "cohort": str(cohort.id), "added": added}
        await self._admin.record(staff, action, target, "done", detail)
        return cohort, person, added

    # -- learners --------------------------------------------------------------------------

    async def invite(self, code: str | None) -> Cohort:
        """The cohort a join link names; refused when unknown or closed."""
        cohort = await self._store.by_code(code) if code else None
        if cohort is None:
            raise AccessDenied(Reason.INVITE_UNKNOWN)
        if cohort.closed:
            raise AccessDenied(Reason.INVITE_CLOSED)
        return cohort

    async def join(self, user_id: int, code: str | None) -> Joined:
        """Enrol (if need be; refusals as on the course card) and join. Opening the link
        again, or the same update handled twice, joins once."""
        cohort = await self.invite(code)
        _, enrollment = await self._learning.enroll(user_id, cohort.course_id)
        joined = await self._store.join(cohort, user_id, self._clock())
        if joined is None:  # closed between the two reads
            raise AccessDenied(Reason.INVITE_CLOSED)
        newly, moved_from = joined
        return Joined(cohort, enrollment, newly, moved_from)

    async def mine(self, user_id: int) -> list[Membership]:
        return await self._store.memberships(user_id)

    async def membership(self, user_id: int, cohort_id: UUID) -> Membership:
        for m in await self._store.memberships(user_id):
            if m.cohort_id == cohort_id:
                return m
        raise AccessDenied(Reason.NOT_IN_COHORT)

    async def leave(self, user_id: int, cohort_id: UUID) -> list[Membership]:
        if not await self._store.leave(user_id, cohort_id, self._clock()):
            raise AccessDenied(Reason.NOT_IN_COHORT)
        return await self._store.memberships(user_id)

    # -- internals -------------------------------------------------------------------------

    async def _cohort(
        self, staff: Staff, action: Action, target: str, course: CourseRef, ref: str
    ) -> Cohort:
        ref = " ".join(ref.split())[:MAX_NAME]
        cohort = await self._store.find(course.id, ref) if ref else None
        if cohort is None:
            await self._admin.record(staff, action, target, "invalid", {"cohort": ref})
            raise Invalid(Reason.UNKNOWN_COHORT, name=ref)
        return cohort

    async def _may_tutor(self, person: Person, course: CourseRef) -> bool:
        if person.role is Role.ADMIN:
            return True
        staff = await self._admin.staff_of(person.id)
        return person.role is Role.TUTOR and course.id in staff.tutor_of
