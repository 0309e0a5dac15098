"""Pacing what the bot sends the way Telegram counts it: per chat, and overall.

PTB's `AIORateLimiter` paced every request through one overall bucket and, on a 429,
stopped *all* requests until the wait was over: one chat going over its limit held up
everybody's replies, and a broadcast competed with replies on equal terms. This limiter
keeps them apart:

- **Per chat** (content calls only: `send*`, `edit*`, copies and forwards): at most
  `chat_burst` in any `chat_burst` seconds, i.e. short bursts but 1 message a second
  sustained (groups: 20 a minute). A 429 for a chat pauses that chat only; the call is
  retried (`max_retries` times) once the chat's wait is over.
- **Overall**: at most `overall_rate` content calls in any second (Telegram's ~30/s).
  Bulk sends (cooldown notices, broadcasts), which their senders mark with PTB's
  `rate_limit_args=BULK`, stop short of it by `reserve` and are spread evenly, so replies
  to learners find room even while a broadcast runs at full speed: a reply waits for the
  overall window only when replies alone fill it. A 429 on a bulk send pauses bulk sends
  only; replies go on.
- Everything else — answerCallbackQuery above all, whose button spins until it is
  answered — goes straight out, never behind a chat's queue or the overall window; a 429
  there is waited out and retried for that call alone.

Windows are measured when a call leaves; Telegram counts when it arrives, and calls leaving
together arrive spread by the network and the event loop. `MARGIN` seconds added to the
overall window (`CHAT_MARGIN` to a chat's) keep that spread from pushing one call too
many into Telegram's window.

State is per process: with N replicas give each `TELEGRAM_RATE_LIMIT` 30/N. A chat's
updates are handled by one replica at a time, so per-chat pacing holds across replicas
except at a hand-over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from domain.flood import SlidingWindow

log = logging.getLogger(__name__)

BULK = "bulk"  # rate_limit_args of a send that can wait: it yields to replies
MARGIN = 0.1  # seconds added to every window for the spread between leaving and arriving
# A chat's window is 3 s or a minute, so a wider margin costs it little; one call of a
# chat arriving 0.1 s late behind two others was seen to break Telegram's window on a busy
# machine (tests/bot/transport/test_outgoing_limiter.py, once in CI).
CHAT_MARGIN = 0.25
GROUP_LIMIT, GROUP_WINDOW = 20, 60.0  # Telegram: about 20 messages a minute in a group
_CONTENT_PREFIXES = ("send", "edit", "copyMessage", "forwardMessage")
_NOT_CONTENT = frozenset({"sendChatAction"})

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


def is_content(endpoint: str) -> bool:
    """Calls that put something in a chat or change it: what Telegram's flood limits count."""
    return endpoint.startswith(_CONTENT_PREFIXES) and endpoint not in _NOT_CONTENT


@dataclass
class _Gate:
    """Where calls queue: one chat, or the bulk senders. `lock` keeps waiters in arrival
    order; `window` (None: no pace of its own) and `paused_until` (a 429) say when the
    next may go."""

    window: SlidingWindow | None
    paused_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def wait(self, now: float) -> float:
        paced = self.window.delay(now) if self.window is not None else 0.0
        return max(self.paused_until - now, paced)

    def pause(self, now: float, seconds: float) -> None:
        self.paused_until = max(self.paused_until, now + seconds)

    def open(self, now: float) -> bool:
        """Nothing to wait for: no pace of its own, no waiters, no 429 pause."""
        return self.window is None and not self.lock.locked() and self.paused_until <= now

    def idle(self, now: float) -> bool:
        quiet = self.window is None or self.window.idle(now)
        return quiet and not self.lock.locked() and self.paused_until <= now


