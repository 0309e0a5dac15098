"""The services' sense of time: a function returning an aware UTC datetime, injected so
tests can move it (tests/support/clock.py). Every timestamp a rule decides from or a
store writes as the outcome of a decision comes from it, never from the database's now()."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
