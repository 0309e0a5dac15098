"""Cooldown release under competing schedulers: throughput, and no learner told twice or missed.

One course with one module, N learners (``--learners``), each with an active enrollment and a
``module_progress`` row whose quiz cooldown fell due in the past and was not announced yet
(bulk-inserted with ``generate_series``). Then S scheduler instances (``--schedulers``) start
at the same moment, each in its own OS process (multiprocessing, spawn) with its own asyncpg
pool, so their claims really compete in PostgreSQL. Each one loops like
``bot.jobs.cooldowns.CooldownAnnouncer.sweep``: ``QuizService(QuizAttemptCache(PgQuizStore(pool,
bot_id=...))).claim_due_cooldowns(batch, lease=5 min)``, then for each claimed row an
optional simulated send (``--send-ms``, a sleep) and ``cooldowns_announced`` (one row at a
time, as the announcer does; ``--mark batch`` marks the whole batch in one call instead),
until a claim returns nothing. Each scheduler reports the keys it claimed.

Printed: wall time, cooldowns released per second (overall and per scheduler), how the claims
were split, claim / mark latency, and the checks: duplicates (keys claimed more than once,
by the same or another scheduler), missed (seeded rows nobody claimed) and leftover (rows the
database still holds as due and unannounced afterwards). All three must be 0; the exit status
is 1 otherwise (2 if a scheduler failed).

The database is a scratch embedded PostgreSQL under a temp dir, or a scratch database created
next to ``DATABASE_URL`` (and dropped afterwards) when that is set.

Run:  .venv/bin/python benchmarks/cooldowns.py
      .venv/bin/python benchmarks/cooldowns.py --schedulers 4
      .venv/bin/python benchmarks/cooldowns.py --learners 2000 --send-ms 2
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import sys
import threading
import time
import traceback
from collections import Counter
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg

from domain.quiz.model import CooldownKey
from domain.quiz.service import QuizService
from storage import embedded
from storage.database import create_pool
from storage.migrations import migrate
from storage.quiz import PgQuizStore
from storage.quiz_memory import QuizAttemptCache

BOT_ID = 123456  # the learners last wrote to this bot, which announces their cooldowns

LEASE = timedelta(minutes=5)  # what bot.jobs.cooldowns uses
FIRST_USER_ID = 1_000_000
SLUG = "bench-cooldowns"
START_TIMEOUT_S = 120  # spawning and connecting every scheduler


# -- database ----------------------------------------------------------------------------------


def scratch_database() -> AbstractAsyncContextManager[str]:
    """Next to DATABASE_URL when set (created, then dropped), else a private embedded server."""
    return embedded.scratch_database(
        f"tutorbot_bench_{os.getpid()}", os.environ.get("DATABASE_URL")
    )


async def seed(url: str, learners: int) -> tuple[Any, float]:
    """One course, one module, `learners` users with a due, unannounced cooldown each."""
    started = time.perf_counter()
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        async with conn.transaction():
            course_id = await conn.fetchval(
                "INSERT INTO courses (slug, name) VALUES ($1, 'Cooldown benchmark') RETURNING id",
                SLUG,
            )
            await conn.execute(
                "INSERT INTO modules (course_id, module_no, title) VALUES ($1, 1, 'Module one')",
                course_id,
            )
            await conn.execute(
                "INSERT INTO users (id, first_name, bot_id) "
                "SELECT $1 + g, 'Learner ' || g, $3 FROM generate_series(1, $2) g",
                FIRST_USER_ID,
                learners,
                BOT_ID,
            )
            await conn.execute(
                "INSERT INTO enrollments (user_id, course_id, status) "
                "SELECT $1 + g, $3, 'active' FROM generate_series(1, $2) g",
                FIRST_USER_ID,
                learners,
                course_id,
            )
            # One failed attempt each; cooldowns fell due over the last few hours.
            await conn.execute(
                """
                INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at,
                    quiz_attempts, best_score, cooldown_until)
                SELECT $1 + g, $3, 1, now() - interval '2 days', 1, 40,
                    now() - interval '1 minute' - (g % 7200) * interval '1 second'
                FROM generate_series(1, $2) g
                """,
                FIRST_USER_ID,
                learners,
                course_id,
            )
        await conn.execute("VACUUM ANALYZE users, enrollments, module_progress")
    finally:
        await conn.close()
    return course_id, time.perf_counter() - started


async def due_unannounced(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM module_progress "
            "WHERE cooldown_until <= now() AND cooldown_notified_at IS NULL"
        )
    finally:
        await conn.close()


async def server_version(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()


# -- one scheduler, in its own process ---------------------------------------------------------


@dataclass
class WorkerResult:
    index: int
    keys: list[CooldownKey] = field(default_factory=list)  # in claim order
    claims: int = 0  # claim calls, the final empty one included
    claim_ms: list[float] = field(default_factory=list)
    mark_ms: list[float] = field(default_factory=list)
    started: float = 0.0  # time.monotonic(): system-wide on Linux, comparable across processes
    finished: float = 0.0
    cpu_s: float = 0.0  # this scheduler process's own CPU time while it ran

    @property
    def seconds(self) -> float:
        return self.finished - self.started


async def run_scheduler(
    index: int, url: str, batch: int, send_ms: float, mark: str, barrier: Any
) -> WorkerResult:
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        quizzes = QuizService(QuizAttemptCache(PgQuizStore(pool, bot_id=BOT_ID)))
        await pool.fetchval("SELECT 1")  # connected before the clock starts
        await asyncio.to_thread(barrier.wait, START_TIMEOUT_S)
        result = WorkerResult(index, started=time.monotonic())
        cpu = time.process_time()
        while True:
            t0 = time.perf_counter()
            due = await quizzes.claim_due_cooldowns(batch, LEASE)
            result.claim_ms.append((time.perf_counter() - t0) * 1000)
            result.claims += 1
            if not due:
                break
            result.keys.extend(item.key for item in due)
            if mark == "batch":
                if send_ms:
                    await asyncio.sleep(send_ms * len(due) / 1000)
                t0 = time.perf_counter()
                await quizzes.cooldowns_announced([item.key for item in due])
                result.mark_ms.append((time.perf_counter() - t0) * 1000)
                continue
            for item in due:  # as CooldownAnnouncer: send, then mark that learner announced
                if send_ms:
                    await asyncio.sleep(send_ms / 1000)
                t0 = time.perf_counter()
                await quizzes.cooldowns_announced([item.key])
                result.mark_ms.append((time.perf_counter() - t0) * 1000)
        result.finished = time.monotonic()
        result.cpu_s = time.process_time() - cpu
        return result
    finally:
        await pool.close()


def scheduler_main(
    index: int, url: str, batch: int, send_ms: float, mark: str, barrier: Any, results: Any
) -> None:
    try:
        result = asyncio.run(run_scheduler(index, url, batch, send_ms, mark, barrier))
    except BaseException:
        barrier.abort()  # do not leave the others waiting for us
        results.put((index, None, traceback.format_exc()))
        return
    results.put((index, result, None))


async def run_schedulers(url: str, args: argparse.Namespace) -> tuple[list[WorkerResult], float]:
    """Start every scheduler, release them together; returns their results and the wall time."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(args.schedulers + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=scheduler_main,
            args=(i, url, args.batch, args.send_ms, args.mark, barrier, results),
            daemon=True,
        )
        for i in range(args.schedulers)
    ]
    for process in processes:
        process.start()
    try:
        # A scheduler that failed to start breaks the barrier; its error is on the queue.
        with suppress(threading.BrokenBarrierError):
            await asyncio.to_thread(barrier.wait, START_TIMEOUT_S)
        released = time.monotonic()
        collected: dict[int, WorkerResult] = {}
        errors: list[str] = []
        while len(collected) + len(errors) < len(processes):
            try:
                index, result, error = await asyncio.to_thread(results.get, True, 1.0)
            except queue.Empty:
                if not any(p.is_alive() for p in processes) and results.empty():
                    errors.append("a scheduler process exited without reporting")
                    break
                continue
            if error:
                errors.append(f"scheduler {index}:\n{error}")
            else:
                collected[index] = result
        done = time.monotonic()
        if errors:
            raise RuntimeError("\n".join(errors))
        return [collected[i] for i in sorted(collected)], done - released
    finally:
        for process in processes:
            await asyncio.to_thread(process.join, 5)
            if process.is_alive():
                process.terminate()


