"""Importing course packs into the real database: idempotent, in place, all or nothing."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from bot.ai.local_embeddings import LocalHashEmbedder
from tests.support.courses import DEMO_PACK, TINY_PACK, editable_copy, import_pack


async def snapshot(pool: asyncpg.Pool) -> dict[str, list]:
    """Every imported row, ids and timestamps included, to prove nothing was rewritten."""
    tables = [
        "courses",
        "modules",
        "topics",
        "quiz_questions",
        "quiz_options",
        "topic_prompt_suggestions",
        "course_chunks",
    ]
    return {t: [dict(r) for r in await pool.fetch(f"SELECT * FROM {t} ORDER BY 1")] for t in tables}


async def test_the_demo_course_imports(pool: asyncpg.Pool) -> None:
    summary = await import_pack(pool, DEMO_PACK)

    assert (summary.modules, summary.topics) == (3, 12)
    assert summary.questions >= 24
    assert summary.chunks == summary.embedded > 50
    assert await pool.fetchval("SELECT count(*) FROM topics") == 12
    assert await pool.fetchval("SELECT count(*) FROM course_chunks") == summary.chunks
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM topics WHERE text_content_sports IS NULL "
            "OR text_content_cooking IS NULL OR text_content_adventure IS NULL"
        )
        == 0
    )
    follow_ups = await pool.fetchval(
        "SELECT count(*) FROM topic_prompt_suggestions WHERE parent_id IS NOT NULL"
    )
    assert follow_ups >= 4


async def test_a_second_import_changes_nothing(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)
    before = await snapshot(pool)

    summary = await import_pack(pool, DEMO_PACK)

    assert summary.unchanged and summary.embedded == 0
    assert await snapshot(pool) == before


async def test_an_edited_pack_updates_in_place_and_keeps_learner_progress(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    pack = editable_copy(TINY_PACK, tmp_path)
    first = await import_pack(pool, pack)
    topic_id = await pool.fetchval("SELECT id FROM topics WHERE module_no = 1 AND topic_number = 1")
    course_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    await pool.execute("INSERT INTO users (id, first_name) VALUES (42, 'Ada')")
    await pool.execute("INSERT INTO enrollments (user_id, course_id) VALUES (42, $1)", course_id)
    await pool.execute(
        "INSERT INTO topic_progress (user_id, topic_id, is_completed) VALUES (42, $1, true)",
        topic_id,
    )
    topic_file = next(
        p for p in sorted((pack / "modules").glob("01-*/01-*.md")) if p.name.count(".") == 1
    )
    topic_file.write_text(topic_file.read_text() + "\n\nA brand new closing paragraph.\n")

    second = await import_pack(pool, pack)

    assert not second.unchanged
    assert 0 < second.embedded < first.embedded, "only the changed chunks are embedded again"
    assert (
        await pool.fetchval("SELECT id FROM topics WHERE module_no = 1 AND topic_number = 1")
        == topic_id
    )
    assert "A brand new closing paragraph." in await pool.fetchval(
        "SELECT text_content FROM topics WHERE id = $1", topic_id
    )
    assert await pool.fetchval(
        "SELECT is_completed FROM topic_progress WHERE user_id = 42 AND topic_id = $1", topic_id
    )
    assert await pool.fetchval("SELECT count(*) FROM enrollments WHERE user_id = 42") == 1
    assert await pool.fetchval("SELECT count(*) FROM courses") == 1


async def test_a_reworded_question_retires_the_old_one(pool: asyncpg.Pool, tmp_path: Path) -> None:
    pack = editable_copy(TINY_PACK, tmp_path)
    await import_pack(pool, pack)
    quiz = next((pack / "modules").glob("01-*/quiz.yaml"))
    old_question = await pool.fetchval(
        "SELECT question_text FROM quiz_questions WHERE module_no = 1 ORDER BY position LIMIT 1"
    )
    quiz.write_text(quiz.read_text().replace(old_question, old_question + " (reworded)"))

    await import_pack(pool, pack)

    rows = await pool.fetch(
        "SELECT question_text, is_active FROM quiz_questions WHERE question_text LIKE $1",
        old_question + "%",
    )
    assert {(r["question_text"], r["is_active"]) for r in rows} == {
        (old_question, False),
        (old_question + " (reworded)", True),
    }


class BrokenEmbedder(LocalHashEmbedder):
    """Gives vectors of the wrong size, so the database refuses them mid-import."""

    async def embed(self, texts):
        vectors = await super().embed(texts)
        return [v[:-1] if i == len(vectors) - 1 else v for i, v in enumerate(vectors)]


async def test_a_failure_half_way_leaves_nothing_behind(pool: asyncpg.Pool) -> None:
    with pytest.raises(asyncpg.PostgresError):
        await import_pack(pool, TINY_PACK, embedder=BrokenEmbedder())

    assert await pool.fetchval("SELECT count(*) FROM courses") == 0
    assert await pool.fetchval("SELECT count(*) FROM topics") == 0
