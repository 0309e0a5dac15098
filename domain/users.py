"""Who is talking to the bot, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass
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


class UserService:
    """Keeps the user row in step with Telegram and with the configured admin list.

    Admins listed in ADMIN_TELEGRAM_IDS are promoted on contact; roles granted by bot
    commands are stored and never lowered here, so removing an id from the list is an
    explicit act (a command), not a side effect of a restart.
    """

    def __init__(self, users: UserRepository, admin_ids: frozenset[int]) -> None:
        self._users = users
        self._admin_ids = admin_ids

    async def register(self, profile: Profile) -> User:
        promote = Role.ADMIN if profile.telegram_id in self._admin_ids else None
        return await self._users.upsert(profile, promote_to=promote)

    async def set_timezone(self, user_id: int, timezone: str | None) -> None:
        await self._users.set_timezone(user_id, timezone)

    async def blocked_the_bot(self, user_id: int) -> None:
        """Telegram answered 403: stop sending until they write to us again."""
        await self._users.mark_blocked(user_id)
