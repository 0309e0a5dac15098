"""Times as a learner reads them: in their timezone when they set one, UTC otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from bot.timezones import tzinfo_of


def zone(name: str | None) -> tzinfo:
    """The learner's stored zone (an IANA name or a fixed "UTC+02:00"); UTC otherwise."""
    return tzinfo_of(name)


def clock_time(moment: datetime, timezone: str | None) -> str:
    """`14:30 CET`: the wall-clock time in the learner's zone."""
    tz = zone(timezone)
    local = moment.astimezone(tz)
    return f"{local:%H:%M} {_abbreviation(local, tz)}"


def local_time(moment: datetime, timezone: str | None, now: datetime) -> str:
    """`at 14:30 UTC` today, `tomorrow at 09:00 CET`, `on Mon 30 Nov at 09:00 CET` later."""
    tz = zone(timezone)
    local, today = moment.astimezone(tz), now.astimezone(tz)
    clock = clock_time(moment, timezone)
    days = (local.date() - today.date()).days
    if days == 0:
        return f"at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    return f"on {local:%a %d %b} at {clock}"


def until(moment: datetime, now: datetime) -> str:
    """`in 59 min`, `in 3 h 5 min`, `in 2 days`: how long the learner has to wait."""
    seconds = max(int((moment - now.astimezone(UTC)).total_seconds()), 0)
    minutes = -(-seconds // 60)
    if minutes < 60:
        return f"in {max(minutes, 1)} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"in {hours} h" + (f" {minutes} min" if minutes else "")
    return f"in {round(hours / 24)} days"


def _abbreviation(local: datetime, tz: tzinfo) -> str:
    name = local.tzname() or str(tz)
    # Zones without a letter abbreviation report an offset like "+03"; say "UTC+03" then.
    return f"UTC{name}" if name[:1] in "+-" else name
