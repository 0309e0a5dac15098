"""Daily goals and course target dates on the real database: totals per local day of the
learner's zone, from the day the goal was set, and the current course's target."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from domain.goals import LOOKBACK_DAYS, DailyGoal, GoalKind
from storage.goals import PgGoalStore, sql_zone
from storage.learning import PgLearningStore
from tests.support.courses import DEMO_PACK, TINY_PACK, import_pack

TOPICS = DailyGoal(GoalKind.TOPICS, 2)
SET_AT = datetime(2027, 1, 9, 12, 0, tzinfo=UTC)  # 21:00 on the 9th in Tokyo


@pytest.fixture
async def tiny(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    course_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    for user_id in (42, 43):
        await pool.execute("INSERT INTO users (id, first_name) VALUES ($1, 'L')", user_id)
        await PgLearningStore(pool).ensure_enrollment(user_id, course_id)
    return course_id


def store(pool: asyncpg.Pool) -> PgGoalStore:
    return PgGoalStore(pool, PgLearningStore(pool))


async def topic_id(pool: asyncpg.Pool, course: UUID, module: int, number: int) -> UUID:
    return await pool.fetchval(
        "SELECT id FROM topics WHERE course_id = $1 AND module_no = $2 AND topic_number = $3",
        course,
        module,
        number,
    )


async def complete(pool: asyncpg.Pool, user_id: int, topic: UUID, at: datetime) -> None:
    await PgLearningStore(pool).complete_topic(user_id, topic, at)


async def review(pool: asyncpg.Pool, user_id: int, course: UUID, at: datetime, ms: int | None):
    await pool.execute(
        "INSERT INTO review_log (idempotency_key, user_id, course_id, source, rating, is_right, "
        "was_new, duration_ms, reviewed_at) VALUES ($1, $2, $3, 'quiz:q1', 'good', true, "
        "false, $4, $5)",
        f"k{user_id}:{at.isoformat()}:{ms}",
        user_id,
        course,
        ms,
        at,
    )


async def test_an_activity_at_23_30_in_tokyo_counts_for_that_tokyo_day(
    pool: asyncpg.Pool, tiny: UUID
) -> None:
    goals = store(pool)
    await goals.set_goal(42, TOPICS, "Asia/Tokyo", SET_AT)
    late = datetime(2027, 1, 10, 14, 30, tzinfo=UTC)  # 23:30 on the 10th in Tokyo
    early = datetime(2027, 1, 10, 15, 30, tzinfo=UTC)  # 00:30 on the 11th in Tokyo
    await complete(pool, 42, await topic_id(pool, tiny, 1, 1), late)
    await complete(pool, 42, await topic_id(pool, tiny, 1, 2), early)
    now = datetime(2027, 1, 11, 3, 0, tzinfo=UTC)

    tokyo, _ = await goals.goal(42, "Asia/Tokyo", now)
    assert tokyo is not None and tokyo.totals == {date(2027, 1, 10): 1, date(2027, 1, 11): 1}
    utc, _ = await goals.goal(42, "UTC", now)
    assert utc is not None and utc.totals == {date(2027, 1, 10): 2}, "both on the UTC 10th"
    other, _ = await goals.goal(43, "Asia/Tokyo", now)
    assert other is None, "another learner has no goal"


async def test_a_fixed_offset_and_a_zone_the_server_lacks_still_count_local_days(
    pool: asyncpg.Pool, tiny: UUID
) -> None:
    """A fixed offset is stored "UTC+05:30" (bot/timezones.py), which PostgreSQL would read
    as 5:30 west; America/Coyhaique is newer than the server's tz database."""
    goals = store(pool)
    await goals.set_goal(42, TOPICS, "UTC", SET_AT)
    await complete(
        pool, 42, await topic_id(pool, tiny, 1, 1), datetime(2027, 1, 10, 19, 0, tzinfo=UTC)
    )
    now = datetime(2027, 1, 11, 3, 0, tzinfo=UTC)
    east, _ = await goals.goal(42, "UTC+05:30", now)  # 00:30 on the 11th
    assert east is not None and east.totals == {date(2027, 1, 11): 1}
    west, _ = await goals.goal(42, "UTC-03:00", now)  # 16:00 on the 10th
    assert west is not None and west.totals == {date(2027, 1, 10): 1}
    assert sql_zone("America/Coyhaique", now, frozenset({"Asia/Tokyo"})) == "<-0300>+03:00"
    newer, _ = await goals.goal(42, "America/Coyhaique", now)
    assert newer is not None and newer.totals == {date(2027, 1, 10): 1}
    assert sql_zone(None, now, frozenset()) == "UTC"
    assert sql_zone("Nowhere/Atlantis", now, frozenset()) == "UTC"


