"""Who is talking to the bot, and what they may do."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    LEARNER = "learner"
    TUTOR = "tutor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Profile:
    """What Telegram tells us about a user on every update; refreshed on contact."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def display_name(self) -> str:
        full = " ".join(p for p in (self.first_name, self.last_name) if p).strip()
        return full or (f"@{self.username}" if self.username else "there")


@dataclass(frozen=True)
class User:
    profile: Profile
    role: Role
    timezone: str | None = None  # IANA name set with /timezone; None: times shown in UTC

    @property
    def id(self) -> int:
        return self.profile.telegram_id

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class UserRepository(Protocol):
    async def upsert(self, profile: Profile, *, promote_to: Role | None) -> User: ...

    async def get(self, telegram_id: int) -> User | None: ...

    async def set_timezone(self, telegram_id: int, timezone: str | None) -> None: ...

    async def mark_blocked(self, telegram_id: int) -> None: ...

    async def set_role(self, telegram_id: int, role: Role) -> None: ...


class UserService:
    """Keeps the user row in step with Telegram and with the configured admin list.

    Admins listed in ADMIN_TELEGRAM_IDS are promoted on contact; roles granted by bot
    commands are stored and never lowered here, so removing an id from the list is an
    explicit act (a command), not a side effect of a restart.

    Every update starts with `register`, so a profile seen unchanged within `fresh_for`
    seconds is answered from memory instead of the database: one round trip less on every
    update of a conversation. What can go stale is bounded by that window: a time zone
    another replica just changed, or a "blocked" mark another replica just set. Staff
    rights are never taken from here (admin checks read the database).
    """

    def __init__(
        self,
        users: UserRepository,
        admin_ids: frozenset[int],
        *,
        fresh_for: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = 50_000,
    ) -> None:
        self._users = users
        self._admin_ids = admin_ids
        self._fresh_for = fresh_for
        self._clock = clock
        self._capacity = capacity
        self._recent: dict[int, tuple[Profile, User, float]] = {}

    async def register(self, profile: Profile) -> User:
        now = self._clock()
        seen = self._recent.get(profile.telegram_id)
        if seen is not None and seen[0] == profile and now - seen[2] < self._fresh_for:
            return seen[1]
        promote = Role.ADMIN if profile.telegram_id in self._admin_ids else None
        user = await self._users.upsert(profile, promote_to=promote)
        self._remember(profile, user, now)
        return user

    async def set_timezone(self, user_id: int, timezone: str | None) -> None:
        await self._users.set_timezone(user_id, timezone)
        seen = self._recent.get(user_id)
        if seen is not None:
            self._recent[user_id] = (seen[0], replace(seen[1], timezone=timezone), seen[2])

    async def blocked_the_bot(self, user_id: int) -> None:
        """Telegram answered 403: stop sending until they write to us again."""
        self._recent.pop(user_id, None)
        await self._users.mark_blocked(user_id)

    async def set_role(self, user_id: int, role: Role) -> None:
        """The operator says what this person is (the demo's `--as-admin`, or its absence),
        whatever contacts or commands made them before."""
        self._recent.pop(user_id, None)
        await self._users.set_role(user_id, role)

    def forget(self, user_id: int) -> None:
        """Their user row is gone (erased): the next update must write it again."""
        self._recent.pop(user_id, None)

    def _remember(self, profile: Profile, user: User, now: float) -> None:
        if len(self._recent) >= self._capacity:
            cutoff = now - self._fresh_for
            self._recent = {k: v for k, v in self._recent.items() if v[2] > cutoff}
            if len(self._recent) >= self._capacity:
                self._recent.clear()
        self._recent[profile.telegram_id] = (profile, user, now)
