"""Running the service from the chat: roles, interventions on a learner, their records.

Every command is authorised here, on the server, against stored roles: admins may do
everything; tutors may act on learners of the courses they are assigned to; anyone else
gets one neutral refusal. Every attempt, allowed or not, is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain import wording
from domain.clock import Clock, utc_now
from domain.errors import AccessDenied, Reason
from domain.learning.model import ModuleRecord, ModuleStatus
from domain.learning.rules import module_status
from domain.users import Role

MAX_GRANT = 1_000


class NotAllowed(AccessDenied):
    """One neutral refusal, whatever was not allowed."""

    def __init__(self) -> None:
        super().__init__(Reason.NOT_ALLOWED)


class Invalid(AccessDenied):
    """The command is allowed but its arguments don't name anything real: `name` is what
    was typed (a user, a course's slug), `limit` the bound it broke."""

    def __init__(self, reason: Reason, *, name: str = "", limit: int = 0) -> None:
        super().__init__(reason)
        self.name = name
        self.limit = limit


class Action(StrEnum):
    MENU = "admin"
    PROMOTE = "promote"
    DEMOTE = "demote"
    GRANT_PROMPTS = "grant_prompts"
    GRANT_ATTEMPTS = "grant_attempts"
    RESET_COOLDOWN = "reset_cooldown"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"
    LEARNER = "learner"
    STATS = "stats"
    BROADCAST = "broadcast"
    IMPORT = "import"
    REINDEX = "reindex"
    COURSES = "courses_admin"
    EXPORT = "export"
    HIDE_REVIEW = "hide_review"
    REVOKE_CERTIFICATE = "certificate"
    HELP = "help_request"  # acting on a learner's request for a human tutor
    STAFF_GROUP = "link_staff_group"
    COHORTS = "cohorts"  # /cohort_new, /cohorts, /cohort_close
    COHORT_TUTOR = "cohort_tutor"


# Who may run what: admins everything; tutors the course-scoped ones for their courses.
TUTOR_ACTIONS = frozenset(
    {
        Action.MENU,
        Action.GRANT_PROMPTS,
        Action.GRANT_ATTEMPTS,
        Action.RESET_COOLDOWN,
        Action.SUSPEND,
        Action.UNSUSPEND,
        Action.LEARNER,
        Action.STATS,
        Action.BROADCAST,
        Action.EXPORT,
        Action.HELP,
        Action.COHORTS,
        Action.COHORT_TUTOR,
    }
)


@dataclass(frozen=True)
class Staff:
    user_id: int
    role: Role
    tutor_of: frozenset[UUID]

    def may(self, action: Action, course_id: UUID | None = None) -> bool:
        if self.role is Role.ADMIN:
            return True
        if self.role is not Role.TUTOR or action not in TUTOR_ACTIONS:
            return False
        return course_id is None or course_id in self.tutor_of


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    username: str | None
    role: Role

    @property
    def label(self) -> str:
        return (
            f"{self.name} (@{self.username}, {self.id})"
            if self.username
            else (f"{self.name} ({self.id})")
        )


@dataclass(frozen=True)
class CourseRef:
    id: UUID
    slug: str
    name: str
    modules: int


@dataclass(frozen=True)
class ModuleLine:
    module_no: int
    unlocked: bool
    quiz_passed: bool
    best_score: float | None
    attempts_used: int
    extra_attempts: int
    cooldown_until: datetime | None
    typed_used: int
    typed_granted: int
    topics_done: int
    topics: int
    has_quiz: bool = True
    quiz_running: bool = False

    def status(self, attempts_limit: int, now: datetime) -> ModuleStatus:
        """The module's state as the learner's own screens word it (domain.learning)."""
        out = bool(attempts_limit) and self.attempts_used >= attempts_limit + self.extra_attempts
        record = ModuleRecord(
            self.module_no,
            "",
            "",
            self.topics,
            self.topics_done,
            self.unlocked,
            self.quiz_passed,
            self.has_quiz,
            self.quiz_running,
            self.cooldown_until,
            out,
        )
        return module_status(record, now)


@dataclass(frozen=True)
class EnrollmentLine:
    course: CourseRef
    status: str
    persona: str | None
    typed_quota: int
    attempts_limit: int
    modules: tuple[ModuleLine, ...]


@dataclass(frozen=True)
class LearnerReport:
    person: Person
    enrollments: tuple[EnrollmentLine, ...]
    open_quiz: tuple[str, int] | None  # course slug, module


class AdminStore(Protocol):
    async def staff(self, user_id: int) -> Staff: ...

    async def find_person(self, ref: str) -> Person | None: ...

    async def course(self, slug: str) -> CourseRef | None: ...

    async def set_role(self, user_id: int, role: Role) -> None: ...

    async def grant_prompts(
        self, user_id: int, course: CourseRef, module: int, n: int, request_id: int | None = None
    ) -> int: ...

    async def grant_attempts(
        self, user_id: int, course: CourseRef, module: int, n: int, request_id: int | None = None
    ) -> int: ...

    async def release_cooldown(
        self, user_id: int, course: CourseRef, module: int, now: datetime
    ) -> bool: ...

    async def set_enrollment_status(
        self, user_id: int, course: CourseRef, status: str
    ) -> str | None: ...

    async def report(self, person: Person, courses: frozenset[UUID] | None) -> LearnerReport: ...

    async def audit(
        self, actor_id: int, action: Action, target: str, outcome: str, detail: dict
    ) -> None: ...


@dataclass(frozen=True)
class Done:
    """What a command did, for the reply. ``changed`` is False when there was nothing to
    do (no cooldown to reset, the role already held): the reply says so plainly instead
    of wearing a success tick."""

    message: str
    changed: bool = True
    learner: int | None = None  # someone to tell, when the command concerns them
    released_at: datetime | None = None


class AdminService:
    def __init__(self, store: AdminStore, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    async def require(self, actor_id: int, action: Action, target: str = "") -> Staff:
        """Refuse (and audit) before even reading the arguments of a command."""
        return await self._allowed(actor_id, action, target)

    async def staff(self, user_id: int) -> Staff:
        """Who this is to the service (a learner is Staff with no rights), unaudited: for
        use cases that decide per row, and audit themselves (domain.help_requests)."""
        return await self._store.staff(user_id)

    async def menu(self, actor_id: int) -> Staff:
        staff = await self._allowed(actor_id, Action.MENU, "")
        await self._audit(staff, Action.MENU, "", "done", {})
        return staff

    async def change_role(self, actor_id: int, ref: str, role: Role) -> Done:
        action = Action.DEMOTE if role is Role.LEARNER else Action.PROMOTE
        staff = await self._allowed(actor_id, action, ref)
        person = await self._person(staff, action, ref)
        if person.id == actor_id and role is not Role.ADMIN:
            await self._audit(staff, action, ref, "invalid", {"why": "self"})
            raise Invalid(Reason.SELF_DEMOTION)
        if person.role is role:
            await self._audit(staff, action, ref, "done", {"role": role.value, "changed": False})
            return Done(
                f"Nothing to change: {person.label} is already {wording.a(role.value)}.",
                changed=False,
            )
        await self._store.set_role(person.id, role)
        await self._audit(staff, action, ref, "done", {"role": role.value})
        return Done(f"{person.label} is now {wording.a(role.value)}.", learner=person.id)

    async def grant(
        self,
        actor_id: int,
        action: Action,
        ref: str,
        slug: str,
        module: str,
        count: str,
        *,
        request_id: int | None = None,
    ) -> Done:
        """Add to a learner's allowance; a repeated request (the same update handled again)
        adds nothing more."""
        staff, person, course, module_no = await self._scoped(actor_id, action, ref, slug, module)
        n = _count(count)
        if n is None:
            await self._audit(staff, action, ref, "invalid", {"count": count[:20]})
            raise Invalid(Reason.BAD_COUNT, limit=MAX_GRANT)
        detail = {"course": course.slug, "module": module_no, "n": n}
        if action is Action.GRANT_PROMPTS:
            total = await self._store.grant_prompts(person.id, course, module_no, n, request_id)
            what = wording.count(n, "extra typed question")
        else:
            total = await self._store.grant_attempts(person.id, course, module_no, n, request_id)
            what = wording.count(n, "extra quiz attempt")
        await self._audit(staff, action, ref, "done", {**detail, "total": total})
        return Done(
            f"Granted {what} to {person.label} in {course.slug} module {module_no} "
            f"({total} granted in all).",
            learner=person.id,
        )

    async def reset_cooldown(self, actor_id: int, ref: str, slug: str, module: str) -> Done:
        action = Action.RESET_COOLDOWN
        staff, person, course, module_no = await self._scoped(actor_id, action, ref, slug, module)
        now = self._clock()
        released = await self._store.release_cooldown(person.id, course, module_no, now)
        detail = {"course": course.slug, "module": module_no, "released": released}
        await self._audit(staff, action, ref, "done", detail)
        if not released:
            return Done(
                f"Nothing to reset: {person.label} has no cooldown on {course.slug} "
                f"module {module_no}.",
                changed=False,
            )
        return Done(
            f"Cooldown released: {person.label} can retake the {course.slug} module "
            f"{module_no} quiz now; they'll be told.",
            learner=person.id,
            released_at=now,
        )

    async def set_suspended(self, actor_id: int, ref: str, slug: str, suspended: bool) -> Done:
        action = Action.SUSPEND if suspended else Action.UNSUSPEND
        staff = await self._allowed(actor_id, action, ref)
        person = await self._person(staff, action, ref)
        course = await self._course(staff, action, ref, slug)
        await self._authorise_course(staff, action, ref, course)
        status = "suspended" if suspended else "active"
        before = await self._store.set_enrollment_status(person.id, course, status)
        changed = before not in (None, status, "completed")
        await self._audit(staff, action, ref, "done", {"course": course.slug, "changed": changed})
        if before is None:
            return Done(
                f"Nothing to change: {person.label} is not enrolled in {course.slug}.",
                changed=False,
            )
        if not changed:
            return Done(
                f"Nothing to change: {person.label}'s enrollment in {course.slug} is {before}.",
                changed=False,
            )
        return Done(f"{person.label}'s enrollment in {course.slug} is now {status}.")

    async def authorise(
        self, actor_id: int, action: Action, target: str, slug: str | None
    ) -> tuple[Staff, CourseRef | None]:
        """For commands of other services: allowed for this course (None: every course,
        which only admins may address)? Refusals and bad slugs are audited here."""
        staff = await self._allowed(actor_id, action, target)
        if slug is None:
            if staff.role is not Role.ADMIN:
                await self._audit(staff, action, target, "denied", {"course": "all"})
                raise NotAllowed
            return staff, None
        course = await self._course(staff, action, target, slug)
        await self._authorise_course(staff, action, target, course)
        return staff, course

    async def person_in_course(
        self, actor_id: int, action: Action, ref: str, slug: str
    ) -> tuple[Staff, Person, CourseRef]:
        """For commands of other services about one person in one course: who and which,
        allowed for this staff member; refusals and bad names are audited here."""
        staff = await self._allowed(actor_id, action, ref)
        person = await self._person(staff, action, ref)
        course = await self._course(staff, action, ref, slug)
        await self._authorise_course(staff, action, ref, course)
        return staff, person, course

    async def staff_of(self, user_id: int) -> Staff:
        """Someone's role and courses, as a command about them needs them (no audit)."""
        return await self._store.staff(user_id)

    async def record(
        self, staff: Staff, action: Action, target: str, outcome: str, detail: dict
    ) -> None:
        await self._audit(staff, action, target, outcome, detail)

    async def learner(self, actor_id: int, ref: str) -> LearnerReport:
        staff = await self._allowed(actor_id, Action.LEARNER, ref)
        person = await self._person(staff, Action.LEARNER, ref)
        scope = None if staff.role is Role.ADMIN else staff.tutor_of
        report = await self._store.report(person, scope)
        await self._audit(staff, Action.LEARNER, ref, "done", {})
        return report

    # -- internals -------------------------------------------------------------------------

    async def _allowed(self, actor_id: int, action: Action, target: str) -> Staff:
        staff = await self._store.staff(actor_id)
        if not staff.may(action):
            await self._audit(staff, action, target, "denied", {})
            raise NotAllowed
        return staff

    async def _person(self, staff: Staff, action: Action, ref: str) -> Person:
        person = await self._store.find_person(ref.strip()[:64]) if ref else None
        if person is None:
            await self._audit(staff, action, ref, "invalid", {"why": "unknown user"})
            raise Invalid(Reason.UNKNOWN_USER, name=ref[:64])
        return person

    async def _course(self, staff: Staff, action: Action, ref: str, slug: str) -> CourseRef:
        course = await self._store.course(slug.strip().lower()[:64])
        if course is None:
            await self._audit(staff, action, ref, "invalid", {"course": slug[:64]})
            raise Invalid(Reason.UNKNOWN_COURSE, name=slug[:64])
        return course

    async def _authorise_course(
        self, staff: Staff, action: Action, ref: str, course: CourseRef
    ) -> None:
        if not staff.may(action, course.id):
            await self._audit(staff, action, ref, "denied", {"course": course.slug})
            raise NotAllowed

    async def _scoped(
        self, actor_id: int, action: Action, ref: str, slug: str, module: str
    ) -> tuple[Staff, Person, CourseRef, int]:
        staff = await self._allowed(actor_id, action, ref)
        person = await self._person(staff, action, ref)
        course = await self._course(staff, action, ref, slug)
        await self._authorise_course(staff, action, ref, course)
        module_no = _count(module)
        if module_no is None or module_no > course.modules:
            await self._audit(staff, action, ref, "invalid", {"module": module[:20]})
            raise Invalid(Reason.NO_SUCH_MODULE, name=course.slug, limit=course.modules)
        return staff, person, course, module_no

    async def _audit(
        self, staff: Staff, action: Action, target: str, outcome: str, detail: dict
    ) -> None:
        await self._store.audit(staff.user_id, action, target[:64], outcome, detail)


def _count(text: str) -> int | None:
    text = text.strip()
    if not text.isdecimal() or len(text) > 6:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_GRANT else None
