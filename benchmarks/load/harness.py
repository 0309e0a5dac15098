"""One measured run: a bot process (ours or a bare baseline) under the load generator.

For the timed window: the generator's samples, CPU seconds of the bot, PostgreSQL (the
postmaster and all its children, when it runs on this machine), the fake Bot API and the
generator; the bot's memory (idle before the load, peak after), its /metrics counters and
the fake API's calls before and after, and optionally a py-spy profile of the bot.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from benchmarks.load import generator, probe, procstats, pyspy
from benchmarks.load.children import (
    REPO,
    Children,
    free_port,
    python,
    wait_http_ok,
    wait_webhook_set,
)
from benchmarks.load.generator import GeneratorConfig, Result
from benchmarks.load.seed import TOKEN, returning_learners

SECRET = "load-secret"
HOOK = "telegram/load"
COUNTERS = (
    "tutorbot_db_queries_total",
    "tutorbot_updates_processed_total",
    "tutorbot_updates_failed_total",
    "tutorbot_updates_retried_total",
    "tutorbot_handler_errors_total",
    "tutorbot_webhook_rejected_total",
)


@dataclass
class Settings:
    """What every run shares (from the command line)."""

    learners: int
    replicas: int  # our bot's processes, all on the one database
    warmup: float
    duration: float
    steps: int | None
    ask_every: int
    connections: int
    reply_timeout: float
    think_ms: float
    returning_share: float
    bot_env: dict[str, str]
    model_ms: float
    profile: Path | None
    workdir: Path
    api_url: str  # the fake Bot API (and model) base URL
    event_socket: str
    database_url: str


@dataclass
class Run:
    name: str
    result: Result | None = None
    skipped: str | None = None
    cpu: dict[str, float | None] = field(default_factory=dict)  # bot, postgres, fake api, load
    idle: procstats.Memory | None = None
    peak: procstats.Memory | None = None
    metrics: dict[str, float] | None = None  # counter deltas over the timed window
    api_calls: Counter[str] = field(default_factory=Counter)
    log_problems: list[str] = field(default_factory=list)
    exit_code: int | None = None
    hot: pyspy.Hot | None = None
    profile_path: Path | None = None
    seeded: tuple[int, float] = (0, 0.0)  # returning learners prepared, seconds it took
    bot_waited: float | None = None  # the bot runnable but without a CPU, in the window


class Harness:
    def __init__(self, settings: Settings, children: Children, helpers: list[int]) -> None:
        self.s = settings
        self._children = children
        self._helpers = helpers  # pids: [fake Bot API]
        self._users = 1_000_000  # each run's learners get their own user ids
        self._returning = (0, 0)  # first id, count (our bot's run only)

    # -- the targets -----------------------------------------------------------------------

    async def ours(self) -> Run:
        run = Run("ours")
        if self.s.returning_share > 0:
            first, count = 900_000_000, self.s.learners * 3
            seconds = await returning_learners(
                self.s.database_url, self.s.workdir / "data", first, count
            )
            run.seeded = (count, seconds)
            self._returning = (first, count)
        processes, hooks, metrics, logs = [], [], [], []
        for replica in range(self.s.replicas):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            log = self.s.workdir / (f"bot-{replica + 1}.log" if self.s.replicas > 1 else "bot.log")
            process = await self._children.spawn(
                [python(), "-m", "bot", "run"],
                env=self._bot_env(base, port),
                log=log,
                cwd=self.s.workdir,
            )
            await wait_http_ok(f"{base}/readyz", process, log)
            processes.append(process)
            hooks.append(f"{base}/{HOOK}")
            metrics.append(f"{base}/metrics")
            logs.append(log)
        pids = [p.pid for p in processes]
        await self._drive(run, pids, "tutor", hooks, metrics)
        codes = [await self._children.stop(process) for process in processes]
        run.exit_code = next((code for code in codes if code), codes[0])
        run.log_problems = [line for log in logs for line in _problems(log)]
        return run

    def _bot_env(self, base: str, port: int) -> dict[str, str]:
        env = _clean_env()
        env.update(
            PYTHONPATH=str(REPO),
            DATABASE_URL=self.s.database_url,
            DATA_DIR=str(self.s.workdir / "data"),
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=self.s.api_url,
            TELEGRAM_RATE_LIMIT="0",
            # Learners here step as fast as replies come, far above a person's pace: the
            # flood guard still runs on every update, with limits no learner reaches.
            FLOOD_MESSAGES_PER_MINUTE="6000",
            FLOOD_BURST="1000",
            FLOOD_QUESTIONS_PER_MINUTE="600",
            FLOOD_QUESTION_BURST="100",
            WEBHOOK_URL=f"{base}/{HOOK}",
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(port),
            EMBEDDING_BACKEND="local",
            OPENAI_API_KEY="fake",
            OPENAI_BASE_URL=f"{self.s.api_url}/v1",
            LOG_LEVEL="WARNING",
        )
        env.update(self.s.bot_env)
        return env

    async def bare(self, name: str, transport: str) -> Run:
        run = Run(name)
        port = free_port()
        log = self.s.workdir / f"bare-{transport}.log"
        args = [python(), "-m", "benchmarks.load.bare_bot", "--transport", transport]
        args += ["--api-url", self.s.api_url, "--token", TOKEN, "--port", str(port)]
        args += ["--path", HOOK, "--secret", SECRET]
        env = _clean_env()
        env["PYTHONPATH"] = str(REPO)
        process = await self._children.spawn(args, env=env, log=log, cwd=self.s.workdir)
        webhook = f"http://127.0.0.1:{port}/{HOOK}"
        await wait_webhook_set(self.s.api_url, webhook, process, log)
        await self._drive(run, [process.pid], "echo", [webhook], [])
        run.exit_code = await self._children.stop(process)
        run.log_problems = _problems(log)
        return run

    # -- one timed run ---------------------------------------------------------------------

    async def _drive(
        self, run: Run, pids: list[int], mode: str, webhooks: list[str], metrics_urls: list[str]
    ) -> None:
        """`pids`, `webhooks`, `metrics_urls`: one per process of the bot under test. CPU is
        summed over them, memory is the largest one's; the one-learner probe needs a single
        process's counters, so it runs only with one."""
        pid = pids[0]
        run.idle = procstats.memory(pid)
        self._users += 1_000_000
        config = GeneratorConfig(
            mode=mode,
            webhook_urls=tuple(webhooks),
            secret=SECRET,
            event_socket=self.s.event_socket,
            learners=self.s.learners,
            warmup=self.s.warmup,
            duration=self.s.duration,
            steps=self.s.steps,
            ask_every=self.s.ask_every,
            connections=self.s.connections,
            reply_timeout=self.s.reply_timeout,
            first_user=self._users,
            metrics_url=metrics_urls[0] if len(metrics_urls) == 1 else None,
            think_ms=self.s.think_ms,
            returning_share=self.s.returning_share if mode == "tutor" else 0.0,
            returning_first=self._returning[0],
            returning_count=self._returning[1] if mode == "tutor" else 0,
        )
        load, conn = self._children.fork(generator.run, config)
        assert load.pid is not None
        postmaster = await _postmaster(self.s.database_url) if mode == "tutor" else None
        recording = None
        if self.s.profile is not None and mode == "tutor":
            run.profile_path = self.s.profile
            recording = pyspy.Recording(self._children, pid, self.s.profile, self.s.workdir / "spy")
        await _expect(conn, "ready")
        conn.send("go")
        await _expect(conn, "timed_start")
        windows = {
            "bot": procstats.CpuWindow(pids),
            "fake Bot API + model": procstats.CpuWindow(self._helpers),
            "load generator": procstats.CpuWindow([load.pid]),
        }
        postgres = _postgres_pids(postmaster)  # after the warm-up: the pool has grown
        if postgres:
            windows["PostgreSQL"] = procstats.CpuWindow(postgres)
        for window in windows.values():
            window.start()
        waited = _waiting(pids)
        before = await _counters(metrics_urls) if metrics_urls else None
        calls_before = await self._api_calls()
        if recording is not None and not await recording.start():
            run.profile_path = None
            recording = None
        await _expect(conn, "timed_end")
        for name, window in windows.items():
            run.cpu[name] = window.stop()
        waited_after = _waiting(pids)
        if waited is not None and waited_after is not None:
            run.bot_waited = waited_after - waited
        if not postgres:
            run.cpu["PostgreSQL"] = None
        after = await _counters(metrics_urls) if metrics_urls else None
        run.api_calls = await self._api_calls() - calls_before
        run.peak = max(
            (m for m in map(procstats.memory, pids) if m is not None),
            key=lambda m: m.peak_mb,
            default=None,
        )
        if recording is not None:
            run.hot = await recording.stop()
        if before is not None and after is not None:
            run.metrics = {k: after[k] - before[k] for k in after if k in before}
        message = await _expect(conn, "result")
        run.result = message[1]
        conn.close()

    async def _api_calls(self) -> Counter[str]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.s.api_url}/_stats") as response,
        ):
            return Counter((await response.json())["calls"])


