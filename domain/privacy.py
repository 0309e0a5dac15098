"""A learner's own data: /mydata hands them everything stored about them, /deleteme erases it.

**The export** is one JSON document, `format_version` 1:

    {"format_version": 1, "exported_at": "<ISO 8601, UTC>", "user_id": <Telegram id>,
     "about": "<what this is>", "sections": {"<table>": [<row>, ...], ...}}

One section per database table that holds rows about the person, named after the table,
each row as stored (every column, JSON types; course rows gain the course `course_slug`)
— except the updates of their chat the inbox still holds, which are summarised as a person
reads them (time, kind, the text typed or the button pressed, handled or not) rather than
as Telegram's raw JSON.
A section is present, possibly empty, for every such table, so the shape does not depend on
what the person did. New columns appear by themselves; a new table needs a section (the
storage tests fail until it has one).

**Erasure** (confirmed, within `CONFIRM_WITHIN`, in one transaction) removes the person:
their profile row (names, username, language, time zone, role), persona choices, tutor
conversations (every message, both sides), conversation state, tutor assignments, pending
confirmation, and the content of the updates they sent that the inbox still holds. What the
staff's figures (/stats, the progress export) count is kept, but no longer about anyone:
enrollments, module and topic progress, finished quiz attempts (without the answers given)
and typed-question counts move to a fresh random pseudonym — a negative id no Telegram user
can have, with no name and marked blocked so nothing is ever sent to it — with their times
cut to the day, so the numbers stay right while nothing links them back to the person. A
learner with nothing to count leaves no pseudonym at all.

Staff (decided here): an admin or tutor may erase themselves like anyone else. Their role
and course assignments go with their profile; an admin listed in ADMIN_TELEGRAM_IDS becomes
admin again on their next contact (the list is configuration, not data). Records of what
they did *with staff rights* — audit rows of commands that were carried out, broadcasts they
sent — stay attributed to them: they are the service's account of actions taken on other
people, not data about the staff member. Audit rows of commands they were refused, and the
name in audit rows about them (another admin's `/learner @them`), are anonymised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID, uuid4

from domain.admin import Action
from domain.clock import Clock, utc_now
from domain.users import UserService

FORMAT_VERSION = 1
CONFIRM_WITHIN = timedelta(minutes=10)
ABOUT = (
    "Everything Tutorbot stores about you: one section per database table, each a list of "
    "rows as stored. Course rows carry the course slug; update_inbox lists the messages and "
    "button presses of yours the bot still holds (when, what you typed or pressed). "
    "Sent with /mydata; /deleteme erases it."
)

# Staff commands whose audit row names a person (their first argument, "@user" or an id):
# those rows are about that person.
PERSON_ACTIONS = frozenset(
    {
        Action.PROMOTE,
        Action.DEMOTE,
        Action.GRANT_PROMPTS,
        Action.GRANT_ATTEMPTS,
        Action.RESET_COOLDOWN,
        Action.SUSPEND,
        Action.UNSUSPEND,
        Action.LEARNER,
        Action.HIDE_REVIEW,
        Action.COHORT_TUTOR,
    }
)

Sections = dict[str, list[dict[str, Any]]]


class Outcome(StrEnum):
    ERASED = "erased"
    EXPIRED = "expired"  # the button is older than CONFIRM_WITHIN: nothing was done
    NOT_PENDING = "not pending"  # carried out, cancelled or replaced already: nothing to do


@dataclass(frozen=True)
class ErasureRequest:
    """A /deleteme waiting for its "Yes, erase"; only the newest one per person counts."""

    id: UUID
    requested_at: datetime

    @property
    def expires_at(self) -> datetime:
        return self.requested_at + CONFIRM_WITHIN


class PrivacyStore(Protocol):
    async def export(self, user_id: int) -> Sections: ...

    async def request_erasure(self, user_id: int, request: ErasureRequest) -> None: ...

    async def cancel_erasure(self, user_id: int, request_id: UUID) -> bool: ...

    async def erase(
        self, user_id: int, request_id: UUID, not_before: datetime, through_update: int | None
    ) -> Outcome: ...


class PrivacyService:
    """The learner's rights over their data. `through_update` is the update being handled:
    the inbox rows of their chat up to it are emptied with the rest (later ones are updates
    not handled yet, e.g. a /start sent right after, and stay)."""

    def __init__(
        self,
        store: PrivacyStore,
        users: UserService,
        *,
        clock: Clock = utc_now,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self._store = store
        self._users = users
        self._clock = clock
        self._new_id = new_id

    async def export(self, user_id: int) -> dict[str, Any]:
        sections = await self._store.export(user_id)
        return {
            "format_version": FORMAT_VERSION,
            "exported_at": self._clock().isoformat(),
            "user_id": user_id,
            "about": ABOUT,
            "sections": sections,
        }

    async def ask_to_erase(self, user_id: int) -> ErasureRequest:
        """A new confirmation; an earlier one still on screen stops working."""
        request = ErasureRequest(self._new_id(), self._clock())
        await self._store.request_erasure(user_id, request)
        return request

    async def cancel(self, user_id: int, request_id: UUID) -> bool:
        return await self._store.cancel_erasure(user_id, request_id)

    async def erase(
        self, user_id: int, request_id: UUID, *, through_update: int | None = None
    ) -> Outcome:
        """Erase if `request_id` is the person's pending, unexpired confirmation. Pressing
        it again (double tap, re-delivered update) finds nothing pending and does nothing."""
        outcome = await self._store.erase(
            user_id, request_id, self._clock() - CONFIRM_WITHIN, through_update
        )
        if outcome is Outcome.ERASED:
            # The profile remembered for the next update would skip writing the user row
            # back, and the next enrollment would then refer to a user that is gone.
            self._users.forget(user_id)
        return outcome
