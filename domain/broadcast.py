"""Broadcasts: one message to a course's learners (or everyone), confirmed first, sent at
Telegram's pace, resumable after a restart without messaging anyone twice.

The audience is frozen when the admin confirms: one recipient row each, claimed with a
lease, marked sent / blocked / failed one by one. Whoever sends (this replica, or another
after a restart) only ever picks pending rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.admin import Action, AdminService, Invalid
from domain.clock import Clock, utc_now
from domain.cohorts import CohortFinder
from domain.errors import AccessDenied, Reason

MAX_TEXT = 3_500
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Draft:
    id: UUID
    audience: str  # a course slug, "slug:<cohort code>", or "all"
    course_name: str | None  # None: every learner
    text: str
    recipients: int
    cohort_name: str | None = None  # only the cohort's current members


def course_of(audience: str) -> str | None:
    """The course slug a stored audience addresses (None: "all")."""
    return None if audience == "all" else audience.split(":", 1)[0]


@dataclass(frozen=True)
class Progress:
    id: UUID
    status: str
    total: int
    sent: int
    blocked: int
    failed: int
    chat_id: int | None
    message_id: int | None

    @property
    def pending(self) -> int:
        return self.total - self.sent - self.blocked - self.failed

    @property
    def finished(self) -> bool:
        return self.status in ("done", "cancelled")


class BroadcastStore(Protocol):
    async def audience_size(self, course_id: UUID | None, cohort_id: UUID | None = None) -> int: ...

    async def create(
        self, actor_id: int, audience: str, course_id: UUID | None, text: str
    ) -> UUID: ...

    async def begin(
        self, broadcast_id: UUID, actor_id: int, chat_id: int, message_id: int, now: datetime
    ) -> bool: ...

    async def cancel(self, broadcast_id: UUID, actor_id: int) -> bool: ...

    async def author(self, broadcast_id: UUID) -> tuple[int, str] | None: ...

    async def claim(
        self, broadcast_id: UUID, limit: int, now: datetime, lease_until: datetime
    ) -> list[int]: ...

    async def mark(self, broadcast_id: UUID, user_id: int, status: str, now: datetime) -> None: ...

    async def defer(self, broadcast_id: UUID, user_id: int, until: datetime) -> None: ...

    async def release(self, broadcast_id: UUID, user_ids: list[int]) -> None: ...

    async def progress(self, broadcast_id: UUID) -> Progress | None: ...

    async def text(self, broadcast_id: UUID) -> str | None: ...

    async def finish_if_done(self, broadcast_id: UUID, now: datetime) -> bool: ...

    async def sending(self) -> list[UUID]: ...


class BroadcastService:
    def __init__(
        self,
        store: BroadcastStore,
        admin: AdminService,
        *,
        clock: Clock = utc_now,
        cohorts: CohortFinder | None = None,
    ):
        self._store = store
        self._admin = admin
        self._clock = clock
        self._cohorts = cohorts

    async def draft(self, actor_id: int, audience: str, text: str) -> Draft:
        """Checked and counted, not sent: the admin confirms on the draft's button.
        `audience`: a course slug, "slug:cohort" (its name or code) or "all"."""
        slug_part, _, cohort_ref = audience.partition(":")
        slug = None if audience.lower() == "all" else slug_part.lower()
        staff, course = await self._admin.authorise(actor_id, Action.BROADCAST, audience, slug)
        cohort = None
        if course is not None and cohort_ref:
            cohort = await self._cohorts.find(course.id, cohort_ref) if self._cohorts else None
            if cohort is None:
                detail = {"cohort": cohort_ref[:64]}
                await self._admin.record(staff, Action.BROADCAST, audience, "invalid", detail)
                raise Invalid(Reason.UNKNOWN_COHORT, name=cohort_ref[:64])
        text = text.strip()
        if not text or len(text) > MAX_TEXT:
            await self._admin.record(staff, Action.BROADCAST, audience, "invalid", {})
            raise Invalid(Reason.MESSAGE_LENGTH, limit=MAX_TEXT)
        course_id = course.id if course else None
        cohort_id = cohort.id if cohort else None
        recipients = await self._store.audience_size(course_id, cohort_id)
        stored = course.slug if course else "all"
        if cohort is not None:
            stored = f"{stored}:{cohort.code}"
        broadcast_id = await self._store.create(actor_id, stored, course_id, text)
        await self._admin.record(
            staff,
            Action.BROADCAST,
            audience,
            "done",
            {"draft": str(broadcast_id), "recipients": recipients},
        )
        name = course.name if course else None
        cohort_name = cohort.name if cohort else None
        return Draft(broadcast_id, stored, name, text, recipients, cohort_name)

    async def confirm(
        self, actor_id: int, broadcast_id: UUID, chat_id: int, message_id: int
    ) -> Progress:
        await self._authorise_press(actor_id, broadcast_id)
        if not await self._store.begin(broadcast_id, actor_id, chat_id, message_id, self._clock()):
            raise AccessDenied(Reason.BROADCAST_FINISHED)
        progress = await self._store.progress(broadcast_id)
        assert progress is not None
        return progress

    async def cancel(self, actor_id: int, broadcast_id: UUID) -> None:
        await self._authorise_press(actor_id, broadcast_id)
        if not await self._store.cancel(broadcast_id, actor_id):
            raise AccessDenied(Reason.BROADCAST_FINISHED)

    async def _authorise_press(self, actor_id: int, broadcast_id: UUID) -> None:
        """A draft's buttons are checked like the command that made it, at the moment they
        are pressed: whoever presses must (still) be allowed to broadcast to the draft's
        audience — a learner, a tutor of another course or a demoted author is refused and
        audited — and only the draft's author acts on it."""
        await self._admin.require(actor_id, Action.BROADCAST, str(broadcast_id))
        found = await self._store.author(broadcast_id)
        if found is None:
            raise AccessDenied(Reason.BROADCAST_FINISHED)
        author, audience = found
        await self._admin.authorise(actor_id, Action.BROADCAST, audience, course_of(audience))
        if author != actor_id:
            raise AccessDenied(Reason.NOT_THE_AUTHOR)

    async def claim(self, broadcast_id: UUID, limit: int) -> list[int]:
        now = self._clock()
        return await self._store.claim(broadcast_id, limit, now, now + LEASE)

    async def delivered(self, broadcast_id: UUID, user_id: int, status: str) -> None:
        await self._store.mark(broadcast_id, user_id, status, self._clock())

    async def retry_later(self, broadcast_id: UUID, user_id: int, delay: timedelta) -> None:
        await self._store.defer(broadcast_id, user_id, self._clock() + delay)

    async def release(self, broadcast_id: UUID, user_ids: list[int]) -> None:
        """Claimed but not sent (the sender is stopping): free for whoever resumes."""
        if user_ids:
            await self._store.release(broadcast_id, user_ids)

    async def progress(self, broadcast_id: UUID) -> Progress | None:
        return await self._store.progress(broadcast_id)

    async def text(self, broadcast_id: UUID) -> str | None:
        return await self._store.text(broadcast_id)

    async def finish_if_done(self, broadcast_id: UUID) -> bool:
        return await self._store.finish_if_done(broadcast_id, self._clock())

    async def unfinished(self) -> list[UUID]:
        """Broadcasts a replica was sending when it stopped: to be resumed."""
        return await self._store.sending()
