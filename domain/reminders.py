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
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from domain.clock import Clock
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


# -- the use cases ----------------------------------------------------------------------------

TOO_LATE = timedelta(hours=1)  # a reminder missed by more (downtime) is not sent late
SNOOZE_HOURS = 2
RECHECK_USUAL = timedelta(days=1)  # "when I usually study" without a usual time yet
VARIANTS = 4  # wordings of the reminder (bot/views/reminders.py has as many)


def parse_quiet(text: str) -> QuietHours:
    """`22:00-07:00`, `22-7`, `10pm – 7am`: two times of day, start first. The same time
    twice would be no quiet at all (or all day), and is refused with what was typed."""
    parts = re.split(r"\s*(?:-|–|—|to)\s*", text.strip().lower(), maxsplit=1)
    if len(parts) != 2:
        raise BadTime(text)
    try:
        start, end = parse_time(parts[0]), parse_time(parts[1])
    except BadTime:
        raise BadTime(text) from None
    if start == end:
        raise BadTime(text)
    return QuietHours(start, end)


@dataclass(frozen=True)
class Setting:
    """What /remind shows: the plan (None: never set) and when the next one goes."""

    plan: ReminderPlan | None
    next_at: datetime | None
    usual: time | None = None  # the learned time, when the plan follows it

    @property
    def on(self) -> bool:
        return self.plan is not None and self.plan.cadence is not Cadence.STOPPED


@dataclass(frozen=True)
class DueReminder:
    """A claimed reminder and what it would name, read in the sweep's one statement."""

    user_id: int
    plan: ReminderPlan
    next_at: datetime  # when it was due
    sent_count: int
    waiting: Waiting
    blocked: bool = False  # the learner blocked the bot
    last_active: datetime | None = None  # their latest study activity
    activity: tuple[datetime, ...] = ()  # recent activity, when the plan follows "usual"
    claim: datetime | None = None  # the lease this sweep holds it under


class Outcome(StrEnum):
    SEND = "send"
    NOTHING_WAITING = "nothing_waiting"
    TOO_LATE = "too_late"  # missed during downtime: moved to its next time, not sent late
    QUIET = "quiet"  # the learner's clock says quiet hours (their zone changed meanwhile)
    BLOCKED = "blocked"
    NO_USUAL_TIME = "no_usual_time"


@dataclass(frozen=True)
class Decision:
    """What one due reminder does. `plan`/`next_at` are written when it is sent;
    `unsent_plan`/`unsent_next_at` when it is not (or Telegram refuses it for good)."""

    user_id: int
    outcome: Outcome
    plan: ReminderPlan
    next_at: datetime | None
    unsent_plan: ReminderPlan
    unsent_next_at: datetime | None
    waiting: Waiting = field(default_factory=Waiting)
    notice: Notice | None = None
    variant: int = 0
    claim: datetime | None = None

    @property
    def sends(self) -> bool:
        return self.outcome is Outcome.SEND


def decide(due: DueReminder, now: datetime) -> Decision:
    """The rules of one due reminder at `now`.

    Before it is sent, the one before is judged: no activity since it went out means it
    was ignored (three in a row: weekly, and this message says so; six: this message says
    it is the last). Nothing waiting, a time missed by over TOO_LATE, or quiet hours on
    the learner's clock now: nothing is sent and the reminder moves to its next time.
    """
    plan = due.plan
    usual = usual_study_time(due.activity, plan.timezone) if plan.at is None else None

    def unsent(outcome: Outcome, next_at: datetime | None = None) -> Decision:
        if next_at is None:
            next_at = next_send_at(plan, now, usual)
        return Decision(
            due.user_id, outcome, plan, next_at, plan, next_at, due.waiting, claim=due.claim
        )

    if plan.at is None and usual is None:
        return unsent(Outcome.NO_USUAL_TIME, now + RECHECK_USUAL)
    if due.blocked:
        return unsent(Outcome.BLOCKED)
    if now - due.next_at > TOO_LATE:
        return unsent(Outcome.TOO_LATE)
    local = now.astimezone(ZoneInfo(plan.timezone)).time()
    if plan.quiet is not None and local in plan.quiet:
        return unsent(Outcome.QUIET)
    if not due.waiting.worth_a_reminder:
        return unsent(Outcome.NOTHING_WAITING)
    notice = None
    judged = plan
    if plan.last_sent_at is not None:
        if due.last_active is None or due.last_active < plan.last_sent_at:
            judged, notice = ignored(plan)
        else:
            judged = came_back(plan)
    after = sent(judged, now)
    return Decision(
        due.user_id,
        Outcome.SEND,
        after,
        next_send_at(after, now, usual),
        plan,
        next_send_at(plan, now, usual),
        due.waiting,
        notice,
        pick_variant(due.sent_count, VARIANTS),
        due.claim,
    )


