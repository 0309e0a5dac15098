"""Learning paths on the real database: written whole (an unknown course refuses the
path, nothing written), replaced by slug, read as a card with one learner's progress, and
listed in the catalog's own statement."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from domain.course_pack import PackError
from domain.paths import parse_path
from storage.learning import PgLearningStore
from storage.paths import PgPathStore
from tests.storage.test_prerequisites import course_id, learner, tea_pack
from tests.support.courses import import_pack

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def path_file(*courses: str, name: str = "From leaf to cup") -> str:
    listed = "".join(f"  - {c}\n" for c in courses)
    return f"slug: tea-journey\nname: {name}\ndescription: In order.\ncourses:\n{listed}"


@pytest.fixture
async def courses(pool: asyncpg.Pool, tmp_path: Path) -> None:
    await import_pack(pool, tea_pack(tmp_path, "tea", "Tea basics"))
    await import_pack(pool, tea_pack(tmp_path, "oolong", "Oolong"))


async def test_a_path_card_has_its_courses_in_order_with_the_learners_progress(
    pool: asyncpg.Pool, courses: None
) -> None:
    store = PgPathStore(pool)
    path_id = await store.save_path(parse_path("p.yaml", path_file("oolong", "tea")))
    learning = PgLearningStore(pool)
    await learner(pool, 42)
    tea, oolong = await course_id(pool, "tea"), await course_id(pool, "oolong")
    await learning.ensure_enrollment(42, oolong)
    topic = await learning.topic(oolong, 1, 1)
    assert await learning.complete_topic(42, topic.id, AT)

    card = await store.path(42, path_id)

    assert (card.name, card.description) == ("From leaf to cup", "In order.")
    assert [(s.slug, s.status, s.done, s.topics) for s in card.steps] == [
        ("oolong", "active", 1, 4),
        ("tea", None, 0, 4),
    ]
    assert card.next_step.slug == "oolong"
    assert await learning.complete_enrollment(42, oolong, AT)
    assert (await store.path(42, path_id)).next_step.course_id == tea
    assert [s.status for s in (await store.path(43, path_id)).steps] == [None, None]
    assert await store.path(42, tea) is None, "not a path id"


async def test_a_path_is_replaced_by_its_slug_and_loses_a_deleted_course(
    pool: asyncpg.Pool, courses: None
) -> None:
    store = PgPathStore(pool)
    first = await store.save_path(parse_path("p.yaml", path_file("tea")))
    again = await store.save_path(parse_path("p.yaml", path_file("tea", "oolong", name="Tea")))

    assert again == first
    card = await store.path(42, first)
    assert card.name == "Tea" and [s.slug for s in card.steps] == ["tea", "oolong"]
    await pool.execute("DELETE FROM courses WHERE slug = 'tea'")
    assert [s.slug for s in (await store.path(42, first)).steps] == ["oolong"]


async def test_a_course_not_in_the_database_refuses_the_path_and_writes_nothing(
    pool: asyncpg.Pool, courses: None
) -> None:
    store = PgPathStore(pool)
    await store.save_path(parse_path("p.yaml", path_file("tea")))
    before = await pool.fetch("SELECT * FROM learning_path_courses")

    with pytest.raises(PackError) as refused:
        await store.save_path(parse_path("p.yaml", path_file("oolong", "ghost", name="New")))

    assert [str(p) for p in refused.value.problems] == [
        "p.yaml:6: courses: there is no course 'ghost'"
    ]
    assert await pool.fetch("SELECT * FROM learning_path_courses") == before
    assert await pool.fetchval("SELECT name FROM learning_paths") == "From leaf to cup"


async def test_the_catalog_lists_paths_with_a_published_course_in_its_one_statement(
    pool: asyncpg.Pool, courses: None
) -> None:
    store = PgPathStore(pool)
    await store.save_path(parse_path("p.yaml", path_file("tea", "oolong")))
    learning = PgLearningStore(pool)

    listed, [path] = await learning.shelf(42)

    assert [c.slug for c, _ in listed] == ["oolong", "tea"]
    assert (path.slug, path.name, path.courses) == ("tea-journey", "From leaf to cup", 2)
    await pool.execute("UPDATE courses SET is_published = false WHERE slug = 'tea'")
    assert [p.courses for p in (await learning.shelf(42))[1]] == [1]
    await pool.execute("UPDATE courses SET is_published = false")
    assert await learning.shelf(42) == ([], [])
