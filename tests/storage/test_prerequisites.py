"""Prerequisites on the real database: stored at import (a missing course or a cycle
refuses the pack, nothing written), and enrolment gated in the statement that enrols."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from bot.ai.local_embeddings import LocalHashEmbedder
from bot.pack_files import load_pack
from domain.course_pack import PackError
from domain.learning.model import EnrollOutcome
from storage.course_import import PgCourseImportStore
from storage.learning import PgLearningStore
from tests.storage.test_course_import import snapshot
from tests.support.courses import TINY_PACK, editable_copy, import_pack

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def tea_pack(tmp_path: Path, slug: str, name: str, requires: tuple[str, ...] = ()) -> Path:
    """The tiny pack as another course, requiring `requires`."""
    pack = editable_copy(TINY_PACK, tmp_path / slug)
    meta = pack / "course.yaml"
    text = re.sub(r"(?m)^slug: .*$", f"slug: {slug}", meta.read_text())
    text = re.sub(r"(?m)^name: .*$", f"name: {name}", text)
    if requires:
        text += "requires:\n" + "".join(f"  - {r}\n" for r in requires)
    meta.write_text(text)
    return pack


async def course_id(pool: asyncpg.Pool, slug: str) -> UUID:
    return await pool.fetchval("SELECT id FROM courses WHERE slug = $1", slug)


async def learner(pool: asyncpg.Pool, user_id: int) -> None:
    await pool.execute("INSERT INTO users (id, first_name) VALUES ($1, 'Ada')", user_id)


async def refusal(pool: asyncpg.Pool, pack: Path) -> list[str]:
    with pytest.raises(PackError) as refused:
        await import_pack(pool, pack)
    return [str(p) for p in refused.value.problems]


async def test_a_gated_course_enrols_only_once_its_prerequisite_is_completed(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await import_pack(pool, tea_pack(tmp_path, "tea", "Tea basics"))
    await import_pack(pool, tea_pack(tmp_path, "oolong", "Oolong"))
    await import_pack(pool, tea_pack(tmp_path, "master", "Tea master", ("tea", "oolong")))
    tea, oolong, master = [await course_id(pool, s) for s in ("tea", "oolong", "master")]
    store = PgLearningStore(pool)
    await learner(pool, 42)

    outcome, enrollment = await store.ensure_enrollment(42, master)
    assert outcome is EnrollOutcome.GATED
    assert [(p.slug, p.name, p.completed) for p in enrollment.course.requires] == [
        ("tea", "Tea basics", False),
        ("oolong", "Oolong", False),
    ]
    assert await pool.fetchval("SELECT count(*) FROM enrollments") == 0
    assert await pool.fetchval("SELECT count(*) FROM module_progress") == 0, "nothing opened"

    await store.ensure_enrollment(42, tea)
    assert await store.complete_enrollment(42, tea, AT)
    await store.ensure_enrollment(42, oolong)  # enrolled, not completed: still gated
    assert (await store.ensure_enrollment(42, master))[0] is EnrollOutcome.GATED
    [(card, _)] = await store.catalog(42, master)
    assert [p.completed for p in card.requires] == [True, False]
    assert [p.completed for p in (await store.course_by_slug("master", 42)).requires] == [
        True,
        False,
    ]
    assert [p.completed for p in (await store.course_by_slug("master")).requires] == [
        False,
        False,
    ], "no learner: none completed"

    assert await store.complete_enrollment(42, oolong, AT)
    assert (await store.ensure_enrollment(42, master))[0] is EnrollOutcome.ENROLLED
    assert (
        await pool.fetchval("SELECT count(*) FROM module_progress WHERE course_id = $1", master)
        == 1
    )


async def test_an_enrolled_learner_stays_when_a_requirement_is_added_later(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await import_pack(pool, tea_pack(tmp_path / "a", "tea", "Tea basics"))
    await import_pack(pool, tea_pack(tmp_path / "a", "master", "Tea master"))
    master = await course_id(pool, "master")
    store = PgLearningStore(pool)
    await learner(pool, 42)
    await learner(pool, 43)
    assert (await store.ensure_enrollment(42, master))[0] is EnrollOutcome.ENROLLED

    await import_pack(pool, tea_pack(tmp_path / "b", "master", "Tea master", ("tea",)))

    assert (await store.ensure_enrollment(42, master))[0] is EnrollOutcome.ALREADY
    assert (await store.ensure_enrollment(43, master))[0] is EnrollOutcome.GATED
    await import_pack(pool, tea_pack(tmp_path / "c", "master", "Tea master"))  # dropped again
    assert (await store.ensure_enrollment(43, master))[0] is EnrollOutcome.ENROLLED
    assert await pool.fetchval("SELECT count(*) FROM course_prerequisites") == 0


async def test_a_required_course_not_in_the_database_refuses_the_pack_whole(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await import_pack(pool, tea_pack(tmp_path, "tea", "Tea basics"))
    before = await snapshot(pool)

    problems = await refusal(pool, tea_pack(tmp_path, "master", "Tea master", ("tea", "ghost")))

    assert problems == ["course.yaml:17: requires: there is no course 'ghost'; import it first"]
    assert await snapshot(pool) == before
    assert await pool.fetchval("SELECT count(*) FROM course_prerequisites") == 0


async def test_a_cycle_refuses_the_pack_and_leaves_the_courses_as_they_were(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await import_pack(pool, tea_pack(tmp_path / "a", "tea", "Tea basics"))
    await import_pack(pool, tea_pack(tmp_path / "a", "oolong", "Oolong", ("tea",)))
    await import_pack(pool, tea_pack(tmp_path / "a", "master", "Tea master", ("oolong",)))
    before = await snapshot(pool)
    edges = await pool.fetch("SELECT * FROM course_prerequisites ORDER BY 1, 2")

    problems = await refusal(pool, tea_pack(tmp_path / "b", "tea", "Tea 2", ("master",)))

    assert problems == ["course.yaml:16: requires: a cycle, tea → master → oolong → tea"]
    assert await snapshot(pool) == before, "not even the new name is written"
    assert await pool.fetch("SELECT * FROM course_prerequisites ORDER BY 1, 2") == edges


async def test_the_transaction_checks_again_what_it_writes(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """The check inside `save` (under the lock), not only the importer's early one: a
    required course deleted between the two is still refused, nothing written."""
    await import_pack(pool, tea_pack(tmp_path, "tea", "Tea basics"))
    pack = load_pack(tea_pack(tmp_path, "master", "Tea master", ("tea",)))
    await pool.execute("DELETE FROM courses WHERE slug = 'tea'")
    vectors = await LocalHashEmbedder().embed(["x"])

    with pytest.raises(PackError, match="there is no course 'tea'"):
        await PgCourseImportStore(pool).save(pack, [], vectors[:0], model="m", dimensions=3)

    assert await pool.fetchval("SELECT count(*) FROM courses") == 0