class ReminderStore(Protocol):
    async def plan(self, user_id: int) -> tuple[ReminderPlan, datetime | None] | None:
        """The learner's plan (read in `timezone` as set on the learner) and its next_at."""

    async def save(
        self, user_id: int, plan: ReminderPlan, next_at: datetime | None, at: datetime
    ) -> None:
        """The learner's new setting, written by the bot they talk to; any lease dropped."""

    async def activity(self, user_id: int) -> list[datetime]:
        """Their recent study activity (topics completed, quizzes, reviews)."""

    async def claim_due(
        self, now: datetime, claim_until: datetime, limit: int
    ) -> list[DueReminder]:
        """Reminders of this bot due by `now`, nobody else's claim, held until `claim_until`."""

    async def finish(
        self,
        user_id: int,
        plan: ReminderPlan,
        next_at: datetime | None,
        *,
        sent: bool,
        claim: datetime | None,
        at: datetime,
    ) -> None:
        """After the sweep's decision: the plan's counters, the next time, the lease gone."""

    async def retry(self, user_id: int, at: datetime) -> None:
        """Telegram failed for now: due again at `at`, the lease gone."""


class ReminderService:
    def __init__(self, store: ReminderStore, clock: Clock) -> None:
        self._store = store
        self.now = clock

    async def setting(self, user_id: int, timezone: str | None) -> Setting:
        found = await self._store.plan(user_id)
        if found is None:
            return Setting(None, None)
        plan, next_at = found
        usual = None
        if plan.at is None:
            usual = usual_study_time(await self._store.activity(user_id), plan.timezone)
        return Setting(plan, next_at, usual)

    async def set_time(self, user_id: int, text: str, timezone: str | None) -> Setting:
        at = parse_time(text)
        return await self._change(user_id, timezone, at=at, stopped=False, snoozed_until=None)

    async def follow_usual(self, user_id: int, timezone: str | None) -> Setting:
        return await self._change(user_id, timezone, at=None, stopped=False, snoozed_until=None)

    async def set_quiet(self, user_id: int, text: str, timezone: str | None) -> Setting:
        return await self._change(user_id, timezone, quiet=parse_quiet(text))

    async def stop(self, user_id: int, timezone: str | None) -> Setting:
        return await self._change(user_id, timezone, stopped=True)

    async def snooze(self, user_id: int, timezone: str | None) -> Setting:
        """Again in SNOOZE_HOURS (or when quiet hours end); a snooze is no ignored one."""
        found = await self._store.plan(user_id)
        if found is None or found[0].cadence is Cadence.STOPPED:
            return Setting(found[0] if found else None, None)
        plan = came_back(snoozed(found[0], self.now(), SNOOZE_HOURS))
        return await self._write(user_id, plan)

    async def moved(self, user_id: int, timezone: str) -> None:
        """The learner set another time zone: their next reminder is at their time there."""
        found = await self._store.plan(user_id)
        if found is not None:
            await self._write(user_id, replace(found[0], timezone=timezone))

    async def _change(self, user_id: int, timezone: str | None, **changes) -> Setting:
        found = await self._store.plan(user_id)
        zone = timezone or "UTC"
        if found is None:
            # A learner who only sets quiet hours has reminders off until they pick a time.
            base = ReminderPlan(zone, time(19, 0), stopped=True)
        else:
            base = replace(found[0], timezone=zone)
        # Any setting is a sign of life: the back-off starts over.
        return await self._write(user_id, replace(base, ignored_in_a_row=0, **changes))

    async def _write(self, user_id: int, plan: ReminderPlan) -> Setting:
        now = self.now()
        usual = None
        if plan.at is None:
            usual = usual_study_time(await self._store.activity(user_id), plan.timezone)
        next_at = next_send_at(plan, now, usual)
        if next_at is None and plan.at is None and plan.cadence is not Cadence.STOPPED:
            next_at = now + RECHECK_USUAL  # nothing learned yet: look again tomorrow
        await self._store.save(user_id, plan, next_at, now)
        return Setting(plan, next_at, usual)

    # -- the sweep (bot/jobs/reminders.py sends) ----------------------------------------------

    async def claim_due(self, limit: int, lease: timedelta) -> list[tuple[DueReminder, Decision]]:
        now = self.now()
        due = await self._store.claim_due(now, now + lease, limit)
        return [(item, decide(item, now)) for item in due]

    async def delivered(self, decision: Decision) -> None:
        await self._finish(decision, sent=True)

    async def not_sent(self, decision: Decision) -> None:
        await self._finish(decision, sent=False)

    async def _finish(self, d: Decision, *, sent: bool) -> None:
        plan, next_at = (d.plan, d.next_at) if sent else (d.unsent_plan, d.unsent_next_at)
        await self._store.finish(d.user_id, plan, next_at, sent=sent, claim=d.claim, at=self.now())

    async def retry_later(self, user_id: int, delay: timedelta) -> None:
        await self._store.retry(user_id, self.now() + delay)
