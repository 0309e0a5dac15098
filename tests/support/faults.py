"""Helpers for failure-injection tests: what the inbox says after a fault, a database
server a test may stop, and the bot running the way `tutorbot run` polls.

The faults themselves live at the process boundaries: `BotApiEmulator.inject` (Telegram
answering 500, 429 or hanging), `FakeOpenAI` (the model refusing, failing or stalling) and
`EmbeddedPostgres.halt`/`resume` (the database going away). Nothing of ours is patched.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application, inbox_worker
from bot.context import Services
from bot.emulator import BotApiEmulator
from bot.transport.polling import InboxPoller
from storage.embedded import EmbeddedPostgres
from storage.migrations import migrate


@dataclass(frozen=True)
class InboxHealth:
    """The durable inbox after the storm: every update processed, none given up on."""

    updates: int
    unprocessed: int
    failed: int
    retried: int  # handling attempts beyond the first, over all updates
    errors: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return self.unprocessed == 0 and self.failed == 0


async def inbox_health(pool: asyncpg.Pool) -> InboxHealth:
    row = await pool.fetchrow(
        """
        SELECT count(*) AS updates,
               count(*) FILTER (WHERE processed_at IS NULL) AS unprocessed,
               count(*) FILTER (WHERE failed) AS failed,
               coalesce(sum(greatest(attempts - 1, 0)), 0) AS retried,
               coalesce(array_agg(last_error) FILTER (WHERE last_error IS NOT NULL), '{}')
                   AS errors
        FROM update_inbox
        """
    )
    assert row is not None
    return InboxHealth(
        row["updates"], row["unprocessed"], row["failed"], row["retried"], tuple(row["errors"])
    )


@contextlib.asynccontextmanager
async def own_postgres(data_dir: Path) -> AsyncIterator[EmbeddedPostgres]:
    """A migrated server of the test's own: halting the shared one would stop every test."""
    server = EmbeddedPostgres(data_dir)
    url = await server.start()
    try:
        await migrate(url)
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def polling_bot(services: Services, emulator: BotApiEmulator) -> AsyncIterator[Application]:
    """The bot as `tutorbot run` runs it without a webhook: long polling into the inbox, the
    inbox worker's claim loop and heartbeat, the application started. Updates the emulator
    queues (its users' `send_text`, `press_button` with delivery on) reach it as on
    Telegram, and what cannot be stored stays unconfirmed at Telegram until it can."""
    assert emulator.base_url is not None
    application = build_application(
        services, emulator.token, polling=True, api_url=emulator.base_url
    )
    worker = inbox_worker(application)
    async with application:
        await application.start()
        worker.start()
        poller = InboxPoller(application.bot, worker, ALLOWED_UPDATES, timeout=1)
        poller.start()
        try:
            yield application
        finally:
            await poller.stop()
            await worker.stop(grace_seconds=5)
            await application.stop()


async def eventually(
    check: Callable[[], Awaitable[object]], *, within: float = 30.0, every: float = 0.05
) -> None:
    """Wait until `await check()` is true, e.g. a database query (`emulator.wait_for` is the
    one for what the chat shows); fails with what it last returned."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last: object = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return
        await asyncio.sleep(every)
    raise AssertionError(f"not within {within} s (last: {last!r})")