async def _expect(conn: Connection, what: str) -> tuple[Any, ...]:
    message = await asyncio.to_thread(conn.recv)
    if message[0] != what:
        raise RuntimeError(f"load generator: expected {what}, got {message[0]}")
    return message


async def _counters(urls: list[str]) -> dict[str, float]:
    """The bot's counters (summed over labels and processes); a missing one is absent."""
    total: Counter[str] = Counter()
    async with aiohttp.ClientSession() as session:
        for url in urls:
            async with session.get(url) as response:
                total.update(probe.counters(await response.text(), COUNTERS))
    return dict(total)


def _waiting(pids: list[int]) -> float | None:
    """Seconds the processes were runnable but had no CPU (summed)."""
    waits = [procstats.waiting_seconds(pid) for pid in pids]
    return None if any(w is None for w in waits) else sum(w for w in waits if w is not None)


async def _postmaster(url: str) -> int | None:
    """The PostgreSQL server's main pid, when it runs on this machine."""
    conn = await asyncpg.connect(url)
    try:
        return _parent(await conn.fetchval("SELECT pg_backend_pid()"))
    finally:
        await conn.close()


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _postgres_pids(postmaster: int | None) -> list[int]:
    if postmaster is None:
        return []
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _parent(int(entry.name)) == postmaster:
            pids.append(int(entry.name))
    return pids


def _clean_env() -> dict[str, str]:
    """Ours, without anything that would point a child at a real bot or model."""
    drop = ("TELEGRAM_", "WEBHOOK_", "OPENAI_", "DATABASE_URL", "EMBEDDING_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _problems(log: Path) -> list[str]:
    """WARNING and worse lines of a child's log (tracebacks' first lines included)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    words = ("WARNING", "ERROR", "CRITICAL", "Traceback")
    return [line for line in lines if any(word in line for word in words)]
