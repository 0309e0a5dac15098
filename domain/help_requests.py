"""Asking a human tutor: a learner's question goes to the course's tutors with its context,
one tutor claims it, and the two write back and forth through the bot until it is resolved.

Why people at all: in a randomised trial in five UK schools, tutors who reviewed and sent
AI-drafted replies lifted students' success on new problems from 60.7 % to 66.2 %
(LearnLM, arXiv 2512.23633). So a tutor sees the learner's last exchange with the AI tutor
and may ask the AI for a course-grounded draft, which is never sent without them.

Where a request goes is decided here (`route`): the staff supergroup the admins linked
(one forum topic per request), else the course's tutors' private chats, else the admins'.
Who may act on a request is decided here too: its learner; a tutor of its course (the one
who claimed it, once claimed); an admin. Everything else is refused with a reason and, for
staff, an audit row. Limits keep a course's tutors from drowning: a learner has at most
`open_per_learner` requests open, a course takes `per_course_per_day` a day.

A request nobody answered within `escalate_after` is escalated once: the learner is told
so honestly and the admins get it (`escalate_due`, swept by a job on every replica).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain.admin import Action, AdminService, Staff
from domain.clock import Clock, utc_now
from domain.errors import HelpRefused, Reason
from domain.users import Role

QUESTION_LIMIT = 3000  # characters: with its context the card still fits one message
MESSAGE_LIMIT = 12_000  # a reply relayed in up to three messages; more is a document


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Side(StrEnum):
    LEARNER = "learner"
    TUTOR = "tutor"


@dataclass(frozen=True)
class HelpSettings:
    open_per_learner: int = 2
    per_course_per_day: int = 30
    escalate_after: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Progress:
    """How far the learner is in the course, as a tutor reads it beside the question."""

    topics_done: int
    topics: int
    module_reached: int
    modules: int
    quizzes_passed: int


@dataclass(frozen=True)
class Exchange:
    """The learner's last question to the AI tutor in the course, and its answer."""

    question: str
    answer: str


@dataclass(frozen=True)
class Asking:
    """Everything deciding whether a learner may ask now, read in one go."""

    learner_id: int
    learner_name: str
    course_id: UUID
    course_slug: str
    course_name: str
    progress: Progress
    last_exchange: Exchange | None
    open_requests: int
    course_today: int


@dataclass(frozen=True)
class Request:
    id: int
    learner_id: int
    learner_name: str
    course_id: UUID
    course_slug: str
    course_name: str
    module_no: int | None
    topic_number: int | None
    topic_title: str | None
    question: str
    exchange: Exchange | None
    progress: Progress | None
    status: Status
    claimed_by: int | None
    claimer_name: str | None
    created_at: datetime
    first_response_at: datetime | None = None
    escalated_at: datetime | None = None
    resolved_at: datetime | None = None
    rating: int | None = None
    staff_chat_id: int | None = None
    thread_id: int | None = None

    @property
    def resolved(self) -> bool:
        return self.status is Status.RESOLVED


@dataclass(frozen=True)
class Route:
    """Where a request is posted: a staff group's new forum topic, or these private chats."""

    group: int | None
    chats: tuple[int, ...]


@dataclass(frozen=True)
class Claimed:
    request: Request
    changed: bool  # False: this tutor had it already


@dataclass(frozen=True)
class Relay:
    """A message to pass on: the request it belongs to, who wrote it, where it goes."""

    request: Request
    side: Side
    author_name: str
    recorded: bool  # False: this update was relayed before (a re-delivery)


@dataclass(frozen=True)
class HelpFigures:
    asked: int
    open: int
    resolved: int
    escalated: int
    first_response_p50: timedelta | None
    first_response_p90: timedelta | None
    ratings: int
    rating_average: float | None