class OutgoingLimiter(BaseRateLimiter[str]):
    """`overall_rate` 0: no overall window; `chat_burst` 0: no per-chat pacing (429s are
    honoured either way, for the chat or the bulk sends they were for)."""

    def __init__(
        self,
        *,
        overall_rate: int = 30,
        chat_burst: int = 3,
        reserve: int | None = None,
        max_retries: int = 3,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        forget_every: int = 1024,
    ) -> None:
        self._chat_burst = chat_burst
        self._max_retries = max_retries
        self._clock = clock
        self._sleep = sleep
        self._overall = SlidingWindow(overall_rate, 1.0 + MARGIN) if overall_rate else None
        # Room kept for replies while bulk sends run: a tenth of the rate by default.
        kept = max(1, overall_rate // 10) if reserve is None else reserve
        self._bulk_limit = max(1, overall_rate - kept)
        # Bulk sends are also spread evenly rather than sent in bursts: a burst from a
        # replica that just started (or resumed a broadcast) would land on top of what
        # the previous one sent in its last second, which this process never saw.
        spacing = (1.0 + MARGIN) / self._bulk_limit
        self._bulk = _Gate(SlidingWindow(1, spacing) if overall_rate else None)
        self._chats: dict[int | str, _Gate] = {}
        self._forget_every = forget_every
        self._since_forget = 0

    async def initialize(self) -> None:
        """Nothing to set up: gates are made on first use."""

    async def shutdown(self) -> None:
        self._chats.clear()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> JSONResult:
        content = is_content(endpoint)
        chat_id = data.get("chat_id") if content else None
        if not isinstance(chat_id, int | str):
            chat_id = None
        # Without per-chat pacing a chat needs a gate only once a 429 paused it.
        chat = self._gate_of(chat_id) if chat_id is not None and self._chat_burst else None
        if chat is None and chat_id is not None:
            chat = self._chats.get(chat_id)
        bulk = content and rate_limit_args == BULK
        gates = [gate for gate in (self._bulk if bulk else None, chat) if gate is not None]
        for attempt in range(self._max_retries + 1):
            if content:
                await self._depart(gates, bulk=bulk)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self._max_retries:
                    raise
                seconds = retry_after_seconds(exc)
                now = self._clock()
                if bulk:
                    self._bulk.pause(now, seconds)
                elif chat_id is not None:
                    chat = chat or self._gate_of(chat_id)
                    chat.pause(now, seconds)
                    gates = [chat]
                else:
                    await self._sleep(seconds)
                log.info("429 on %s (chat %s): retrying in %.1f s", endpoint, chat_id, seconds)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _depart(self, gates: list[_Gate], *, bulk: bool) -> None:
        """Wait until the call's gates and the overall window all let it out, then count
        it in each at the moment it leaves. Locks are taken bulk first, then chat, and
        replies take only their chat's, so waiters never hold each other up in a cycle."""
        limit = self._bulk_limit if bulk else None
        if self._overall is None and all(gate.open(self._clock()) for gate in gates):
            return  # no pacing configured and no 429 pause in force: nothing to wait for
        async with contextlib.AsyncExitStack() as held:
            for gate in gates:
                await held.enter_async_context(gate.lock)
            while (delay := self._delay(gates, limit)) > 0:
                await self._sleep(delay)
            now = self._clock()
            for gate in gates:
                if gate.window is not None:
                    gate.window.record(now)
            if self._overall is not None:
                self._overall.record(now)

    def _delay(self, gates: list[_Gate], limit: int | None) -> float:
        now = self._clock()
        overall = self._overall.delay(now, limit) if self._overall is not None else 0.0
        return max([overall, *(gate.wait(now) for gate in gates)])

    def _gate_of(self, chat_id: int | str) -> _Gate:
        self._forget_idle()
        gate = self._chats.get(chat_id)
        if gate is None:
            gate = self._chats[chat_id] = _Gate(self._chat_window(chat_id))
        return gate

    def _chat_window(self, chat_id: int | str) -> SlidingWindow | None:
        if not self._chat_burst:
            return None
        # Negative ids and @usernames are groups and channels.
        if isinstance(chat_id, str) or chat_id < 0:
            return SlidingWindow(GROUP_LIMIT, GROUP_WINDOW + CHAT_MARGIN)
        return SlidingWindow(self._chat_burst, self._chat_burst + CHAT_MARGIN)

    def _forget_idle(self) -> None:
        """Drop the gates of chats with nothing in their window, so memory follows activity."""
        self._since_forget += 1
        if self._since_forget < self._forget_every:
            return
        self._since_forget = 0
        now = self._clock()
        for chat_id in [c for c, gate in self._chats.items() if gate.idle(now)]:
            del self._chats[chat_id]

    def tracked_chats(self) -> int:
        return len(self._chats)


def retry_after_seconds(exc: RetryAfter) -> float:
    """Telegram's advised wait in seconds. PTB 22 stores it as a timedelta, and its public
    attribute warns that it will change type; read the stored value, as PTB's own limiter
    does."""
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    legacy = exc.retry_after
    return legacy.total_seconds() if isinstance(legacy, timedelta) else float(legacy)
