"""When to remind a learner to study: in their own time zone, never in their quiet hours,
at most once a local day, backing off when they ignore us.

The rules only; the sweep that claims and sends (exactly once across replicas) lives in
`bot/jobs/` over a store. Times are aware datetimes in UTC everywhere except the wall-clock
`time`s a learner chose, which are read in their zone on the day they apply, so a
daylight-saving change moves the UTC instant and never the learner's 19:00.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.errors import BadTime

IGNORED_BEFORE_WEEKLY = 3
IGNORED_BEFORE_STOP = 6  # three daily, then three weekly
USUAL_FROM_AT_LEAST = 3  # activities before "when I usually study" means anything
USUAL_FROM_LAST = 30


class Cadence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    STOPPED = "stopped"


@dataclass(frozen=True)
class QuietHours:
    """[start, end) in local wall-clock time; start > end wraps midnight (22:00–07:00)."""

    start: time
    end: time

    def __contains__(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class ReminderPlan:
    timezone: str  # an IANA name
    at: time | None  # None: when the learner usually studies
    quiet: QuietHours | None = None
    stopped: bool = False  # the learner said stop
    ignored_in_a_row: int = 0
    last_sent_at: datetime | None = None
    snoozed_until: datetime | None = None

    @property
    def cadence(self) -> Cadence:
        if self.stopped or self.ignored_in_a_row >= IGNORED_BEFORE_STOP:
            return Cadence.STOPPED
        if self.ignored_in_a_row >= IGNORED_BEFORE_WEEKLY:
            return Cadence.WEEKLY
        return Cadence.DAILY


_CLOCK = re.compile(r"(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h)?")


def parse_time(text: str) -> time:
    """What a learner types for a time of day: `19:00`, `19`, `7pm`, `7:30 pm`, `07.30`,
    `19h`. Anything else (`25:99`, `tomorrow`, ``) is refused with what they typed."""
    match = _CLOCK.fullmatch(text.strip().lower())
    if match is None:
        raise BadTime(text)
    hour, minute = int(match[1]), int(match[2] or 0)
    suffix = (match[3] or "").replace(".", "")
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            raise BadTime(text)
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise BadTime(text)
    return time(hour, minute)


def next_send_at(plan: ReminderPlan, after: datetime, usual: time | None = None) -> datetime | None:
    """The first moment after `after` (UTC) the plan allows, or None when it sends nothing
    (stopped, or "usual" with no usual time yet).

    A time inside quiet hours moves to their end (the learner asked for the reminder, and
    later the same morning is closer to it than skipping the day). A wall-clock time the
    day skips (spring forward) becomes the first minute that exists after it; one the day
    has twice (fall back) is its first occurrence. One a local day, one a week when
    backing off.
    """
    if plan.cadence is Cadence.STOPPED:
        return None
    wanted = plan.at or usual
    if wanted is None:
        return None
    zone = ZoneInfo(plan.timezone)
    if plan.snoozed_until is not None and plan.snoozed_until > after:
        return _outside_quiet(plan.snoozed_until, plan.quiet, zone)
    if plan.quiet is not None and wanted in plan.quiet:
        wanted = plan.quiet.end
    day = after.astimezone(zone).date()
    if plan.last_sent_at is not None:
        gap = 7 if plan.cadence is Cadence.WEEKLY else 1
        day = max(day, plan.last_sent_at.astimezone(zone).date() + timedelta(days=gap))
    for offset in range(8):
        moment = _on(day + timedelta(days=offset), wanted, zone)
        if moment > after:
            return moment
    raise AssertionError("a day within a week always has the wanted time after `after`")


def _on(day: date, wanted: time, zone: ZoneInfo) -> datetime:
    """`wanted` on `day` in `zone`, as UTC: a skipped time moves to the end of the gap."""
    local = datetime.combine(day, wanted, tzinfo=zone)  # fold=0: the first of two
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return moment
    # In a gap (spring forward): the first minute whose wall-clock time is past `wanted`
    # lies between the instant read with the offset after the jump and the one read with
    # the offset before it, at most the jump (an hour, rarely two) apart.
    wall = local.replace(tzinfo=None)
    candidate = local.replace(fold=1).astimezone(UTC)
    while candidate.astimezone(zone).replace(tzinfo=None) < wall:
        candidate += timedelta(minutes=1)
    return candidate


def _outside_quiet(moment: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime:
    """`moment`, or the end of the quiet hours it falls in."""
    local = moment.astimezone(zone)
    if quiet is None or local.time() not in quiet:
        return moment
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)  # the quiet night ends tomorrow morning
    return _on(day, quiet.end, zone)


class Notice(StrEnum):
    """What the bot should tell the learner after another ignored reminder."""

    GOING_WEEKLY = "going_weekly"
    STOPPING = "stopping"


def sent(plan: ReminderPlan, at: datetime) -> ReminderPlan:
    return replace(plan, last_sent_at=at, snoozed_until=None)


def ignored(plan: ReminderPlan) -> tuple[ReminderPlan, Notice | None]:
    """One more reminder went by without the learner coming back."""
    count = plan.ignored_in_a_row + 1
    notice = {IGNORED_BEFORE_WEEKLY: Notice.GOING_WEEKLY, IGNORED_BEFORE_STOP: Notice.STOPPING}
    return replace(plan, ignored_in_a_row=count), notice.get(count)


def came_back(plan: ReminderPlan) -> ReminderPlan:
    """Any activity: the back-off starts over."""
    return replace(plan, ignored_in_a_row=0)


def snoozed(plan: ReminderPlan, now: datetime, hours: int = 2) -> ReminderPlan:
    """One tap: again in `hours` (or when quiet hours end), counted as that day's one."""
    return replace(plan, snoozed_until=now + timedelta(hours=hours), last_sent_at=None)


def usual_study_time(activity: Iterable[datetime], timezone: str) -> time | None:
    """The local hour the learner was most often active in, over their last activities.

    The mode of hours rather than a mean or median: study times cluster (after work, at
    lunch), and an average of 23:00 and 01:00 would be noon. Ties go to the later hour,
    when a reminder is less likely to interrupt work.
    """
    zone = ZoneInfo(timezone)
    recent = sorted(activity)[-USUAL_FROM_LAST:]
    if len(recent) < USUAL_FROM_AT_LEAST:
        return None
    hours = Counter(moment.astimezone(zone).hour for moment in recent)
    best = max(hours.items(), key=lambda item: (item[1], item[0]))[0]
    return time(best, 0)


def pick_variant(sent_count: int, variants: int) -> int:
    """Which wording to use: each in turn, so two reminders in a row never read alike."""
    return sent_count % variants if variants > 0 else 0


@dataclass(frozen=True)
class Waiting:
    """What a reminder names: cards due and the topics left in the module being read."""

    cards_due: int = 0
    topics_left: int = 0
    module_no: int | None = None

    @property
    def worth_a_reminder(self) -> bool:
        return self.cards_due > 0 or self.topics_left > 0