class HelpStore(Protocol):
    async def asking(
        self, learner_id: int, course_id: UUID, day_start: datetime, update_id: int | None
    ) -> Asking | None:
        """None: not enrolled (or suspended) in a published course. The request this
        update made already (a re-delivery) counts against no limit."""
        ...

    async def create(
        self,
        asking: Asking,
        question: str,
        place: tuple[int, int] | None,
        exchange: Exchange | None,
        now: datetime,
        update_id: int | None,
    ) -> Request: ...

    async def request(self, request_id: int) -> Request | None: ...

    async def by_thread(self, chat_id: int, thread_id: int) -> Request | None: ...

    async def by_post(self, chat_id: int, message_id: int) -> Request | None: ...

    async def claim(self, request_id: int, tutor_id: int, now: datetime) -> Request | None:
        """Claims an open request; returns it as it is after (None: no such request)."""
        ...

    async def add_message(
        self,
        request: Request,
        author_id: int,
        side: Side,
        body: str,
        media: str | None,
        drafted: bool,
        now: datetime,
        update_id: int | None,
    ) -> tuple[Request, bool]:
        """The request after (a tutor's message claims an open one and stamps the first
        response), and whether this update's message was new."""
        ...

    async def resolve(self, request_id: int, by: Side, now: datetime) -> Request | None: ...

    async def rate(self, request_id: int, learner_id: int, stars: int) -> bool: ...

    async def add_posts(self, request_id: int, posts: Sequence[tuple[int, int, str]]) -> None: ...

    async def posts(self, request_id: int, kind: str) -> list[tuple[int, int]]: ...

    async def set_topic(
        self, request_id: int, chat_id: int | None, thread_id: int | None
    ) -> None: ...

    async def staff_group(self) -> int | None: ...

    async def link_group(self, chat_id: int, title: str, by: int, now: datetime) -> int | None:
        """Links the group; returns the group linked before, if another."""
        ...

    async def unlink_group(self, chat_id: int) -> bool: ...

    async def tutors(self, course_id: UUID) -> list[int]: ...

    async def admins(self) -> list[int]: ...

    async def escalate(self, asked_before: datetime, now: datetime, limit: int) -> list[Request]:
        """Marks (once, whichever replica asks) and returns requests still unanswered."""
        ...

    async def figures(
        self, courses: frozenset[UUID] | None, since: datetime | None
    ) -> HelpFigures: ...


def clean_text(text: str, limit: int) -> str:
    body = text.strip()
    if not body:
        raise HelpRefused(Reason.HELP_EMPTY)
    if len(body) > limit:
        raise HelpRefused(Reason.HELP_TOO_LONG, limit=limit, length=len(body))
    return body


def clean_message(text: str, media: str | None) -> str:
    """A message relayed in a request: a file may come without words."""
    body = text.strip()
    if not body and media is None:
        raise HelpRefused(Reason.HELP_EMPTY)
    if len(body) > MESSAGE_LIMIT:
        raise HelpRefused(Reason.HELP_TOO_LONG, limit=MESSAGE_LIMIT, length=len(body))
    return body


