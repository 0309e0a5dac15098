"""Text a screen asked for: the next message a person types answers it.

Most typed text is a question for the tutor. A few screens ask for something else — an
applicant's name, a question for a human tutor, an answer back to one — and the person's
next message is that answer instead. What is awaited lives in the database (any replica
handles the next message), one thing per private chat: a newer request replaces an older
one. It lapses after `WAIT_FOR`, so text typed the next day goes to the tutor again, and
`/cancel` (or the screen's Cancel button) drops it at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.clock import Clock, utc_now

WAIT_FOR = timedelta(minutes=30)


@dataclass(frozen=True)
class Pending:
    """What the next message answers: a kind its feature handles, and that feature's data
    (JSON: numbers, strings, lists, maps)."""

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)
    since: datetime | None = None

    def lapsed(self, now: datetime) -> bool:
        return self.since is not None and now - self.since > WAIT_FOR


class InputStore(Protocol):
    async def pending(self, user_id: int) -> Pending | None: ...

    async def expect(self, user_id: int, pending: Pending) -> None: ...

    async def clear(self, user_id: int, kind: str | None) -> bool: ...


class InputService:
    def __init__(self, store: InputStore, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    async def pending(self, user_id: int) -> Pending | None:
        """What the person's next message answers; None when nothing (or it lapsed)."""
        found = await self._store.pending(user_id)
        if found is None or found.lapsed(self._clock()):
            return None
        return found

    async def expect(self, user_id: int, kind: str, data: Mapping[str, Any] | None = None) -> None:
        await self._store.expect(user_id, Pending(kind, dict(data or {}), self._clock()))

    async def clear(self, user_id: int, kind: str | None = None) -> bool:
        """Stop waiting (for `kind` only, when given: a step that finished must not drop
        what a newer screen asked for meanwhile). True if something was awaited."""
        return await self._store.clear(user_id, kind)
