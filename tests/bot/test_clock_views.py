"""Reopening times read naturally in the learner's zone: today, tomorrow, or a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.views.clock import clock_time, is_timezone, local_time, until

NOW = datetime(2026, 11, 22, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("later", "timezone", "expected"),
    [
        (timedelta(minutes=20), None, "at 22:50 UTC"),
        (timedelta(hours=1), None, "at 23:30 UTC"),
        (timedelta(hours=2), None, "tomorrow at 00:30 UTC"),
        (timedelta(hours=1), "Europe/Berlin", "tomorrow at 00:30 CET"),
        (timedelta(days=3), "America/New_York", "on Wed 25 Nov at 17:30 EST"),
        (timedelta(hours=1), "Asia/Dubai", "at 03:30 UTC+04"),
        (timedelta(hours=1), "No/Such_Zone", "at 23:30 UTC"),
    ],
)
def test_local_time(later: timedelta, timezone: str | None, expected: str) -> None:
    assert local_time(NOW + later, timezone, NOW) == expected


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        (timedelta(seconds=5), "in 1 min"),
        (timedelta(minutes=58, seconds=30), "in 59 min"),
        (timedelta(hours=1), "in 1 h"),
        (timedelta(hours=3, minutes=5), "in 3 h 5 min"),
        (timedelta(days=3), "in 3 days"),
        (-timedelta(minutes=5), "in 1 min"),
    ],
)
def test_until(later: timedelta, expected: str) -> None:
    assert until(NOW + later, NOW) == expected


def test_timezone_names_are_checked() -> None:
    assert is_timezone("Europe/Berlin") and is_timezone("UTC")
    assert not is_timezone("Mars/Olympus") and not is_timezone("../../etc/passwd")
    assert clock_time(NOW, "Asia/Kolkata") == "04:00 IST"
