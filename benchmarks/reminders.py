"""Study reminders over a simulated day: two replicas sweeping 100k learners in their zones.

Seeds N learners (``--learners``, default 100,000) spread over 12 time zones (whole, half
and quarter hour offsets, both hemispheres' daylight saving), each enrolled in one course
with five topics and a few review cards falling due through the day; each has a reminder
(COPY): a chosen time spread over the day (one in ten: "when I usually study", learned
from three completed topics), quiet hours 22:00-07:00 for half of them (some chose a time
inside them), and one in ten has nothing waiting (every topic done, no cards). The first
`next_at` is the domain's (`next_send_at`), as /remind writes it.

Then two replicas, each a `ReminderService(PgReminderStore(...))` on its own asyncpg pool,
sweep concurrently every `--sweep-s` simulated seconds through a fake clock covering
`--hours` hours (default one day), the way `bot.jobs.reminders.ReminderSender` does: claim
a batch, `decide`, a fake send (a list append, or `--send-ms` of sleep), mark it right
after. Asserts nothing; prints:

* time per sweep (both replicas' sweeps, p50 / p95 / max, and with sends only);
* statements per reminder sent (every round trip on both pools, BEGIN/COMMIT included,
  counted by `storage.database.create_pool(on_query=...)`, over the reminders sent);
* duplicates: a learner's one due reminder sent twice (same learner and due time), and
  learners sent more than one reminder on one local day (both must be 0);
* sends inside the learner's quiet hours, on their clock at the moment of the send (0);
* reminders sent, skipped (nothing waiting, ...), and each replica's share.

The database is a scratch embedded PostgreSQL under a temp dir, or a scratch database next
to ``DATABASE_URL`` (dropped afterwards) when that is set.

Run:  .venv/bin/python benchmarks/reminders.py
      .venv/bin/python benchmarks/reminders.py --learners 10000 --hours 48
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import asyncpg

from domain.reminders import (
    QuietHours,
    ReminderPlan,
    ReminderService,
    next_send_at,
    usual_study_time,
)
from storage import embedded
from storage.database import create_pool
from storage.migrations import migrate
from storage.reminders import PgReminderStore

BOT_ID = 123456
FIRST = 1_000_000
START = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)  # Europe's clocks go back in the night
ZONES = [
    "Asia/Tokyo",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "UTC",
    "Europe/London",
    "America/Sao_Paulo",
    "Africa/Lagos",
]
QUIET = QuietHours(clock_time(22, 0), clock_time(7, 0))
CARDS = 5
LEASE = timedelta(minutes=5)
BATCH = 100


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def learner(g: int) -> tuple[str, clock_time | None, QuietHours | None, bool]:
    """Learner g's zone, chosen time (None: usual), quiet hours, and whether all is done."""
    zone = ZONES[g % len(ZONES)]
    minute = (g * 37) % 1440
    at = None if g % 10 == 3 else clock_time(minute // 60, minute % 60)
    return zone, at, QUIET if g % 2 == 0 else None, g % 10 == 7


def studied(g: int, zone: str) -> list[datetime]:
    """Three topics a "usual" learner completed yesterday, around the same local hour."""
    local = (START - timedelta(days=1)).astimezone(ZoneInfo(zone))
    hour = 6 + g % 16
    base = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return [(base + timedelta(minutes=7 * k)).astimezone(UTC) for k in range(3)]


async def seed(url: str, learners: int) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        course = await conn.fetchval(
            "INSERT INTO courses (slug, name) VALUES ('bench-reminders', 'R') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO modules (course_id, module_no, title) VALUES ($1, 1, 'One')", course
        )
        topics = [
            await conn.fetchval(
                "INSERT INTO topics (course_id, module_no, topic_number, title, text_content) "
                "VALUES ($1, 1, $2, 'T', 'x') RETURNING id",
                course,
                n,
            )
            for n in range(1, 6)
        ]
        users, reminders, progress = [], [], []
        for g in range(1, learners + 1):
            zone, at, quiet, done = learner(g)
            users.append((FIRST + g, f"L{g}", BOT_ID, zone))
            activity: list[datetime] = []
            if done:
                activity = [START - timedelta(days=2, minutes=k) for k in range(5)]
                progress += [(FIRST + g, t, True, a) for t, a in zip(topics, activity, strict=True)]
            elif at is None:
                activity = studied(g, zone)
                progress += [
                    (FIRST + g, t, True, a) for t, a in zip(topics[:3], activity, strict=True)
                ]
            plan = ReminderPlan(zone, at, quiet)
            usual = usual_study_time(activity, zone) if at is None else None
            reminders.append(
                (
                    FIRST + g,
                    BOT_ID,
                    at,
                    quiet and quiet.start,
                    quiet and quiet.end,
                    next_send_at(plan, START, usual),
                    START,
                )
            )
        await conn.copy_records_to_table(
            "users", records=users, columns=["id", "first_name", "bot_id", "timezone"]
        )
        await conn.execute(
            "INSERT INTO enrollments (user_id, course_id) "
            "SELECT $1 + g, $2 FROM generate_series(1, $3) g",
            FIRST,
            course,
            learners,
        )
        await conn.execute(
            "INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at) "
            "SELECT $1 + g, $2, 1, $4 FROM generate_series(1, $3) g",
            FIRST,
            course,
            learners,
            START - timedelta(days=3),
        )
        await conn.copy_records_to_table(
            "topic_progress",
            records=progress,
            columns=["user_id", "topic_id", "is_completed", "completed_at"],
        )
        # Cards fall due through the day; none for those who are done.
        await conn.execute(
            """
            INSERT INTO review_cards (user_id, course_id, source, module_no, state, due,
                created_at)
            SELECT $1 + g, $2, 'quiz:' || k, 1, '{}',
                $4::timestamptz + ((g * 7919 + k * 3607) % 86400) * interval '1 second', $4
            FROM generate_series(1, $3) g, generate_series(1, $5) k WHERE g % 10 <> 7
            """,
            FIRST,
            course,
            learners,
            START,
            CARDS,
        )
        await conn.copy_records_to_table(
            "reminders",
            records=reminders,
            columns=[
                "user_id",
                "bot_id",
                "at_time",
                "quiet_start",
                "quiet_end",
                "next_at",
                "updated_at",
            ],
        )
        await conn.execute(
            "VACUUM ANALYZE users, reminders, review_cards, topic_progress, module_progress, "
            "enrollments"
        )
    finally:
        await conn.close()
    return time.perf_counter() - started


class Replica:
    """One process's sweep, as bot.jobs.reminders.ReminderSender, with a fake send."""

    def __init__(self, name: str, pool: asyncpg.Pool, clock: Clock, send_ms: float) -> None:
        self.name = name
        self.service = ReminderService(PgReminderStore(pool, BOT_ID), clock)
        self.send_ms = send_ms
        self.sent: list[tuple[int, datetime, datetime, ReminderPlan]] = []
        self.skipped = 0
        self.sweep_ms: list[float] = []
        self.sweep_sizes: list[int] = []

    async def sweep(self) -> None:
        started = time.perf_counter()
        reminders = self.service
        handled = 0
        while True:
            due = await reminders.claim_due(BATCH, LEASE)
            handled += len(due)
            for item, decision in due:
                if not decision.sends:
                    self.skipped += 1
                    await reminders.not_sent(decision)
                    continue
                if self.send_ms:
                    await asyncio.sleep(self.send_ms / 1000)
                self.sent.append((item.user_id, item.next_at, reminders.now(), item.plan))
                await reminders.delivered(decision)
            if len(due) < BATCH:
                break
        self.sweep_ms.append((time.perf_counter() - started) * 1000)
        self.sweep_sizes.append(handled)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def simulate(url: str, args: argparse.Namespace) -> None:
    clock = Clock(START)
    statements = Counter()
    pools = [
        await create_pool(url, min_size=1, max_size=2, on_query=lambda n=n: statements.update([n]))
        for n in range(2)
    ]
    try:
        replicas = [
            Replica(f"replica {n + 1}", p, clock, args.send_ms) for n, p in enumerate(pools)
        ]
        for pool in pools:
            await pool.fetchval("SELECT 1")
        before = sum(statements.values())
        end = START + timedelta(hours=args.hours)
        wall = time.perf_counter()
        rounds = 0
        while clock.now < end:
            clock.now += timedelta(seconds=args.sweep_s)
            await asyncio.gather(*(r.sweep() for r in replicas))
            rounds += 1
        wall = time.perf_counter() - wall
        used = sum(statements.values()) - before
    finally:
        for pool in pools:
            await pool.close()

    sent = [s for r in replicas for s in r.sent]
    per_due = Counter((user, due) for user, due, _, _ in sent)
    per_day = Counter(
        (user, at.astimezone(ZoneInfo(plan.timezone)).date()) for user, _, at, plan in sent
    )
    in_quiet = sum(
        1
        for _, _, at, plan in sent
        if plan.quiet is not None and at.astimezone(ZoneInfo(plan.timezone)).time() in plan.quiet
    )
    late = [(at - due).total_seconds() for _, due, at, _ in sent]
    sweeps = [ms for r in replicas for ms in r.sweep_ms]
    skipped = sum(r.skipped for r in replicas)
    sizes = [n for r in replicas for n in r.sweep_sizes]
    busy = [ms for r in replicas for ms, n in zip(r.sweep_ms, r.sweep_sizes, strict=True) if n]
    print()
    print(
        f"simulated {args.hours:g} h from {START:%Y-%m-%d %H:%M} UTC, a sweep every "
        f"{args.sweep_s:g} s on each of 2 replicas ({rounds:,} rounds, {len(sweeps):,} sweeps), "
        f"batch {BATCH}, fake send {args.send_ms:g} ms; wall {wall:.1f} s"
    )
    print(
        f"sent {len(sent):,} reminders, skipped {skipped:,} (nothing waiting / no usual time); "
        + ", ".join(f"{r.name} sent {len(r.sent):,}" for r in replicas)
    )
    print(
        f"time per sweep: p50 {percentile(sweeps, 50):.2f} ms, p95 {percentile(sweeps, 95):.2f} "
        f"ms, max {max(sweeps):.1f} ms; mean {sum(sweeps) / len(sweeps):.2f} ms; "
        f"{sum(sweeps) / max(len(sent) + skipped, 1):.2f} ms per reminder handled"
    )
    print(
        f"reminders per sweep: p50 {percentile(sizes, 50):.0f}, max {max(sizes)} (quiet hours "
        f"ending release a zone's held ones at once); sweeps with work: {len(busy):,}, "
        f"p50 {percentile(busy, 50):.2f} ms"
    )
    print(
        f"statements {used:,}: {used / max(len(sent), 1):.3f} per reminder sent "
        f"({used / max(len(sent) + skipped, 1):.3f} per reminder handled, empty claims included)"
    )
    print(
        f"sent after due: p50 {percentile(late, 50):.0f} s, max {max(late, default=0):.0f} s "
        f"(the sweep interval bounds it)"
    )
    print(f"duplicates {sum(n - 1 for n in per_due.values() if n > 1)} (one due reminder twice)")
    print(f"two on one local day {sum(1 for n in per_day.values() if n > 1)}")
    print(f"sent inside quiet hours {in_quiet}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours")
    parser.add_argument("--sweep-s", type=float, default=60.0, help="simulated s between sweeps")
    parser.add_argument("--send-ms", type=float, default=0.0, help="fake send's sleep")
    return parser.parse_args()


async def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    async with embedded.scratch_database(
        f"tutorbot_bench_rem_{os.getpid()}", os.environ.get("DATABASE_URL")
    ) as url:
        await migrate(url)
        seconds = await seed(url, args.learners)
        print(
            f"seeded {args.learners:,} learners with reminders over {len(ZONES)} zones and "
            f"{CARDS} cards each in {seconds:.1f} s",
            flush=True,
        )
        await simulate(url, args)
    print(f"{os.cpu_count()} CPUs, {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))


async def seed_live(url: str, learners: int, window_s: float, bot_id: int) -> float:
    """For `benchmarks/webhook_load.py --reminders N`: N learners (ids from 2,000,000,000)
    enrolled in the first course with module 1 open, each with a reminder due at a moment
    spread evenly over the next `window_s` real seconds (86,400: a day's steady rate), for
    the running bot's own sweep to send. Returns the seconds it took."""
    started = time.perf_counter()
    first = 2_000_000_000
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        course = await conn.fetchval("SELECT id FROM courses ORDER BY created_at LIMIT 1")
        await conn.execute(
            "INSERT INTO users (id, first_name, bot_id, timezone) "
            "SELECT $1 + g, 'R' || g, $3, 'UTC' FROM generate_series(1, $2) g",
            first,
            learners,
            bot_id,
        )
        await conn.execute(
            "INSERT INTO enrollments (user_id, course_id) "
            "SELECT $1 + g, $3 FROM generate_series(1, $2) g",
            first,
            learners,
            course,
        )
        await conn.execute(
            "INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at) "
            "SELECT $1 + g, $3, 1, now() FROM generate_series(1, $2) g",
            first,
            learners,
            course,
        )
        await conn.execute(
            """
            INSERT INTO reminders (user_id, bot_id, at_time, next_at, updated_at)
            SELECT $1 + g, $3, '19:00',
                now() + (g::float8 / $2 * $4) * interval '1 second', now()
            FROM generate_series(1, $2) g
            """,
            first,
            learners,
            bot_id,
            window_s,
        )
        await conn.execute("VACUUM ANALYZE users, reminders, enrollments, module_progress")
    finally:
        await conn.close()
    return time.perf_counter() - started
