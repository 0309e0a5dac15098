"""Reopening times read naturally in the learner's zone: today, tomorrow, or a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.timezones import Ambiguous, Found, Unknown, resolve
from bot.views.clock import clock_time, local_time, until

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
    assert resolve("Europe/Berlin") == Found("Europe/Berlin") and resolve("UTC") == Found(None)
    assert resolve("Mars/Olympus") == Unknown("Mars/Olympus")
    assert resolve("../../etc/passwd") == Unknown("../../etc/passwd")
    assert resolve("Europe") == Unknown("Europe"), "a folder of the tz database is no zone"
    assert clock_time(NOW, "Asia/Kolkata") == "04:00 IST"


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("europe/berlin", Found("Europe/Berlin")),
        ("berlin", Found("Europe/Berlin")),
        ("New York", Found("America/New_York")),
        ("são paulo", Found("America/Sao_Paulo")),
        ("UTC+2", Found("UTC+02:00", fixed=True)),
        ("+02:00", Found("UTC+02:00", fixed=True)),
        ("GMT-5", Found("UTC-05:00", fixed=True)),
        ("utc +5:30", Found("UTC+05:30", fixed=True)),
        ("gmt", Found(None)),
        ("UTC+0", Found(None)),
        ("Etc/GMT+5", Found("Etc/GMT+5")),  # the IANA name, as written, is taken as is
        ("+15", Unknown("+15")),
        ("+05:20", Unknown("+05:20")),
        ("eastern", Ambiguous(("Canada/Eastern", "US/Eastern"))),
        ("ber", Ambiguous(("Atlantic/Bermuda", "Europe/Berlin"))),
    ],
)
def test_a_zone_is_found_the_way_people_write_it(typed: str, found: object) -> None:
    assert resolve(typed) == found


def test_fixed_offsets_read_as_utc_plus_or_minus() -> None:
    assert clock_time(NOW, "UTC+05:30") == "04:00 UTC+05:30"
    assert local_time(NOW + timedelta(hours=1), "UTC-05:00", NOW) == "at 18:30 UTC-05:00"
