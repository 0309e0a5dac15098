"""Telegram having a bad moment, on a test's request: outages, error answers, timeouts.

A test arms a fault (``inject``, ``outage``) and the HTTP core strikes it before the
method runs, so the bot meets the failure exactly where it would in production: on the
wire, with Telegram's status code and wording, or with a call held until the client gives
up. Calls a fault fails are marked as provoked (``InjectedError``), so
``assert_no_rejections`` keeps guarding everything else. Method names are spelled as the
HTTP core spells them (``_canonical``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

from bot.emulator.core import EmulatorCore, clock
from bot.emulator.state import ApiError


class Faults(EmulatorCore):
    """The faults armed for the calls to come, oldest first."""

    def _setup_faults(self) -> None:
        self._outages: dict[str, int] = {}  # method -> calls still to fail with 502
        self.faults: list[Fault] = []  # armed by inject(), oldest first

    def outage(self, method: str, calls: int) -> None:
        """Telegram has a bad moment: the next `calls` calls of `method` answer 502."""
        canonical = self._canonical(method) or method
        self._outages[canonical] = calls

    def inject(
        self,
        method: str | None = None,
        status: int | Literal["timeout"] = 500,
        *,
        count: int | None = None,
        seconds: float | None = None,
        retry_after: int = 1,
        hold: float = 30.0,
    ) -> Fault:
        """Telegram misbehaves for a while: calls of `method` (None: every method) fail with
        `status` — 500, 429 with `retry_after`, any other error code — or, with "timeout",
        are held `hold` seconds before Telegram handles them (a client that gives up first
        hangs up, and the call is never performed). The fault lasts for `count` calls or
        `seconds`, whichever ends first (neither: until `Fault.end()`). Calls it fails are
        provoked on purpose, so `assert_no_rejections` does not count them. Returns the
        fault, which counts the calls it hit."""
        canonical = None if method is None else (self._canonical(method) or method)
        until = None if seconds is None else clock() + seconds
        fault = Fault(canonical, status, count, until, retry_after, hold)
        self.faults.append(fault)
        return fault

    def synchronization_error(self, at: float | None = None) -> None:
        """Telegram failed to sync the bot's updates between its datacenters (at ``at``, Unix
        time, default now); getWebhookInfo reports it as ``last_synchronization_error_date``."""
        self.queue.last_synchronization_error_date = int(time.time() if at is None else at)

    async def _strike_faults(self, method: str) -> None:
        """Fail (or hold) a call of `method` if an outage or an armed fault says so."""
        if self._outages.get(method):
            self._outages[method] -= 1
            raise ApiError(502, "Bad Gateway")
        fault = self._fault_for(method)
        if fault is not None:
            await fault.strike()

    def _fault_for(self, method: str) -> Fault | None:
        """The oldest armed fault that applies to a call of `method` now (spent ones go)."""
        now = clock()
        self.faults = [fault for fault in self.faults if fault.armed(now)]
        return next((f for f in self.faults if f.method in (None, method)), None)


class InjectedError(ApiError):
    """An error answer a test asked for with `inject`, not one the bot provoked."""


@dataclass
class Fault:
    """One stretch of Telegram trouble armed by `BotApiEmulator.inject`; `hits` counts the
    calls it struck, `first_hit`/`last_hit` say when (monotonic seconds), for the figures
    a test reports (e.g. how long the bot took to recover after the last one)."""

    method: str | None
    status: int | Literal["timeout"]
    count: int | None
    until: float | None
    retry_after: int = 1
    hold: float = 30.0
    hits: int = 0
    first_hit: float | None = None
    last_hit: float | None = None
    ended: bool = False

    def end(self) -> None:
        """Telegram is well again (for this fault)."""
        self.ended = True

    def armed(self, now: float) -> bool:
        if self.ended or (self.until is not None and now >= self.until):
            return False
        return self.count is None or self.hits < self.count

    async def strike(self) -> None:
        """Fail the call at hand: raise its error, or hold it (then let it through)."""
        self.hits += 1
        self.last_hit = clock()
        if self.first_hit is None:
            self.first_hit = self.last_hit
        if self.status == "timeout":
            await asyncio.sleep(self.hold)  # cancelled when the client hangs up
            return
        if self.status == 429:
            raise InjectedError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        if self.status == 500:
            raise InjectedError(500, "Internal Server Error")
        raise InjectedError(self.status, f"Error {self.status} (injected)")
