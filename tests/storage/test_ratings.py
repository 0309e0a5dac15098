"""Ratings on the real database: one per learner and course, words kept when the stars
change, hidden reviews count for nothing, the catalog reads the average in its own read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from storage.learning import PgLearningStore
from storage.ratings import PgRatingStore
from tests.support.courses import TINY_PACK, import_pack

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def course(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    course_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    for user_id in (41, 42, 43, 44):
        await pool.execute("INSERT INTO users (id, first_name) VALUES ($1, 'L')", user_id)
        await PgLearningStore(pool).ensure_enrollment(user_id, course_id)
    return course_id


async def test_the_standing_follows_completion_and_the_second_module(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgRatingStore(pool)
    found = await store.standing(41, course)
    assert found is not None and not found.completed and not found.first_module_done
    await pool.execute(
        "INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at) "
        "VALUES (41, $1, 2, now())",
        course,
    )
    found = await store.standing(41, course)
    assert found is not None and found.first_module_done
    await pool.execute("UPDATE enrollments SET status = 'completed' WHERE user_id = 42")
    assert [s.course_id for s in await store.rateable(42)] == [course]
    assert await store.rateable(43) == []
    await pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 43")
    assert await store.standing(43, course) is None


async def test_one_review_per_learner_words_kept_and_hidden_ones_left_out(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgRatingStore(pool)
    assert await store.comment(41, course, "early words", AT) is None, "stars come first"
    await store.rate(41, course, 5, AT)
    await store.comment(41, course, "Lovely", AT + timedelta(minutes=1))
    again = await store.rate(41, course, 3, AT + timedelta(minutes=2))
    assert (again.rating, again.comment) == (3, "Lovely")
    await store.rate(42, course, 4, AT)
    latest = await store.latest(41)
    assert latest is not None and latest.rating == 3

    summary = await store.summary(course, 5)
    assert (summary.count, summary.average) == (2, None)
    await store.rate(43, course, 2, AT)
    summary = await store.summary(course, 5)
    assert (summary.count, summary.average) == (3, 3.0)
    assert [r.comment for r in summary.recent] == ["Lovely"]
    [(card, _)] = await PgLearningStore(pool).catalog(44, course)
    assert (card.ratings, card.rating) == (3, 3.0)

    assert await store.hide(41, course, "spam", AT)
    assert not await store.hide(41, course, "spam", AT), "hidden already"
    summary = await store.summary(course, 5)
    assert (summary.count, summary.average, summary.recent) == (2, None, [])
    assert await pool.fetchval("SELECT count(*) FROM course_reviews") == 3, "kept, hidden"
