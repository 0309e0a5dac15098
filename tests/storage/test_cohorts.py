"""Cohorts on the real database: one name per course, one current cohort per learner and
course (joining another moves them), joining once, closed cohorts, and the cohort filter
of /stats, /export and broadcast audiences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.admin import CourseRef
from storage.broadcast import PgBroadcastStore
from storage.cohorts import PgCohortStore
from storage.course_admin import PgCourseAdminStore
from storage.learning import PgLearningStore
from storage.stats import PgStatsStore
from tests.support.courses import TINY_PACK, import_pack

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
BOT = 777


@pytest.fixture
async def course(pool: asyncpg.Pool) -> CourseRef:
    await import_pack(pool, TINY_PACK)
    row = await pool.fetchrow("SELECT id, slug, name FROM courses WHERE slug = 'tiny'")
    learning = PgLearningStore(pool)
    for user_id in (42, 43, 44):
        await pool.execute(
            "INSERT INTO users (id, first_name, bot_id) VALUES ($1, 'L', $2)", user_id, BOT
        )
        await learning.ensure_enrollment(user_id, row["id"])
    return CourseRef(row["id"], row["slug"], row["name"], 2)


async def test_names_are_unique_per_course_in_any_case_and_found_by_name_or_code(
    pool: asyncpg.Pool, course: CourseRef
) -> None:
    store = PgCohortStore(pool)
    spring = await store.create(course, "Spring", "springcode01", 42, AT)
    assert spring is not None
    assert await store.create(course, "SPRING", "springcode02", 42, AT) is None
    assert (await store.find(course.id, "spring")).id == spring.id
    assert (await store.find(course.id, "springcode01")).id == spring.id
    assert await store.find(course.id, "nosuch") is None
    assert (await store.by_code("springcode01")).name == "Spring"


async def test_one_current_cohort_per_course_joined_once_and_leaving_keeps_progress(
    pool: asyncpg.Pool, course: CourseRef
) -> None:
    store = PgCohortStore(pool)
    a = await store.create(course, "A", "aaaaaaaaaaaa", 44, AT)
    b = await store.create(course, "B", "bbbbbbbbbbbb", 44, AT)
    assert await store.join(a, 42, AT) == (True, None)
    assert await store.join(a, 42, AT) == (False, None), "a second join changes nothing"
    assert await store.join(b, 42, AT + timedelta(days=1)) == (True, "A"), "moved"
    assert [m.name for m in await store.memberships(42)] == ["B"]
    assert [(c.name, c.members) for c in await store.cohorts(course.id)] == [("A", 0), ("B", 1)]

    assert await store.leave(42, b.id, AT + timedelta(days=2))
    assert not await store.leave(42, b.id, AT + timedelta(days=2))
    assert await store.memberships(42) == []
    assert await pool.fetchval("SELECT count(*) FROM enrollments WHERE user_id = 42") == 1
    assert await pool.fetchval("SELECT count(*) FROM cohort_members WHERE user_id = 42") == 2


async def test_a_closed_cohort_takes_no_one(pool: asyncpg.Pool, course: CourseRef) -> None:
    store = PgCohortStore(pool)
    a = await store.create(course, "A", "aaaaaaaaaaaa", 44, AT)
    assert await store.close(a.id, AT)
    assert not await store.close(a.id, AT), "closing twice changes nothing"
    assert (await store.by_code("aaaaaaaaaaaa")).closed
    assert await store.join(a, 42, AT) is None
    assert await store.memberships(42) == []


async def test_stats_export_and_broadcasts_count_only_the_cohorts_members(
    pool: asyncpg.Pool, course: CourseRef
) -> None:
    store = PgCohortStore(pool)
    a = await store.create(course, "A", "aaaaaaaaaaaa", 44, AT)
    await store.join(a, 42, AT)
    await store.join(a, 43, AT)
    await store.leave(43, a.id, AT)  # left: counted in the course, not in the cohort
    stats = PgStatsStore(pool)
    since = datetime.now(UTC) - timedelta(days=7)

    everyone, courses, _ = await stats.figures(frozenset({course.id}), since, 5)
    members, in_cohort, _ = await stats.figures(frozenset({course.id}), since, 5, a.id)

    assert (everyone.learners, members.learners) == (3, 1)
    assert [m.enrolled for m in in_cohort[0].modules] == [1, 1]
    assert [m.enrolled for m in courses[0].modules] == [3, 3]
    rows = await PgCourseAdminStore(pool).progress_rows(course.id, a.id)
    assert {(r.user_id, r.cohort) for r in rows} == {(42, "A")}
    all_rows = await PgCourseAdminStore(pool).progress_rows(course.id)
    assert {(r.user_id, r.cohort) for r in all_rows} == {(42, "A"), (43, None), (44, None)}
    broadcasts = PgBroadcastStore(pool, bot_id=BOT)
    assert await broadcasts.audience_size(course.id) == 3
    assert await broadcasts.audience_size(course.id, a.id) == 1


async def test_tutors_are_added_once(pool: asyncpg.Pool, course: CourseRef) -> None:
    store = PgCohortStore(pool)
    a = await store.create(course, "A", "aaaaaaaaaaaa", 44, AT)
    assert await store.add_tutor(a.id, 44)
    assert not await store.add_tutor(a.id, 44)
    assert (await store.find(course.id, "A")).tutors == ("L",)
