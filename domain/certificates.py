"""Certificates of completion: issued once per learner and course, checked by anyone.

A certificate is issued from the domain's single completion outcome (`CourseCompleted`,
domain/progress.py), once: the store's unique key makes a second completion (two
replicas, a re-delivered update) insert nothing. It carries an unguessable code
(`secrets.token_urlsafe`, 96 bits), the name the learner chose to show (or their Telegram
name), the course, the date and a score summary. Anyone holding the code checks it
(`verify`): valid, revoked or unknown, with the name, course and date only. A code that
cannot be one (too long, other characters) is unknown without a look in the database.

Staff revoke a certificate (audited) or reissue it (the old code is revoked, a new one
issued with the learner's current name). When the holder erases their data (/deleteme)
the certificate stays without their name: a verifier reads "issued; the holder erased
their data".
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain.admin import Action, AdminService, Done
from domain.clock import Clock, utc_now
from domain.errors import CertificateRefused, Reason
from domain.progress import CourseCompleted

NAME_LIMIT = 80  # characters of a holder's name
REASON_LIMIT = 200
CODE_BYTES = 12  # token_urlsafe: 16 characters, 96 random bits
_CODE = re.compile(r"[A-Za-z0-9_-]{16,32}")
DEEP_LINK_PREFIX = "verify_"  # t.me/<bot>?start=verify_<code>


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def parse_code(text: str) -> str | None:
    """The code a person typed or a URL carried, or None when it cannot be one (then it
    is unknown without asking the database: no query for forged input)."""
    code = text.strip()
    return code if _CODE.fullmatch(code) else None


def clean_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise CertificateRefused(Reason.CERTIFICATE_NAME_EMPTY)
    if len(name) > NAME_LIMIT:
        raise CertificateRefused(
            Reason.CERTIFICATE_NAME_TOO_LONG, limit=NAME_LIMIT, length=len(name)
        )
    if any(not ch.isprintable() for ch in name):
        raise CertificateRefused(Reason.CERTIFICATE_NAME_EMPTY)
    return name


@dataclass(frozen=True)
class Certificate:
    code: str
    user_id: int | None
    course_id: UUID
    course_name: str
    holder_name: str | None  # None: the holder erased their data
    score: str
    issued_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class Status(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verification:
    """What a verifier is shown: no more than the name, the course and the date (and, for
    a revoked certificate, when it was revoked)."""

    status: Status
    holder_name: str | None = None  # None with a known code: the holder erased their data
    course_name: str | None = None
    issued_at: datetime | None = None
    revoked_at: datetime | None = None


UNKNOWN = Verification(Status.UNKNOWN)


def verification(found: Certificate | None) -> Verification:
    if found is None:
        return UNKNOWN
    status = Status.REVOKED if found.revoked else Status.VALID
    return Verification(
        status, found.holder_name, found.course_name, found.issued_at, found.revoked_at
    )


class CertificateStore(Protocol):
    async def issue(
        self, user_id: int, course_id: UUID, code: str, default_name: str, at: datetime
    ) -> Certificate | None:
        """Insert the learner's certificate for the course with their chosen name (or
        `default_name`); None when they hold a live one already (nothing written)."""
        ...

    async def set_name(self, user_id: int, name: str, at: datetime) -> None: ...

    async def chosen_name(self, user_id: int) -> str | None: ...

    async def mine(self, user_id: int) -> list[Certificate]:
        """The learner's certificates, live ones first, newest first."""
        ...

    async def find(self, code: str) -> Certificate | None: ...

    async def revoke(self, code: str, reason: str, at: datetime) -> Certificate | None:
        """Revoke a live certificate; None when there is none by that code."""
        ...


class CertificateService:
    def __init__(
        self, store: CertificateStore, admin: AdminService, clock: Clock = utc_now
    ) -> None:
        self._store = store
        self._admin = admin
        self._clock = clock

    async def completed(self, outcome: CourseCompleted, default_name: str) -> Certificate | None:
        """The reaction to a completion: the certificate, or None when it was issued
        before (a completion reached twice issues nothing new)."""
        return await self._store.issue(
            outcome.user_id, outcome.course_id, new_code(), _fallback(default_name), outcome.at
        )

    async def name(self, user_id: int, default_name: str) -> str:
        return await self._store.chosen_name(user_id) or _fallback(default_name)

    async def set_name(self, user_id: int, text: str) -> str:
        name = clean_name(text)
        await self._store.set_name(user_id, name, self._clock())
        return name

    async def mine(self, user_id: int) -> list[Certificate]:
        return await self._store.mine(user_id)

    async def one_of_mine(self, user_id: int, code: str) -> Certificate:
        found = await self._store.find(code)
        if found is None or found.user_id != user_id:
            raise CertificateRefused(Reason.CERTIFICATE_UNKNOWN)
        return found

    async def verify(self, text: str) -> Verification:
        code = parse_code(text)
        if code is None:
            return UNKNOWN
        return verification(await self._store.find(code))

    async def revoke(self, actor: int, text: str, reason: str) -> Done:
        """Staff revoke a certificate by its code (audited, with the reason)."""
        staff = await self._admin.require(actor, Action.REVOKE_CERTIFICATE, text[:64])
        code, why = parse_code(text), " ".join(reason.split())[:REASON_LIMIT]
        revoked = await self._store.revoke(code, why, self._clock()) if code else None
        await self._admin.record(
            staff, Action.REVOKE_CERTIFICATE, text[:64], "done", {"changed": bool(revoked)}
        )
        if revoked is None:
            return Done(f"No valid certificate has the code {text[:64]}.", changed=False)
        return Done(
            f"Certificate {revoked.code} ({revoked.course_name}) is revoked.",
            learner=revoked.user_id,
        )

    async def reissue(self, actor: int, text: str, reason: str) -> tuple[Done, Certificate | None]:
        """Revoke a certificate and issue its holder a new one (their current name)."""
        staff = await self._admin.require(actor, Action.REVOKE_CERTIFICATE, text[:64])
        code, why = parse_code(text), " ".join(reason.split())[:REASON_LIMIT]
        old = await self._store.find(code) if code else None
        if old is None or old.revoked or old.user_id is None or code is None:
            await self._admin.record(
                staff, Action.REVOKE_CERTIFICATE, text[:64], "done", {"reissued": False}
            )
            return Done(f"No valid certificate has the code {text[:64]}.", changed=False), None
        at = self._clock()
        await self._store.revoke(code, f"reissued: {why}"[:REASON_LIMIT], at)
        new = await self._store.issue(
            old.user_id, old.course_id, new_code(), old.holder_name or "", at
        )
        await self._admin.record(
            staff,
            Action.REVOKE_CERTIFICATE,
            text[:64],
            "done",
            {"reissued": new.code if new else None},
        )
        if new is None:  # issued again meanwhile by a completion
            return Done(f"Certificate {code} is revoked.", learner=old.user_id), None
        return (
            Done(
                f"Certificate {code} is revoked; the new code is {new.code}.", learner=old.user_id
            ),
            new,
        )


def _fallback(default_name: str) -> str:
    """The Telegram name as a certificate name (cut to the limit; never empty)."""
    name = " ".join(default_name.split())[:NAME_LIMIT]
    return name or "Learner"
