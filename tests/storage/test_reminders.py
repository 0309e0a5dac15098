"""Reminders on the real database: a plan kept and read back, the sweep's claim (due rows
only, each once across concurrent claimers, a lapsed lease taken over), and what a claimed
reminder names: cards due in unlocked modules, topics left in the module being read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

import asyncpg
import pytest

from domain.reminders import QuietHours, ReminderPlan, Waiting
from storage.learning import PgLearningStore
from storage.reminders import PgReminderStore
from tests.conftest import BOT_ID
from tests.support.courses import TINY_PACK, import_pack

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
LEASE = NOW + timedelta(minutes=5)
PLAN = ReminderPlan("Asia/Tokyo", time(19, 0), QuietHours(time(22, 0), time(7, 0)))


@pytest.fixture
async def course(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def learners(pool: asyncpg.Pool, course: UUID, ids: range) -> None:
    await pool.executemany(
        "INSERT INTO users (id, first_name, timezone, bot_id) VALUES ($1, 'L', 'Asia/Tokyo', $2)",
        [(i, BOT_ID) for i in ids],
    )
    learning = PgLearningStore(pool)
    for i in ids:
        await learning.ensure_enrollment(i, course)  # module 1 unlocked


async def test_a_plan_is_kept_and_read_back_in_the_learners_zone(pool, course) -> None:
    await learners(pool, course, range(1, 2))
    store = PgReminderStore(pool, BOT_ID)
    assert await store.plan(1) is None
    await store.save(1, PLAN, NOW + timedelta(hours=1), NOW)
    assert await store.plan(1) == (PLAN, NOW + timedelta(hours=1))
    usual = ReminderPlan("Asia/Tokyo", None, None, stopped=True)
    await store.save(1, usual, None, NOW)
    assert await store.plan(1) == (usual, None)


async def test_the_claim_takes_due_rows_of_this_bot_once_until_the_lease_lapses(
    pool, course
) -> None:
    await learners(pool, course, range(1, 5))
    store = PgReminderStore(pool, BOT_ID)
    await store.save(1, PLAN, NOW - timedelta(minutes=1), NOW)  # due
    await store.save(2, PLAN, NOW + timedelta(days=1), NOW)  # not yet
    await store.save(3, PLAN, None, NOW)  # nothing to send
    await PgReminderStore(pool, BOT_ID + 1).save(4, PLAN, NOW, NOW)  # another bot's

    claimed = await store.claim_due(NOW, LEASE, 10)
    assert [d.user_id for d in claimed] == [1]
    [due] = claimed
    assert (due.user_id, due.plan, due.claim) == (1, PLAN, LEASE)
    assert await store.claim_due(NOW, LEASE, 10) == [], "held by the first claim"
    [again] = await store.claim_due(LEASE, LEASE + timedelta(minutes=5), 10)
    assert again.user_id == 1, "a lapsed lease (a replica died) is taken over"

    await store.finish(1, PLAN, NOW + timedelta(days=1), sent=True, claim=again.claim, at=NOW)
    assert await store.claim_due(LEASE, LEASE, 10) == []
    assert await pool.fetchval("SELECT sent_count FROM reminders WHERE user_id = 1") == 1


async def test_two_claimers_at_once_never_get_the_same_row(pool, course, db_url) -> None:
    ids = range(1, 301)
    await learners(pool, course, ids)
    store = PgReminderStore(pool, BOT_ID)
    for i in ids:
        await store.save(i, PLAN, NOW - timedelta(seconds=i), NOW)
    other_pool = await asyncpg.create_pool(db_url, min_size=2, max_size=4)
    try:
        other = PgReminderStore(other_pool, BOT_ID)
        claimed: list[list[int]] = [[], []]

        async def claimer(which: int, s: PgReminderStore) -> None:
            while batch := await s.claim_due(NOW, LEASE, 7):
                claimed[which] += [d.user_id for d in batch]

        await asyncio.gather(*(claimer(n % 2, (store, other)[n % 2]) for n in range(6)))
    finally:
        await other_pool.close()
    everyone = claimed[0] + claimed[1]
    assert sorted(everyone) == list(ids), "each row once"
    assert claimed[0] and claimed[1], "both took a share"


async def test_a_claimed_reminder_names_cards_due_and_topics_left(pool, course) -> None:
    await learners(pool, course, range(1, 2))
    store = PgReminderStore(pool, BOT_ID)
    cards = [("quiz:a", 1, NOW - timedelta(days=1)), ("quiz:b", 1, NOW), ("quiz:c", 1, LEASE)]
    cards.append(("quiz:d", 2, NOW - timedelta(days=1)))  # module 2 is still locked
    await pool.executemany(
        "INSERT INTO review_cards (user_id, course_id, source, module_no, state, due, "
        "created_at) VALUES (1, $1, $2, $3, '{}', $4, $4)",
        [(course, *card) for card in cards],
    )
    topic = await pool.fetchval(
        "SELECT id FROM topics WHERE course_id = $1 AND module_no = 1 AND topic_number = 1",
        course,
    )
    studied = NOW - timedelta(hours=3)
    await PgLearningStore(pool).complete_topic(1, topic, studied)
    await store.save(1, ReminderPlan("Asia/Tokyo", None), NOW, NOW)

    [due] = await store.claim_due(NOW, LEASE, 10)
    assert due.waiting == Waiting(cards_due=2, topics_left=1, module_no=1)
    assert due.last_active == studied
    assert due.activity == (studied,), "read for a plan that follows the usual time"


async def test_a_blocked_learner_is_claimed_with_the_flag_and_nothing_waiting_is_zero(
    pool, course
) -> None:
    await pool.execute(
        "INSERT INTO users (id, first_name, bot_id, is_blocked) VALUES (9, 'B', $1, true)", BOT_ID
    )
    store = PgReminderStore(pool, BOT_ID)
    await store.save(9, PLAN, NOW, NOW)
    [due] = await store.claim_due(NOW, LEASE, 10)
    assert due.blocked
    assert due.plan.timezone == "UTC", "no zone set: UTC"
    assert due.waiting == Waiting(0, 0, None)
    assert due.last_active is None and due.activity == ()
