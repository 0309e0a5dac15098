"""Daily goals, streaks and course target dates: counted in the learner's own days.

A day is a calendar day in the learner's time zone, so an activity at 23:30 in Tokyo counts
for that Tokyo day whatever the server's clock says. Today unmet does not break a streak
until it is over: the learner still has the evening.

What a day counts, by the goal's kind: topics marked complete that day; review answers
given that day; minutes studied, an estimate (`storage/goals.py` reckons it): each topic
completed as its reading time at `WORDS_PER_MINUTE` (at least a minute), plus each review's
measured answer time (at most `REVIEW_MINUTES_AT_MOST`; one without a time adds nothing).

The streak counts the days since the goal was set (`set_at`, in the learner's zone), and
at most `LOOKBACK_DAYS` back: a new goal starts a new streak, and setting the same goal
again changes nothing. A course target date is measured from the day it was set, counting
only the topics done since then.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.clock import Clock
from domain.errors import Reason, TargetRefused
from domain.learning.model import CourseInfo, CourseProgress, LearnerCourse
from domain.learning.rules import progress_of_each

FREEZE_EVERY = 7  # met days in a row that earn a streak freeze
FREEZES_AT_MOST = 2
LOOKBACK_DAYS = 400  # days of activity a streak is counted over: a longer one shows 400
WORDS_PER_MINUTE = 200  # reading speed for a completed topic's minutes
REVIEW_MINUTES_AT_MOST = 5  # a poll left open overnight is not a night of study
TARGET_YEARS_AT_MOST = 3  # a target date further away is a typo more often than a plan


class GoalKind(StrEnum):
    TOPICS = "topics"
    REVIEWS = "reviews"
    MINUTES = "minutes"


@dataclass(frozen=True)
class DailyGoal:
    kind: GoalKind
    target: int  # at least 1


# The goals offered (the buttons of /goal); a press for another is forged.
OFFERED: dict[GoalKind, tuple[int, ...]] = {
    GoalKind.TOPICS: (1, 2, 3),
    GoalKind.REVIEWS: (10, 20, 30),
    GoalKind.MINUTES: (10, 20, 30),
}


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


# Dates as a learner types them: 2027-03-01, 1.3.2027, 1 Mar 2027, 1 March 2027.
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")


def parse_target_date(text: str, today: date) -> date:
    """The date typed, from `today` (the learner's) to `TARGET_YEARS_AT_MOST` years on."""
    typed = re.sub(r"\s+", " ", text.strip())[:40]
    for form in _DATE_FORMATS:
        try:
            day = datetime.strptime(typed, form).date()
        except ValueError:
            continue
        if day < today:
            raise TargetRefused(Reason.DATE_PASSED, text=typed)
        if day > today.replace(year=today.year + TARGET_YEARS_AT_MOST, day=min(today.day, 28)):
            raise TargetRefused(Reason.DATE_TOO_FAR, text=typed, limit=TARGET_YEARS_AT_MOST)
        return day
    raise TargetRefused(Reason.BAD_DATE, text=typed)


@dataclass(frozen=True)
class GoalRecord:
    """The goal as stored, with the amounts of its kind per local day since it was set."""

    goal: DailyGoal
    set_at: datetime
    totals: dict[date, int]


@dataclass(frozen=True)
class GoalToday:
    """The goal, how far today has got toward it, and the streak: what Home shows."""

    goal: DailyGoal
    today: date
    done_today: int
    streak: Streak

    @property
    def met(self) -> bool:
        return self.done_today >= self.goal.target


def goal_today(record: GoalRecord | None, today: date) -> GoalToday | None:
    if record is None:
        return None
    return GoalToday(
        record.goal, today, record.totals.get(today, 0), streak(record.totals, record.goal, today)
    )


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The learner's calendar day at `moment`."""
    return moment.astimezone(zone).date()


@dataclass(frozen=True)
class CourseTarget:
    """A course's target date with the learner's topics done and the course's total."""

    course_id: UUID
    course_name: str
    target_date: date
    started_on: date
    started_done: int  # topics done when the target was set
    done: int
    total: int

    def pace(self, today: date) -> Pace:
        """The pace of the topics done since the target was set, toward the rest."""
        base = min(self.started_done, self.done)
        return pace(self.done - base, self.total - base, self.started_on, self.target_date, today)


@dataclass(frozen=True)
class GoalOverview:
    """/goal: the daily goal (None: none set) and the course target dates."""

    today: date
    goal: GoalToday | None
    targets: list[CourseTarget]


@dataclass(frozen=True)
class ProgressView:
    """/progress: every course's progress, the streak, and the target dates' paces."""

    today: date
    courses: list[CourseProgress]
    goal: GoalToday | None
    targets: dict[UUID, CourseTarget]


class GoalStore(Protocol):
    async def goal(
        self, user_id: int, timezone: str | None, now: datetime
    ) -> tuple[GoalRecord | None, list[CourseTarget]]:
        """The goal with its per-day totals, and the course target dates."""

    async def set_goal(
        self, user_id: int, goal: DailyGoal, timezone: str | None, now: datetime
    ) -> GoalRecord:
        """Keep the goal (`set_at` unchanged when it is the goal already) and read it back."""

    async def clear_goal(self, user_id: int) -> bool:
        """Whether there was a goal."""

    async def set_target(
        self, user_id: int, chat_id: int, target: date, today: date, now: datetime
    ) -> CourseTarget | None:
        """The target date for the learner's current course (the chat's, else the one they
        studied last); None when they have no active course."""

    async def clear_target(self, user_id: int, course_id: UUID) -> bool: ...

    async def home(
        self, user_id: int, timezone: str | None, now: datetime
    ) -> tuple[list[LearnerCourse], list[CourseInfo], GoalRecord | None]:
        """Home's read (the learner's courses and the catalog) with the goal, in one."""

    async def progress(
        self, user_id: int, timezone: str | None, now: datetime
    ) -> tuple[list[LearnerCourse], GoalRecord | None, list[CourseTarget]]:
        """/progress's read: every enrollment's state, the goal and the target dates."""


class GoalService:
    """`timezone` is the learner's as stored (None: UTC); `zone_of` reads it as a tzinfo
    (an IANA name or a fixed offset: bot/timezones.py), the store reads it in SQL."""

    def __init__(
        self, store: GoalStore, clock: Clock, zone_of: Callable[[str | None], tzinfo]
    ) -> None:
        self._store = store
        self._clock = clock
        self._zone_of = zone_of

    def today(self, timezone: str | None) -> date:
        return self._day(self._clock(), timezone)

    def _day(self, now: datetime, timezone: str | None) -> date:
        return local_day(now, self._zone_of(timezone))

    async def overview(self, user_id: int, timezone: str | None) -> GoalOverview:
        now = self._clock()
        record, targets = await self._store.goal(user_id, timezone, now)
        today = self._day(now, timezone)
        return GoalOverview(today, goal_today(record, today), targets)

    async def set_goal(
        self, user_id: int, kind: GoalKind, target: int, timezone: str | None
    ) -> GoalToday:
        if target not in OFFERED[kind]:
            raise TargetRefused(Reason.GOAL_NOT_OFFERED)
        now, goal = self._clock(), DailyGoal(kind, target)
        record = await self._store.set_goal(user_id, goal, timezone, now)
        today = goal_today(record, self._day(now, timezone))
        assert today is not None  # just kept
        return today

    async def clear_goal(self, user_id: int) -> bool:
        return await self._store.clear_goal(user_id)

    async def set_target(
        self, user_id: int, chat_id: int, text: str, timezone: str | None
    ) -> CourseTarget:
        now = self._clock()
        today = self._day(now, timezone)
        day = parse_target_date(text, today)
        target = await self._store.set_target(user_id, chat_id, day, today, now)
        if target is None:
            raise TargetRefused(Reason.NO_COURSE_FOR_TARGET)
        return target

    async def clear_target(self, user_id: int, course_id: UUID) -> bool:
        return await self._store.clear_target(user_id, course_id)

    async def home(
        self, user_id: int, timezone: str | None
    ) -> tuple[list[CourseProgress], list[CourseInfo], GoalToday | None]:
        now = self._clock()
        mine, catalog, record = await self._store.home(user_id, timezone, now)
        today = goal_today(record, self._day(now, timezone))
        return progress_of_each(mine, now), catalog, today

    async def progress(self, user_id: int, timezone: str | None) -> ProgressView:
        now = self._clock()
        mine, record, targets = await self._store.progress(user_id, timezone, now)
        today = self._day(now, timezone)
        return ProgressView(
            today,
            progress_of_each(mine, now),
            goal_today(record, today),
            {t.course_id: t for t in targets},
        )
