"""Flood rules: how fast a learner may write to the bot, and how fast the bot may write back.

Both directions are rate rules over time, so they live here as pure objects that are told
the time (seconds on a monotonic clock) instead of reading it: the limiters in `bot/` pass
`time.monotonic()`, tests pass whatever instant they need.

Incoming (`FloodControl`): every learner has a token bucket for their messages and a
smaller one for typed questions (each costs a model call; the *quota* of questions per
module is a different, database-held limit). A message that finds its bucket empty starts
a *stretch* of being limited: it and every message after it are dropped until the bucket
has refilled to half its size, so a flooder is told to slow down once, not once per
message, and does not get back in with every token that trickles in. Dropped messages cost
nothing, so a learner who stops is let back in after a few seconds.

Outgoing (`SlidingWindow`): Telegram counts what a bot sends per chat and overall in
windows of time; a sliding log of send times says exactly when the next send fits.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum


class Limit(StrEnum):
    """Which of a learner's rates an update ran into."""

    MESSAGES = "messages"
    QUESTIONS = "questions"


@dataclass
class TokenBucket:
    """`capacity` tokens, refilled continuously at `per_second`; a message takes one."""

    capacity: float
    per_second: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, capacity: float, per_second: float, now: float) -> TokenBucket:
        return cls(capacity, per_second, capacity, now)

    def refill(self, now: float) -> None:
        # A clock that steps backwards (it shouldn't: monotonic) refills nothing.
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.per_second)
        self.updated = max(self.updated, now)

    def has(self, tokens: float, now: float) -> bool:
        self.refill(now)
        return self.tokens >= tokens

    def take(self) -> None:
        """Spend one token; call after `has(1, now)` said there is one."""
        self.tokens -= 1

    def is_full(self, now: float) -> bool:
        self.refill(now)
        return self.tokens >= self.capacity


@dataclass(frozen=True)
class FloodRules:
    """Per-learner rates; a rate of 0 switches that limit off."""

    messages_per_minute: int = 60
    burst: int = 30
    questions_per_minute: int = 10
    question_burst: int = 5

    def bucket(self, limit: Limit, now: float) -> TokenBucket | None:
        rate, size = (
            (self.messages_per_minute, self.burst)
            if limit is Limit.MESSAGES
            else (self.questions_per_minute, self.question_burst)
        )
        if rate <= 0:
            return None
        return TokenBucket.full(max(1, size), rate / 60.0, now)


@dataclass(frozen=True)
class Admission:
    """The verdict on one update: let it through, or drop it (`limit` says which rate);
    `notify` is True for the first drop of a stretch, the one the learner is told about,
    and `wait` is how many seconds of quiet let them back in."""

    allowed: bool
    limit: Limit | None = None
    notify: bool = False
    wait: float = 0.0


ALLOWED = Admission(True)


@dataclass
class _Learner:
    buckets: dict[Limit, TokenBucket]
    limited: set[Limit] = field(default_factory=set)  # stretches in progress


@dataclass
class FloodStats:
    """What the guard has done since it started, for tests, logs and metrics."""

    allowed: int = 0
    dropped: dict[Limit, int] = field(default_factory=lambda: dict.fromkeys(Limit, 0))
    stretches: dict[Limit, int] = field(default_factory=lambda: dict.fromkeys(Limit, 0))


class FloodControl:
    """Incoming rate limits for every learner this process has heard from recently.

    State is in memory and per process: a learner whose buckets are full again is
    forgotten (checked every `forget_every` admissions), so memory follows the learners
    active in the last minute or so, not every learner ever seen.
    """

    def __init__(self, rules: FloodRules, *, forget_every: int = 1024) -> None:
        self.rules = rules
        self.stats = FloodStats()
        self._learners: dict[int, _Learner] = {}
        self._forget_every = forget_every
        self._since_forget = 0

    @property
    def enabled(self) -> bool:
        return self.rules.messages_per_minute > 0 or self.rules.questions_per_minute > 0

    def tracked(self) -> int:
        """How many learners are remembered right now."""
        return len(self._learners)

    def admit(self, user_id: int, now: float, *, question: bool = False) -> Admission:
        """May this learner's update (a typed question when `question`) go through now?"""
        self._maybe_forget(now)
        learner = self._learners.get(user_id)
        if learner is None:
            learner = self._learners[user_id] = _Learner(self._fresh_buckets(now))
        wanted = [Limit.MESSAGES, Limit.QUESTIONS] if question else [Limit.MESSAGES]
        for limit in wanted:
            bucket = learner.buckets.get(limit)
            if bucket is None:
                continue
            # Inside a stretch the learner waits for half a bucket, not for one token.
            resume = math.ceil(bucket.capacity / 2)
            if not bucket.has(resume if limit in learner.limited else 1, now):
                self.stats.dropped[limit] += 1
                notify = limit not in learner.limited
                if notify:
                    learner.limited.add(limit)
                    self.stats.stretches[limit] += 1
                wait = (resume - bucket.tokens) / bucket.per_second
                return Admission(False, limit, notify, wait)
        for limit in wanted:
            bucket = learner.buckets.get(limit)
            if bucket is not None:
                bucket.take()
            learner.limited.discard(limit)
        self.stats.allowed += 1
        return ALLOWED

    def _fresh_buckets(self, now: float) -> dict[Limit, TokenBucket]:
        made = {limit: self.rules.bucket(limit, now) for limit in Limit}
        return {limit: bucket for limit, bucket in made.items() if bucket is not None}

    def _maybe_forget(self, now: float) -> None:
        self._since_forget += 1
        if self._since_forget < self._forget_every:
            return
        self._since_forget = 0
        idle = [
            user_id
            for user_id, learner in self._learners.items()
            if all(bucket.is_full(now) for bucket in learner.buckets.values())
        ]
        for user_id in idle:
            del self._learners[user_id]


class SlidingWindow:
    """At most `limit` events in any `window` seconds, known exactly from their times.

    `ready_at(now)` is when the next event fits (`delay`: how long from now); `record(now)`
    notes one that happened. Events recorded without waiting (e.g. replies that must not
    be held back) still count, so whoever does wait gets only the room that is left.
    """

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a window needs a positive limit and length")
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def ready_at(self, now: float, limit: int | None = None) -> float:
        """The earliest time, `now` or later, at which one more event fits; `limit` (at
        most the window's own) asks for room under a lower line, to leave a reserve."""
        wanted = self.limit if limit is None else max(1, min(limit, self.limit))
        self._expire(now)
        if len(self._times) < wanted:
            return now
        # The event that must leave the window before one more fits.
        return max(now, self._times[-wanted] + self.window)

    def delay(self, now: float, limit: int | None = None) -> float:
        return self.ready_at(now, limit) - now

    def record(self, now: float) -> None:
        self._expire(now)
        self._times.append(now)

    def idle(self, now: float) -> bool:
        """Nothing in the window any more: the window can be forgotten."""
        self._expire(now)
        return not self._times

    def _expire(self, now: float) -> None:
        times = self._times
        # The same sum as in `ready_at`, so an event is gone exactly when it said so.
        while times and times[0] + self.window <= now:
            times.popleft()