def percentile(values: Sequence[timedelta], share: float) -> timedelta | None:
    """The nearest-rank percentile: a time some learner really waited, not an average."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


class HelpService:
    def __init__(
        self,
        store: HelpStore,
        admin: AdminService,
        *,
        settings: HelpSettings | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._admin = admin
        self._settings = settings or HelpSettings()
        self._clock = clock

    @property
    def settings(self) -> HelpSettings:
        return self._settings

    # -- the learner -----------------------------------------------------------------------

    async def asking(
        self, learner_id: int, course_id: UUID, *, update_id: int | None = None
    ) -> Asking:
        """May the learner ask now? Refused (with the limit) when not."""
        now = self._clock()
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        asking = await self._store.asking(learner_id, course_id, day_start, update_id)
        if asking is None:
            raise HelpRefused(Reason.HELP_GONE)
        if asking.open_requests >= self._settings.open_per_learner:
            raise HelpRefused(Reason.HELP_OPEN_CAP, limit=self._settings.open_per_learner)
        if asking.course_today >= self._settings.per_course_per_day:
            raise HelpRefused(Reason.HELP_DAILY_CAP, limit=self._settings.per_course_per_day)
        return asking

    async def ask(
        self,
        learner_id: int,
        course_id: UUID,
        question: str | None,
        *,
        place: tuple[int, int] | None = None,
        update_id: int | None = None,
    ) -> tuple[Request, Route]:
        """A new request: the question typed, or (None) the learner's last one to the AI
        tutor. A re-delivered update returns the request its first run made."""
        asking = await self.asking(learner_id, course_id, update_id=update_id)
        exchange = asking.last_exchange
        if question is None:
            if exchange is None:
                raise HelpRefused(Reason.HELP_NOTHING_ASKED)
            question = exchange.question
        body = clean_text(question, QUESTION_LIMIT)
        route = await self._route(course_id)
        request = await self._store.create(asking, body, place, exchange, self._clock(), update_id)
        return request, route

    async def learner_says(
        self,
        learner_id: int,
        request_id: int,
        text: str,
        media: str | None = None,
        *,
        update_id: int | None = None,
    ) -> Relay:
        request = await self._store.request(request_id)
        if request is None or request.learner_id != learner_id:
            raise HelpRefused(Reason.HELP_GONE)
        if request.resolved:
            raise HelpRefused(Reason.HELP_RESOLVED)
        body = clean_message(text, media)
        after, recorded = await self._store.add_message(
            request, learner_id, Side.LEARNER, body, media, False, self._clock(), update_id
        )
        return Relay(after, Side.LEARNER, request.learner_name, recorded)

    async def rate(self, learner_id: int, request_id: int, stars: int) -> bool:
        if not 1 <= stars <= 5:
            raise HelpRefused(Reason.HELP_GONE)
        request = await self._store.request(request_id)
        if request is None or request.learner_id != learner_id or not request.resolved:
            raise HelpRefused(Reason.HELP_GONE)
        return await self._store.rate(request_id, learner_id, stars)

    # -- the tutor -------------------------------------------------------------------------

    async def for_staff(self, actor_id: int, request_id: int) -> tuple[Staff, Request]:
        """The request, if this person may act on it as staff (audited when refused)."""
        request = await self._store.request(request_id)
        staff = await self._admin.staff(actor_id)
        if request is None:
            await self._admin.record(staff, Action.HELP, f"#{request_id}", "invalid", {})
            raise HelpRefused(Reason.HELP_GONE)
        await self._authorise(staff, request)
        return staff, request

    async def claim(self, actor_id: int, request_id: int) -> Claimed:
        staff, request = await self.for_staff(actor_id, request_id)
        if request.resolved:
            raise HelpRefused(Reason.HELP_RESOLVED)
        after = await self._store.claim(request_id, actor_id, self._clock())
        assert after is not None  # it was there a moment ago, and requests stay
        if after.claimed_by != actor_id:
            raise HelpRefused(Reason.HELP_TAKEN, name=after.claimer_name or "another tutor")
        changed = request.claimed_by != actor_id
        await self._admin.record(staff, Action.HELP, f"#{request_id}", "done", {"claim": True})
        return Claimed(after, changed)

    async def tutor_says(
        self,
        actor_id: int,
        request: Request,
        text: str,
        media: str | None = None,
        *,
        drafted: bool = False,
        update_id: int | None = None,
    ) -> Relay:
        """A tutor's message for the learner; the first claims an open request."""
        staff = await self._admin.staff(actor_id)
        await self._authorise(staff, request)
        if request.resolved:
            raise HelpRefused(Reason.HELP_RESOLVED)
        if request.claimed_by not in (None, actor_id) and staff.role is not Role.ADMIN:
            await self._admin.record(staff, Action.HELP, f"#{request.id}", "denied", {"taken": 1})
            raise HelpRefused(Reason.HELP_TAKEN, name=request.claimer_name or "another tutor")
        body = clean_message(text, media)
        after, recorded = await self._store.add_message(
            request, actor_id, Side.TUTOR, body, media, drafted, self._clock(), update_id
        )
        name = after.claimer_name if after.claimed_by == actor_id else None
        return Relay(after, Side.TUTOR, name or "Tutor", recorded)

    async def resolve(self, actor_id: int, request_id: int) -> tuple[Request, bool]:
        """Resolved by its learner or by staff; True when this press resolved it."""
        request = await self._store.request(request_id)
        if request is None:
            raise HelpRefused(Reason.HELP_GONE)
        if request.learner_id == actor_id:
            side = Side.LEARNER
        else:
            staff, request = await self.for_staff(actor_id, request_id)
            side = Side.TUTOR
            await self._admin.record(staff, Action.HELP, f"#{request_id}", "done", {"resolve": 1})
        if request.resolved:
            return request, False
        after = await self._store.resolve(request_id, side, self._clock())
        return (after or request), after is not None

    # -- where requests go -----------------------------------------------------------------

    async def request(self, request_id: int) -> Request | None:
        return await self._store.request(request_id)

    async def request_again(self, request: Request) -> Request:
        """The request as stored now (after a step that changed it)."""
        return await self._store.request(request.id) or request

    async def route_of(self, request: Request) -> Route:
        return await self._route(request.course_id)

    async def moved_to_private(self, request: Request) -> Route:
        """The staff group is gone (the bot was removed): the request goes on in private."""
        await self._store.set_topic(request.id, None, None)
        tutors = await self._store.tutors(request.course_id)
        return Route(None, tuple(tutors or await self._store.admins()))

    async def posted(self, request: Request, posts: Sequence[tuple[int, int, str]]) -> None:
        await self._store.add_posts(request.id, posts)

    async def opened_topic(self, request: Request, chat_id: int, thread_id: int) -> Request:
        await self._store.set_topic(request.id, chat_id, thread_id)
        return replace(request, staff_chat_id=chat_id, thread_id=thread_id)

    async def posts(self, request: Request, kind: str = "card") -> list[tuple[int, int]]:
        return await self._store.posts(request.id, kind)

    async def in_topic(self, chat_id: int, thread_id: int) -> Request | None:
        return await self._store.by_thread(chat_id, thread_id)

    async def replied_to(self, chat_id: int, message_id: int) -> Request | None:
        return await self._store.by_post(chat_id, message_id)

    async def staff_group(self) -> int | None:
        return await self._store.staff_group()

    async def link_group(self, actor_id: int, chat_id: int, title: str) -> int | None:
        """Admins only; returns the group linked before (if another one)."""
        staff = await self._admin.require(actor_id, Action.STAFF_GROUP, str(chat_id))
        before = await self._store.link_group(chat_id, title, actor_id, self._clock())
        await self._admin.record(staff, Action.STAFF_GROUP, str(chat_id), "done", {"link": 1})
        return before

    async def unlink_group(self, actor_id: int, chat_id: int) -> bool:
        staff = await self._admin.require(actor_id, Action.STAFF_GROUP, str(chat_id))
        done = await self._store.unlink_group(chat_id)
        await self._admin.record(staff, Action.STAFF_GROUP, str(chat_id), "done", {"unlink": 1})
        return done

    async def group_lost(self, chat_id: int, why: str) -> bool:
        """The bot was removed from the group (or may no longer post there): unlinked, and
        an audit row says so; requests go to private chats from now on."""
        lost = await self._store.unlink_group(chat_id)
        if lost:
            staff = Staff(0, Role.ADMIN, frozenset())  # the bot itself
            await self._admin.record(
                staff, Action.STAFF_GROUP, str(chat_id), "failed", {"why": why}
            )
        return lost

    async def audit_refusal(self, actor_id: int, target: str, why: str) -> None:
        """Someone wrote where only tutors answer (a learner in the staff group)."""
        staff = await self._admin.staff(actor_id)
        await self._admin.record(staff, Action.HELP, target, "denied", {"why": why})

    async def admins(self) -> list[int]:
        return await self._store.admins()

    # -- the sweep and the figures ---------------------------------------------------------

    async def escalate_due(self, limit: int = 100) -> list[Request]:
        now = self._clock()
        return await self._store.escalate(now - self._settings.escalate_after, now, limit)

    async def figures(
        self, courses: frozenset[UUID] | None, since: datetime | None = None
    ) -> HelpFigures:
        """The requests of these courses (None: all); the caller has authorised the scope."""
        return await self._store.figures(courses, since)

    # -- internals -------------------------------------------------------------------------

    async def _route(self, course_id: UUID) -> Route:
        group = await self._store.staff_group()
        if group is not None:
            return Route(group, ())
        tutors = await self._store.tutors(course_id)
        chats = tuple(tutors) or tuple(await self._store.admins())
        if not chats:
            raise HelpRefused(Reason.HELP_NO_TUTORS)
        return Route(None, chats)

    async def _authorise(self, staff: Staff, request: Request) -> None:
        if not staff.may(Action.HELP, request.course_id):
            await self._admin.record(
                staff, Action.HELP, f"#{request.id}", "denied", {"course": request.course_slug}
            )
            raise HelpRefused(Reason.HELP_NOT_TUTOR, name=request.course_name)
