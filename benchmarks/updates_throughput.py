"""Updates per second under a burst: PTB's default httpx transport vs our aiohttp one.

A bare PTB Application (``concurrent_updates(256)``, no Updater) with one handler that
answers every text message with ``sendMessage`` is pointed at the Bot API emulator
(``bot.emulator.BotApiEmulator``, no spec check). N updates from M users are put on
``application.update_queue`` at once after ``application.start()``; the run ends when
every handler's ``sendMessage`` has returned, and the emulator must have recorded N
``sendMessage`` calls. Reported: updates/s, per-update latency (queued -> answer
returned) p50/p95, failed calls, and the aiohttp/httpx ratio. The same Application is
built twice, differing only in ``.request(...)``: ``HTTPXRequest(connection_pool_size=256)``
(PTB's default transport) and ``bot.transport.request.AiohttpRequest()``. Each transport runs
``--rounds`` times, alternating, each round against a fresh emulator; a warm-up burst
(untimed) opens the connections first.

By default the emulator runs in its own process, as Telegram is not on our CPU; with
``--emulator inline`` it shares the bot's event loop (both then compete for one core).

Optionally (``--full-app``) the real Application from ``bot.app.build_application`` (our
handlers, AiohttpRequest) answers ``/start`` bursts backed by an embedded PostgreSQL. The
updates go in the way the webhook hands them over: each raw update is passed to
``bot.app.inbox_worker(application).receive(payload)`` (all at once, like concurrent webhook
posts), which stores it in ``update_inbox`` and runs it at once when its chat is idle (the
worker's poll loop and each ``finish`` pick up a busy chat's next update); the handler
upserts the user and replies, and the update is marked done. Latency is from ``receive``
to the handlers having run. ``benchmarks/webhook_load.py`` measures the whole bot process
over real webhook posts.

Run:  .venv/bin/python benchmarks/updates_throughput.py --quick
      .venv/bin/python benchmarks/updates_throughput.py --full-app
      .venv/bin/python benchmarks/updates_throughput.py --updates 5000 --users 500
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.emulator import BotApiEmulator
from bot.transport.inbox import InboxWorker
from bot.transport.request import AiohttpRequest

TOKEN = "123456:BENCH-token_abcdefghijk"
Json = dict[str, Any]


# -- the emulator, in this process or its own --------------------------------------------------


class Emulator(Protocol):
    base_url: str

    async def make_updates(self, count: int, users: int, text: str) -> list[Json]: ...

    async def send_message_count(self) -> int: ...


def _make_updates(emu: BotApiEmulator, count: int, users: int, text: str) -> list[Json]:
    first = 1_000_000
    for user_id in range(first, first + users):
        emu.user(user_id, f"Learner{user_id - first}")
    updates = []
    for i in range(count):
        update = emu.send_text(first + i % users, text or f"question {i}", deliver=False)
        assert update is not None
        updates.append(update)
    return updates


def _sent(emu: BotApiEmulator) -> int:
    return sum(1 for call in emu.calls if call.method == "sendMessage" and call.ok)


class InlineEmulator:
    def __init__(self, emu: BotApiEmulator) -> None:
        self._emu = emu
        self.base_url = emu.base_url or ""

    async def make_updates(self, count: int, users: int, text: str) -> list[Json]:
        return _make_updates(self._emu, count, users, text)

    async def send_message_count(self) -> int:
        return _sent(self._emu)


class ProcessEmulator:
    """The emulator in a child process, driven over a pipe (one request at a time)."""

    def __init__(self, conn: Connection, base_url: str) -> None:
        self._conn = conn
        self.base_url = base_url
        self._lock = asyncio.Lock()

    async def _ask(self, *message: object) -> Any:
        async with self._lock:
            self._conn.send(message)
            return await asyncio.to_thread(self._conn.recv)

    async def make_updates(self, count: int, users: int, text: str) -> list[Json]:
        return await self._ask("updates", count, users, text)

    async def send_message_count(self) -> int:
        return await self._ask("count")


def _emulator_main(conn: Connection) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_emulator_serve(conn))


async def _emulator_serve(conn: Connection) -> None:
    async with BotApiEmulator(TOKEN, deliver=False) as emu:
        conn.send(emu.base_url)
        while True:
            message = await asyncio.to_thread(conn.recv)
            if message[0] == "updates":
                conn.send(_make_updates(emu, *message[1:]))
            elif message[0] == "count":
                conn.send(_sent(emu))
            else:
                conn.send(None)
                return


@asynccontextmanager
async def emulator(mode: str) -> AsyncIterator[Emulator]:
    """A fresh emulator: calls and rate-limit bookkeeping start empty for every run."""
    if mode == "inline":
        async with BotApiEmulator(TOKEN, deliver=False) as emu:
            yield InlineEmulator(emu)
        return
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_emulator_main, args=(child,), daemon=True)
    process.start()
    try:
        base_url = await asyncio.to_thread(parent.recv)
        handle = ProcessEmulator(parent, base_url)
        yield handle
        await handle._ask("stop")
    finally:
        await asyncio.to_thread(process.join, 5)
        if process.is_alive():
            process.terminate()


# -- one burst ---------------------------------------------------------------------------------


@dataclass
class Burst:
    updates: int
    seconds: float
    latencies_ms: list[float]
    failures: int
    recorded: int  # sendMessage calls the emulator accepted during the timed burst

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Recorder:
    """Shared by the handler and the driver: when each update was queued and answered."""

    def __init__(self) -> None:
        self.queued: dict[int, float] = {}
        self.latencies_ms: list[float] = []
        self.failures = 0
        self.expected = 0
        self.done = asyncio.Event()

    def expect(self, count: int) -> None:
        self.queued.clear()
        self.latencies_ms = []
        self.failures = 0
        self.expected = count
        self.done = asyncio.Event()

    def finished(self, update_id: int, ok: bool) -> None:
        started = self.queued.pop(update_id, None)
        if ok and started is not None:
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
        elif not ok:
            self.failures += 1
        if len(self.latencies_ms) + self.failures >= self.expected:
            self.done.set()


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    recorder: Recorder = context.bot_data["recorder"]
    ok = True
    try:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "Noted, thanks!")
    except Exception:
        ok = False
    recorder.finished(update.update_id, ok)


async def feed(application: Application, updates: list[Update], recorder: Recorder) -> float:
    """Queue every update at once; return the seconds until all of them were answered."""
    recorder.expect(len(updates))
    started = time.perf_counter()
    for update in updates:
        recorder.queued[update.update_id] = time.perf_counter()
        await application.update_queue.put(update)
    await recorder.done.wait()
    return time.perf_counter() - started


async def run_bare(transport: str, args: argparse.Namespace) -> Burst:
    request: BaseRequest = (
        HTTPXRequest(connection_pool_size=args.concurrency)
        if transport == "httpx"
        else AiohttpRequest(connection_pool_size=args.concurrency)
    )
    async with emulator(args.emulator) as emu:
        raw = await emu.make_updates(args.warmup + args.updates, args.users, "")
        application = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(f"{emu.base_url}/bot")
            .base_file_url(f"{emu.base_url}/file/bot")
            .request(request)
            .concurrent_updates(args.concurrency)
            .updater(None)
            .build()
        )
        application.add_handler(MessageHandler(filters.TEXT, answer))
        recorder = Recorder()
        application.bot_data["recorder"] = recorder
        async with application:
            await application.start()
            updates = [Update.de_json(u, application.bot) for u in raw]
            warmup, timed = updates[: args.warmup], updates[args.warmup :]
            async with asyncio.timeout(args.timeout):
                if warmup:
                    await feed(application, warmup, recorder)
                before = await emu.send_message_count()
                seconds = await feed(application, timed, recorder)
            recorded = await emu.send_message_count() - before
            await application.stop()
    return Burst(len(timed), seconds, recorder.latencies_ms, recorder.failures, recorded)


# -- the real Application ----------------------------------------------------------------------


async def run_full_app(args: argparse.Namespace) -> Burst:
    from bot.app import build_application, inbox_worker, open_services
    from bot.settings import load_settings
    from storage.embedded import EmbeddedPostgres
    from storage.migrations import migrate

    with tempfile.TemporaryDirectory(prefix="tutorbot-bench-") as tmp:
        database = EmbeddedPostgres(Path(tmp))
        url = await database.start()
        try:
            await migrate(url)
            settings = load_settings(
                _env_file=None,
                telegram_bot_token=TOKEN,
                data_dir=Path(tmp),
                embedding_backend="local",
                # Measure what the app can do; in production TELEGRAM_RATE_LIMIT caps the
                # sending rate at Telegram's ~30 messages/s.
                telegram_rate_limit=0,
            )
            async with emulator(args.emulator) as emu, open_services(settings, url) as services:
                raw = await emu.make_updates(args.warmup + args.updates, args.users, "/start")
                application = build_application(
                    services, TOKEN, polling=False, api_url=emu.base_url
                )
                # A later handler group runs once our handlers are done, i.e. replied.
                recorder = Recorder()
                application.add_handler(
                    TypeHandler(Update, partial(_answered, recorder)), group=1000
                )
                worker = inbox_worker(application)
                async with application:
                    await application.start()
                    worker.start()
                    warmup, timed = raw[: args.warmup], raw[args.warmup :]
                    try:
                        async with asyncio.timeout(args.timeout):
                            if warmup:
                                await feed_inbox(worker, warmup, recorder)
                            seconds = await feed_inbox(worker, timed, recorder)
                    finally:
                        await worker.stop(5)
                    recorded = await emu.send_message_count() - len(warmup)
                    counting = await asyncpg.connect(url)  # the services keep their pool
                    users, done = await counting.fetchrow(
                        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM update_inbox"
                        " WHERE processed_at IS NOT NULL)"
                    )
                    await counting.close()
                    await application.stop()
                errors = int(services.metrics.value("tutorbot_handler_errors_total"))
        finally:
            await database.stop()
    print(
        f"  full app: {users} user rows, {done} updates marked done in the inbox, "
        f"{errors} handler errors",
        flush=True,
    )
    return Burst(len(timed), seconds, recorder.latencies_ms, errors, recorded)


async def feed_inbox(worker: InboxWorker, updates: list[Json], recorder: Recorder) -> float:
    """Hand every update to the inbox at once, as concurrent webhook posts would; return
    the seconds until all of them were handled."""
    recorder.expect(len(updates))
    started = time.perf_counter()

    async def receive(update: Json) -> None:
        recorder.queued[update["update_id"]] = time.perf_counter()
        await worker.receive(update)

    await asyncio.gather(*(receive(update) for update in updates))
    await recorder.done.wait()
    return time.perf_counter() - started


async def _answered(recorder: Recorder, update: Update, _context: object) -> None:
    recorder.finished(update.update_id, True)


# -- report ------------------------------------------------------------------------------------


def describe(name: str, burst: Burst) -> str:
    p50, p95 = burst.percentile(50), burst.percentile(95)
    latency = f"{p50:>8.0f}  {p95:>8.0f}" if burst.latencies_ms else f"{'-':>8}  {'-':>8}"
    return (
        f"{name:<22}  {burst.updates:>7}  {burst.seconds:>7.2f}  {burst.rate:>9.0f}  "
        f"{latency}  {burst.failures:>6}  {burst.recorded:>8}"
    )


HEADER = (
    f"{'run':<22}  {'updates':>7}  {'seconds':>7}  {'updates/s':>9}  {'p50 ms':>8}  "
    f"{'p95 ms':>8}  {'failed':>6}  {'recorded':>8}"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 updates, 1 round")
    parser.add_argument("--updates", type=int, help="timed updates per run (default 2000)")
    parser.add_argument("--users", type=int, default=200, help="distinct users (chats)")
    parser.add_argument("--concurrency", type=int, default=256, help="concurrent_updates and pool")
    parser.add_argument("--warmup", type=int, help="untimed updates first (default 256)")
    parser.add_argument(
        "--rounds", type=int, help="runs per transport, alternating (default 3; 0 = none)"
    )
    parser.add_argument("--emulator", choices=["process", "inline"], default="process")
    parser.add_argument(
        "--full-app", action="store_true", help="also run bot.app's Application with PostgreSQL"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per burst")
    args = parser.parse_args()
    args.updates = args.updates or (300 if args.quick else 2000)
    args.warmup = args.warmup if args.warmup is not None else min(256, args.updates)
    args.rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    return args


async def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(
        f"{args.updates} updates per burst from {args.users} users, concurrent_updates "
        f"{args.concurrency}, {args.warmup} warm-up updates, emulator {args.emulator}, "
        f"{args.rounds} round(s); {os.cpu_count()} CPUs",
        flush=True,
    )
    results: dict[str, list[Burst]] = {"httpx": [], "aiohttp": []}
    for round_no in range(1, args.rounds + 1):
        order = ("httpx", "aiohttp") if round_no % 2 else ("aiohttp", "httpx")
        for transport in order:
            burst = await run_bare(transport, args)
            results[transport].append(burst)
            print(f"  round {round_no} {transport:<8} {burst.rate:>7.0f} updates/s", flush=True)
    full = await run_full_app(args) if args.full_app else None

    print()
    print(HEADER)
    print("-" * len(HEADER))
    for transport, label in (
        ("httpx", "PTB HTTPXRequest"),
        ("aiohttp", "AiohttpRequest"),
    ):
        for i, burst in enumerate(results[transport], 1):
            print(describe(f"{label} #{i}", burst))
    if full is not None:
        print(describe("full app, /start + DB", full))
    print()
    if args.rounds:
        medians = {t: statistics.median(b.rate for b in bursts) for t, bursts in results.items()}
        print(
            f"median updates/s: httpx {medians['httpx']:.0f}, aiohttp {medians['aiohttp']:.0f}; "
            f"aiohttp/httpx = {medians['aiohttp'] / medians['httpx']:.1f}x"
        )
    print(
        "latency = update queued -> its sendMessage returned (full app: handed to the inbox -> "
        "its handlers done), for a burst queued all at once; recorded = sendMessage calls the "
        "emulator accepted."
    )


if __name__ == "__main__":
    asyncio.run(main())