# -- report ------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(
    args: argparse.Namespace,
    course_id: Any,
    results: list[WorkerResult],
    parent_wall: float,
    leftover: int,
) -> int:
    claimed = Counter(k for r in results for k in r.keys)
    owners: dict[CooldownKey, set[int]] = {}
    for r in results:
        for k in r.keys:
            owners.setdefault(k, set()).add(r.index)
    duplicates = sum(1 for n in claimed.values() if n > 1)
    cross = sum(1 for s in owners.values() if len(s) > 1)
    seeded = {CooldownKey(FIRST_USER_ID + g, course_id, 1) for g in range(1, args.learners + 1)}
    missed = len(seeded - claimed.keys())
    unexpected = len(claimed.keys() - seeded)
    total = sum(claimed.values())
    wall = max(r.finished for r in results) - min(r.started for r in results)

    print()
    print(
        f"learners {args.learners:,}  schedulers {args.schedulers}  batch {args.batch}  "
        f"send {args.send_ms:g} ms/item  mark per {args.mark}  lease {LEASE}"
    )
    print(
        f"wall time {wall:.2f} s (first start to last finish; {parent_wall:.2f} s as the "
        f"parent saw it)"
    )
    released = len(claimed)  # distinct keys; `total` counts a duplicate twice
    print(f"released {released:,} cooldowns: {released / wall:,.0f}/s overall")
    print()
    header = (
        f"{'scheduler':>9}  {'claimed':>7}  {'share':>6}  {'claims':>6}  {'seconds':>7}  "
        f"{'released/s':>10}  {'claim p50':>9}  {'claim p95':>9}  {'mark p50':>8}  "
        f"{'mark p95':>8}  {'cpu s':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.index:>9}  {len(r.keys):>7,}  {len(r.keys) / max(total, 1):>6.1%}  "
            f"{r.claims:>6}  {r.seconds:>7.2f}  {len(r.keys) / r.seconds:>10,.0f}  "
            f"{percentile(r.claim_ms, 50):>9.2f}  {percentile(r.claim_ms, 95):>9.2f}  "
            f"{percentile(r.mark_ms, 50):>8.2f}  {percentile(r.mark_ms, 95):>8.2f}  "
            f"{r.cpu_s:>5.1f}"
        )
    print(
        "claims = claim calls incl. the final empty one; latencies in ms; mark = one "
        f"cooldowns_announced call ({'one row' if args.mark == 'item' else 'a whole batch'});\n"
        "cpu s = the scheduler process's own CPU time (PostgreSQL's is not included)"
    )
    print()
    print(f"duplicates {duplicates} (keys claimed more than once; {cross} by 2+ schedulers)")
    print(f"missed     {missed} (seeded due rows nobody claimed)")
    print(f"leftover   {leftover} (due and unannounced in the database afterwards)")
    if unexpected:
        print(f"unexpected {unexpected} (claimed keys that were not seeded)")
    ok = duplicates == 0 and missed == 0 and leftover == 0 and unexpected == 0
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000, help="due cooldowns to release")
    parser.add_argument(
        "--schedulers", type=int, default=2, help="competing schedulers (one process each)"
    )
    parser.add_argument("--batch", type=int, default=100, help="rows per claim")
    parser.add_argument(
        "--send-ms", type=float, default=0.0, help="simulated Telegram send per item (sleep)"
    )
    parser.add_argument(
        "--mark",
        choices=["item", "batch"],
        default="item",
        help="cooldowns_announced per row, as bot.jobs.cooldowns does (default), or per batch",
    )
    args = parser.parse_args()
    if args.learners < 1 or args.schedulers < 1 or args.batch < 1 or args.send_ms < 0:
        parser.error("--learners, --schedulers and --batch must be >= 1, --send-ms >= 0")
    return args


async def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    async with scratch_database() as url:
        await migrate(url)
        version = await server_version(url)
        course_id, seed_s = await seed(url, args.learners)
        print(
            f"PostgreSQL {version}; seeded {args.learners:,} due cooldowns in {seed_s:.1f}s; "
            f"starting {args.schedulers} scheduler processes ...",
            flush=True,
        )
        try:
            results, parent_wall = await run_schedulers(url, args)
        except RuntimeError as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 2
        leftover = await due_unannounced(url)
    status = report(args, course_id, results, parent_wall, leftover)
    print(f"{os.cpu_count()} CPUs, took {time.perf_counter() - started:.0f}s in all")
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
