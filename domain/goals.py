"""Daily goals, streaks and course target dates: counted in the learner's own days.

A day is a calendar day in the learner's time zone, so an activity at 23:30 in Tokyo counts
for that Tokyo day whatever the server's clock says. Today unmet does not break a streak
until it is over: the learner still has the evening.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

FREEZE_EVERY = 7  # met days in a row that earn a streak freeze
FREEZES_AT_MOST = 2


class GoalKind(StrEnum):
    TOPICS = "topics"
    REVIEWS = "reviews"
    MINUTES = "minutes"


@dataclass(frozen=True)
class DailyGoal:
    kind: GoalKind
    target: int  # at least 1


def daily_totals(events: Iterable[tuple[datetime, int]], timezone: str) -> dict[date, int]:
    """Amounts of the goal's kind (a topic done: 1, minutes studied: n) per local day."""
    zone = ZoneInfo(timezone)
    totals: dict[date, int] = defaultdict(int)
    for moment, amount in events:
        totals[moment.astimezone(zone).date()] += amount
    return dict(totals)


@dataclass(frozen=True)
class Streak:
    days: int  # met days in a row (frozen days keep it, they do not add to it)
    met_today: bool
    freezes: int  # left to spend on a missed day
    frozen: list[date] = field(default_factory=list)  # the missed days a freeze covered


def streak(totals: dict[date, int], goal: DailyGoal, today: date) -> Streak:
    """Walk the days from the first with any activity to today, in order: a met day adds
    one (every `FREEZE_EVERY`th in a row earns a freeze, at most `FREEZES_AT_MOST` kept), a
    missed day before today spends a freeze or ends the streak."""
    if not totals:
        return Streak(0, False, 0)
    days, freezes, frozen = 0, 0, []
    day = min(totals)
    while day <= today:
        if totals.get(day, 0) >= goal.target:
            days += 1
            if days % FREEZE_EVERY == 0:
                freezes = min(freezes + 1, FREEZES_AT_MOST)
        elif day < today:
            if freezes and days:
                freezes -= 1
                frozen.append(day)
            else:
                days, frozen = 0, []
        day += timedelta(days=1)
    return Streak(days, totals.get(today, 0) >= goal.target, freezes, frozen)


class PaceState(StrEnum):
    DONE = "done"
    ON_TRACK = "on_track"
    BEHIND = "behind"


@dataclass(frozen=True)
class Pace:
    state: PaceState
    per_day: int  # topics a day from today on to finish by the target date (0: done)
    days_left: int  # including today; 0 once the target date has passed


def pace(done: int, total: int, started: date, target: date, today: date) -> Pace:
    """On track when at least the share of topics the share of days elapsed asks for is
    done (counting today as not yet spent); past the target date the rest is due now."""
    remaining = max(total - done, 0)
    if remaining == 0:
        return Pace(PaceState.DONE, 0, max((target - today).days + 1, 0))
    days_left = (target - today).days + 1
    if days_left <= 0:
        return Pace(PaceState.BEHIND, remaining, 0)
    span = max((target - started).days + 1, 1)
    elapsed = min(max((today - started).days, 0), span)
    expected = math.floor(total * elapsed / span)
    state = PaceState.ON_TRACK if done >= expected else PaceState.BEHIND
    return Pace(state, math.ceil(remaining / days_left), days_left)