async def test_reviews_count_answers_and_minutes_add_reading_and_answer_times(
    pool: asyncpg.Pool, tiny: UUID
) -> None:
    goals = store(pool)
    day = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    topic = await topic_id(pool, tiny, 1, 1)
    await complete(pool, 42, topic, day)
    await review(pool, 42, tiny, day, 90_000)
    await review(pool, 42, tiny, day + timedelta(minutes=5), 3_600_000)  # left open: 5 min
    await review(pool, 42, tiny, day + timedelta(minutes=9), None)  # no time: adds nothing
    await review(pool, 43, tiny, day, 60_000)  # someone else's

    reviews = await goals.set_goal(42, DailyGoal(GoalKind.REVIEWS, 10), "UTC", SET_AT)
    assert reviews.totals == {date(2027, 1, 10): 3}
    minutes = await goals.set_goal(42, DailyGoal(GoalKind.MINUTES, 10), "UTC", SET_AT)
    text = await pool.fetchval("SELECT text_content FROM topics WHERE id = $1", topic)
    reading = max(1, math.ceil(len(text.split()) / 200))
    assert minutes.totals == {date(2027, 1, 10): reading + 6}, "1.5 + 5 minutes of answers"


async def test_the_streak_counts_from_the_day_the_goal_was_set_and_a_new_goal_restarts_it(
    pool: asyncpg.Pool, tiny: UUID
) -> None:
    goals = store(pool)
    await complete(pool, 42, await topic_id(pool, tiny, 1, 1), SET_AT - timedelta(days=2))
    await complete(pool, 42, await topic_id(pool, tiny, 1, 2), SET_AT + timedelta(hours=1))
    first = await goals.set_goal(42, TOPICS, "UTC", SET_AT)
    assert first.totals == {date(2027, 1, 9): 1}, "before the goal was set: not counted"

    later = SET_AT + timedelta(days=3)
    again = await goals.set_goal(42, TOPICS, "UTC", later)
    assert again.set_at == SET_AT, "the same goal again keeps its streak"
    changed = await goals.set_goal(42, DailyGoal(GoalKind.TOPICS, 1), "UTC", later)
    assert changed.set_at == later and changed.totals == {}

    assert await goals.clear_goal(42) is True
    assert await goals.goal(42, "UTC", later) == (None, [])
    assert await goals.clear_goal(42) is False


async def test_the_lookback_is_bounded(pool: asyncpg.Pool, tiny: UUID) -> None:
    goals = store(pool)
    now = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    await goals.set_goal(42, TOPICS, "UTC", now - timedelta(days=LOOKBACK_DAYS + 100))
    await complete(pool, 42, await topic_id(pool, tiny, 1, 1), now - timedelta(LOOKBACK_DAYS + 1))
    await complete(pool, 42, await topic_id(pool, tiny, 1, 2), now - timedelta(LOOKBACK_DAYS))
    record, _ = await goals.goal(42, "UTC", now)
    assert record is not None
    assert record.totals == {(now - timedelta(LOOKBACK_DAYS)).date(): 1}


async def test_a_target_date_is_for_the_current_course_and_counts_from_then(
    pool: asyncpg.Pool, tiny: UUID
) -> None:
    await import_pack(pool, DEMO_PACK)
    demo = await pool.fetchval("SELECT id FROM courses WHERE slug = 'ml-foundations'")
    learning, goals = PgLearningStore(pool), store(pool)
    await learning.ensure_enrollment(42, demo)  # enrolled last
    one = await topic_id(pool, tiny, 1, 1)
    await complete(pool, 42, one, SET_AT)
    today, by = date(2027, 1, 9), date(2027, 2, 1)

    target = await goals.set_target(42, 42, by, today, SET_AT)
    assert target is not None and target.course_id == tiny, "the course studied last"
    assert (target.started_done, target.done, target.total) == (1, 1, 4)
    assert (target.target_date, target.started_on) == (by, today)

    await learning.record_visit(42, await topic_id(pool, demo, 1, 1), 42, 0)
    in_chat = await goals.set_target(42, 42, by, today, SET_AT)
    assert in_chat is not None and in_chat.course_id == demo, "the course open in the chat"
    await complete(pool, 42, await topic_id(pool, tiny, 1, 2), SET_AT)
    _, targets = await goals.goal(42, "UTC", SET_AT)
    assert [(t.course_name, t.started_done, t.done, t.total) for t in targets] == [
        ("Machine Learning Foundations", 0, 0, 12),  # same date: by name
        ("Tea basics", 1, 2, 4),
    ]

    assert await goals.clear_target(42, demo) is True
    assert await goals.clear_target(42, demo) is False
    assert await goals.set_target(43, 43, by, today, SET_AT) is not None
    await pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 43")
    assert await goals.set_target(43, 43, by, today, SET_AT) is None, "no active course"
    assert await goals.goal(43, "UTC", SET_AT) == (None, []), "a suspended course's target"


async def test_home_and_progress_read_the_goal_in_their_own_statement(
    pool: asyncpg.Pool, tiny: UUID
) -> None:
    goals = store(pool)
    await goals.set_goal(42, TOPICS, "UTC", SET_AT)
    await complete(pool, 42, await topic_id(pool, tiny, 1, 1), SET_AT)
    mine, catalog, record = await goals.home(42, "UTC", SET_AT)
    assert [c.enrollment.course.id for c in mine] == [tiny] and len(catalog) == 1
    assert record is not None and record.totals == {date(2027, 1, 9): 1}
    assert (await goals.home(43, "UTC", SET_AT))[2] is None

    await goals.set_target(42, 42, date(2027, 2, 1), date(2027, 1, 9), SET_AT)
    courses, record, targets = await goals.progress(42, "UTC", SET_AT)
    assert len(courses) == 1 and record is not None and record.goal == TOPICS
    assert [t.course_id for t in targets] == [tiny]
