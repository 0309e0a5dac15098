"""The scheduler tells each learner once that their quiz is open again: with two replicas
sweeping at the same moment, after a restart that missed the due time, when a learner
has blocked the bot, and within Telegram's flood limits."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bot.app import build_application, open_services
from bot.emulator import BotApiEmulator
from bot.jobs.cooldowns import CooldownAnnouncer
from bot.jobs.schedule import RELEASE_JOB
from bot.settings import Settings
from tests.conftest import BOT_ID, TOKEN
from tests.support import Dialogue, bot_api_spec
from tests.support.clock import FakeClock
from tests.support.courses import TINY_PACK, import_pack

OPEN_AGAIN = "The Module 1 quiz is open again"


@pytest.fixture
async def course_id(pool: asyncpg.Pool):
    await import_pack(pool, TINY_PACK)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def learners_with_due_cooldowns(
    pool: asyncpg.Pool, emulator: BotApiEmulator, course_id, count: int, *, first: int = 1000
) -> list[int]:
    """`count` learners whose Module 1 quiz cooldown ended a minute ago, unannounced."""
    ids = list(range(first, first + count))
    for user_id in ids:
        emulator.user(user_id, f"Learner{user_id}")
    await pool.executemany(
        "INSERT INTO users (id, first_name, bot_id) VALUES ($1, $2, $3)",
        [(i, f"Learner{i}", BOT_ID) for i in ids],
    )
    await pool.executemany(
        "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2)",
        [(i, course_id) for i in ids],
    )
    await pool.executemany(
        """
        INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at, quiz_attempts,
            cooldown_until)
        VALUES ($1, $2, 1, now(), 1, now() - interval '1 minute')
        """,
        [(i, course_id) for i in ids],
    )
    return ids


def notices_per_learner(emulator: BotApiEmulator, ids: list[int]) -> Counter[int]:
    return Counter({i: sum(OPEN_AGAIN in m.text for m in emulator.bot_messages(i)) for i in ids})


async def test_two_replicas_sweeping_together_tell_every_learner_exactly_once(
    pool, course_id, emulator, services, application, second_replica
) -> None:
    ids = await learners_with_due_cooldowns(pool, emulator, course_id, 250)
    other_services, other_app = second_replica

    reports = await asyncio.gather(
        CooldownAnnouncer(services, application.bot, batch=20).sweep(),
        CooldownAnnouncer(other_services, other_app.bot, batch=20).sweep(),
    )

    assert set(notices_per_learner(emulator, ids).values()) == {1}
    assert sum(r.announced for r in reports) == 250
    assert all(r.announced > 0 for r in reports), "both replicas took a share"
    told = [s.metrics.value("tutorbot_cooldown_notices_total") for s in (services, other_services)]
    assert sum(told) == 250
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM module_progress WHERE cooldown_notified_at IS NULL"
        )
        == 0
    )


async def test_a_bot_started_after_cooldowns_fell_due_catches_up_at_once(
    pool, course_id, emulator, services, application
) -> None:
    ids = await learners_with_due_cooldowns(pool, emulator, course_id, 40)

    await application.start()  # starts the job queue: the first sweep runs a second later
    try:
        await emulator.wait_for(
            lambda: sum(notices_per_learner(emulator, ids).values()) == 40, within=15
        )
    finally:
        await application.stop()
    assert set(notices_per_learner(emulator, ids).values()) == {1}


async def test_a_learner_who_blocked_the_bot_does_not_stop_the_others(
    pool, course_id, emulator, services, application
) -> None:
    ids = await learners_with_due_cooldowns(pool, emulator, course_id, 5)
    emulator.block_bot(ids[2])

    report = await CooldownAnnouncer(services, application.bot).sweep()

    assert (report.announced, report.blocked) == (4, 1)
    assert len(emulator.expect(403, chat_id=ids[2])) == 1
    assert services.metrics.value("tutorbot_cooldown_notices_undeliverable_total") == 1
    told = notices_per_learner(emulator, ids)
    assert [told[i] for i in ids] == [1, 1, 0, 1, 1]
    assert await pool.fetchval("SELECT is_blocked FROM users WHERE id = $1", ids[2])
    assert (await CooldownAnnouncer(services, application.bot).sweep()).claimed == 0


async def test_a_telegram_outage_defers_the_notice_and_a_later_sweep_delivers_it(
    pool, course_id, emulator, services, application, clock: FakeClock
) -> None:
    ids = await learners_with_due_cooldowns(pool, emulator, course_id, 3)
    emulator.outage("sendMessage", calls=1)

    report = await CooldownAnnouncer(services, application.bot).sweep()
    assert (report.announced, report.deferred) == (2, 1)
    assert len(emulator.expect(502)) == 1
    assert (await CooldownAnnouncer(services, application.bot).sweep()).claimed == 0, (
        "the deferred notice waits for its retry time"
    )

    clock.advance(minutes=3)
    assert (await CooldownAnnouncer(services, application.bot).sweep()).announced == 1
    assert set(notices_per_learner(emulator, ids).values()) == {1}


async def test_a_suspended_learner_is_not_told(pool, course_id, emulator, services, application):
    ids = await learners_with_due_cooldowns(pool, emulator, course_id, 2)
    await pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = $1", ids[0])

    report = await CooldownAnnouncer(services, application.bot).sweep()

    assert (report.announced, report.skipped) == (1, 1)
    assert [notices_per_learner(emulator, ids)[i] for i in ids] == [0, 1]


async def test_a_cooldown_not_yet_due_waits(
    pool, course_id, emulator, services, application, clock: FakeClock
) -> None:
    ids = await learners_with_due_cooldowns(pool, emulator, course_id, 1)
    await pool.execute(
        "UPDATE module_progress SET cooldown_until = $1", clock.now + timedelta(minutes=5)
    )

    assert (await CooldownAnnouncer(services, application.bot).sweep()).claimed == 0
    clock.advance(minutes=5)
    assert (await CooldownAnnouncer(services, application.bot).sweep()).announced == 1
    assert notices_per_learner(emulator, ids)[ids[0]] == 1


async def test_notifications_stay_within_telegrams_overall_rate(
    settings: Settings, db_url: str, pool, course_id, clock: FakeClock
) -> None:
    async with BotApiEmulator(TOKEN, spec=bot_api_spec(), enforce_rate_limits=True) as strict:
        ids = await learners_with_due_cooldowns(pool, strict, course_id, 45)
        capped = settings.model_copy(update={"telegram_rate_limit": 30})
        async with open_services(capped, db_url, clock=clock) as services:
            app = build_application(services, TOKEN, polling=False, api_url=strict.base_url)
            async with app:
                report = await CooldownAnnouncer(services, app.bot).sweep()

        assert report.announced == 45
        assert [w for w in strict.rate_warnings if w.scope == "global"] == []
        assert set(notices_per_learner(strict, ids).values()) == {1}


async def test_a_failed_quiz_schedules_a_release_at_the_exact_end_of_its_cooldown(
    talk, pool, course_id, emulator, application, clock: FakeClock
) -> None:
    await pool.execute("UPDATE courses SET quiz_requires_topics = false")
    await application.start()
    try:
        for job in application.job_queue.get_jobs_by_name(RELEASE_JOB):
            job.schedule_removal()  # the repeating sweep: this test is about the one-off job
        ada: Dialogue = talk(42, "Ada")
        await ada.send("/start tiny")
        await ada.press("📘 Normal")
        await ada.press("1. Kinds of tea")
        await ada.press("📝 Take the Module 1 quiz")
        await ada.press("▶ Start the quiz")
        await ada.press("✖ Abandon the quiz")
        await ada.press("✖ Yes, abandon")

        cooldown_until = await pool.fetchval("SELECT cooldown_until FROM module_progress")
        assert cooldown_until == clock.now + timedelta(hours=1)
        (job,) = application.job_queue.get_jobs_by_name(
            f"{RELEASE_JOB}@{cooldown_until.isoformat(timespec='seconds')}"
        )
        assert abs(job.next_t - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=1)

        clock.advance(hours=1)
        await job.run(application)  # what APScheduler does when the hour is up
        assert OPEN_AGAIN in ada.last.text
    finally:
        await application.stop()
