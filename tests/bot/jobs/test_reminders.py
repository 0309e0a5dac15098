"""The reminder sweep sends each due reminder once: with two replicas sweeping at the same
moment, after downtime (a long-missed one moves on instead of arriving late), when a
learner has blocked the bot, and through a Telegram outage. (Sends go through
bot/jobs/delivery.py as bulk, like the cooldown notices, whose tests show the pacing.)"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import asyncpg
import pytest

from bot.emulator import BotApiEmulator
from bot.jobs.reminders import ReminderSender
from bot.jobs.schedule import REMINDER_JOB
from domain.reminders import ReminderPlan, next_send_at
from tests.conftest import BOT_ID
from tests.support.clock import FakeClock
from tests.support.courses import TINY_PACK, import_pack

START = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)  # 19:00 in London (BST): due now
PLAN = ReminderPlan("Europe/London", time(19, 0))


@pytest.fixture(autouse=True)
def at_start(clock: FakeClock) -> None:
    clock.now = START


@pytest.fixture
async def course_id(pool: asyncpg.Pool):
    await import_pack(pool, TINY_PACK)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def learners_due(
    pool: asyncpg.Pool, emulator: BotApiEmulator, course_id, count: int, *, due: datetime = START
) -> list[int]:
    """`count` enrolled learners in London whose 19:00 reminder is due at `due`."""
    ids = list(range(1000, 1000 + count))
    for user_id in ids:
        emulator.user(user_id, f"Learner{user_id}")
    await pool.executemany(
        "INSERT INTO users (id, first_name, bot_id, timezone) VALUES ($1, 'L', $2, $3)",
        [(i, BOT_ID, PLAN.timezone) for i in ids],
    )
    await pool.executemany(
        "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2)",
        [(i, course_id) for i in ids],
    )
    await pool.executemany(
        "INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at) "
        "VALUES ($1, $2, 1, $3)",
        [(i, course_id, START - timedelta(days=1)) for i in ids],
    )
    await pool.executemany(
        "INSERT INTO reminders (user_id, bot_id, at_time, next_at, updated_at) "
        "VALUES ($1, $2, '19:00', $3, $3)",
        [(i, BOT_ID, due) for i in ids],
    )
    return ids


def reminders_per_learner(emulator: BotApiEmulator, ids: list[int]) -> Counter[int]:
    return Counter(
        {
            i: sum("topics left in Module 1" in (m.text or "") for m in emulator.bot_messages(i))
            for i in ids
        }
    )


async def test_two_replicas_sweeping_together_send_each_reminder_exactly_once(
    pool, course_id, emulator, services, application, second_replica
) -> None:
    ids = await learners_due(pool, emulator, course_id, 250)
    other_services, other_app = second_replica

    reports = await asyncio.gather(
        ReminderSender(services, application.bot, batch=20).sweep(),
        ReminderSender(other_services, other_app.bot, batch=20).sweep(),
        ReminderSender(services, application.bot, batch=20).sweep(),
        ReminderSender(other_services, other_app.bot, batch=20).sweep(),
    )

    assert set(reminders_per_learner(emulator, ids).values()) == {1}
    assert sum(r.sent for r in reports) == 250
    assert reports[0].sent > 0 and reports[1].sent > 0, "both replicas took a share"
    tomorrow = next_send_at(PLAN, START + timedelta(minutes=1))
    assert tomorrow == START + timedelta(days=1)
    rows = await pool.fetch("SELECT next_at, last_sent_at, claimed_until FROM reminders")
    assert {tuple(r) for r in rows} == {(tomorrow, START, None)}
    assert (
        sum(
            r.claimed
            for r in await asyncio.gather(
                ReminderSender(services, application.bot).sweep(),
                ReminderSender(other_services, other_app.bot).sweep(),
            )
        )
        == 0
    )


async def test_after_downtime_a_long_missed_reminder_moves_on_and_a_recent_one_is_sent(
    pool, course_id, emulator, services, application, clock: FakeClock
) -> None:
    recent = await learners_due(pool, emulator, course_id, 3)
    await pool.execute("UPDATE reminders SET next_at = $1::timestamptz - interval '3 hours'", START)
    await pool.execute(
        "UPDATE reminders SET next_at = $1::timestamptz - interval '20 minutes' WHERE user_id = $2",
        START,
        recent[0],
    )

    report = await ReminderSender(services, application.bot).sweep()

    assert (report.sent, report.skipped) == (1, 2)
    assert [reminders_per_learner(emulator, recent)[i] for i in recent] == [1, 0, 0]
    moved = await pool.fetchval("SELECT next_at FROM reminders WHERE user_id = $1", recent[1])
    assert moved == START + timedelta(days=1), "the missed 16:00 goes tomorrow, not now"


async def test_a_bot_started_after_reminders_fell_due_catches_up_at_once(
    pool, course_id, emulator, services, application
) -> None:
    ids = await learners_due(pool, emulator, course_id, 30)
    await application.start()  # the job queue's first reminder sweep runs 3 s later
    try:
        assert application.job_queue.get_jobs_by_name(REMINDER_JOB)
        await emulator.wait_for(
            lambda: sum(reminders_per_learner(emulator, ids).values()) == 30, within=15
        )
    finally:
        await application.stop()
    assert set(reminders_per_learner(emulator, ids).values()) == {1}


async def test_a_learner_who_blocked_the_bot_is_marked_and_skipped_after(
    pool, course_id, emulator, services, application, clock: FakeClock
) -> None:
    ids = await learners_due(pool, emulator, course_id, 4)
    emulator.block_bot(ids[1])

    report = await ReminderSender(services, application.bot).sweep()

    assert (report.sent, report.blocked) == (3, 1)
    assert len(emulator.expect(403, chat_id=ids[1])) == 1
    assert await pool.fetchval("SELECT is_blocked FROM users WHERE id = $1", ids[1])
    clock.advance(days=1)
    report = await ReminderSender(services, application.bot).sweep()
    assert (report.sent, report.skipped) == (3, 1), "blocked: no request at all"
    assert emulator.expect(403, chat_id=ids[1]) == []


async def test_a_telegram_outage_defers_a_reminder_and_a_later_sweep_sends_it(
    pool, course_id, emulator, services, application, clock: FakeClock
) -> None:
    ids = await learners_due(pool, emulator, course_id, 3)
    emulator.outage("sendMessage", calls=1)

    report = await ReminderSender(services, application.bot).sweep()
    assert (report.sent, report.deferred) == (2, 1)
    assert len(emulator.expect(502)) == 1
    assert (await ReminderSender(services, application.bot).sweep()).claimed == 0
    clock.advance(minutes=3)
    assert (await ReminderSender(services, application.bot).sweep()).sent == 1
    assert set(reminders_per_learner(emulator, ids).values()) == {1}


async def test_nothing_waiting_sends_nothing_and_tries_again_tomorrow(
    pool, course_id, emulator, services, application
) -> None:
    [done] = await learners_due(pool, emulator, course_id, 1)
    await pool.execute(
        "INSERT INTO topic_progress (user_id, topic_id, is_completed, completed_at) "
        "SELECT $1, id, true, $2 FROM topics WHERE module_no = 1",
        done,
        START - timedelta(hours=1),
    )
    report = await ReminderSender(services, application.bot).sweep()
    assert (report.sent, report.skipped) == (0, 1)
    assert emulator.bot_messages(done) == []
    assert await pool.fetchval("SELECT next_at FROM reminders") == START + timedelta(days=1)
