"""The database probe: statements per kind of update, read from the bot's /metrics.

After the timed window, one learner at a time with nothing else running: the bot's
`tutorbot_db_queries_total` is read before every step and again once the bot has handled
it (`tutorbot_updates_processed_total` moved, plus a moment for the inbox's mark-done). The
/metrics endpoint's own queries (calibrated first) are subtracted.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import aiohttp


class Probe:
    """Reads the bot's statement counter around a step, after the bot has settled it."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self._url = url
        self.per_scrape = 0.0
        self.spent: dict[str, list[float]] = {}
        self._queries = 0.0
        self._processed = 0.0
        self._scrapes = 0

    async def _scrape(self) -> tuple[float | None, float]:
        async with self._session.get(self._url) as response:
            text = await response.text()
        self._scrapes += 1
        found = counters(text, ("tutorbot_db_queries_total", "tutorbot_updates_processed_total"))
        return found.get("tutorbot_db_queries_total"), found.get(
            "tutorbot_updates_processed_total", 0.0
        )

    async def calibrate(self) -> bool:
        await asyncio.sleep(1.5)  # let the last updates of the load settle
        readings = [await self._scrape() for _ in range(4)]
        if readings[0][0] is None:
            return False
        deltas = [b[0] - a[0] for a, b in itertools.pairwise(readings)]  # type: ignore[operator]
        self.per_scrape = min(deltas)
        return True

    async def before(self) -> None:
        await asyncio.sleep(0.05)
        queries, self._processed = await self._scrape()
        self._queries = queries or 0.0
        self._scrapes = 0

    async def after(self, label: str) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            _, processed = await self._scrape()
            if processed > self._processed:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the inbox's finish follows the handler
        queries, _ = await self._scrape()
        spent = (queries or 0.0) - self._queries - self._scrapes * self.per_scrape
        self.spent.setdefault(label, []).append(spent)


def counters(text: str, names: tuple[str, ...]) -> dict[str, float]:
    """Prometheus text format: each named series summed over its labels; absent names are
    left out."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in names:
            found[name] = found.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return found
