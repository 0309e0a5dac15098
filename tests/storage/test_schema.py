"""The core schema's constraints do the work the seed describes."""

from __future__ import annotations

import asyncpg
import numpy as np
import pytest


async def make_course(pool: asyncpg.Pool, slug: str = "demo") -> object:
    course_id = await pool.fetchval(
        "INSERT INTO courses (slug, name) VALUES ($1, 'Demo') RETURNING id", slug
    )
    await pool.execute(
        "INSERT INTO modules (course_id, module_no, title) VALUES ($1, 1, 'One')", course_id
    )
    return course_id


async def test_topic_numbers_are_unique_within_a_module(pool: asyncpg.Pool) -> None:
    course_id = await make_course(pool)
    insert = (
        "INSERT INTO topics (course_id, module_no, topic_number, title, text_content) "
        "VALUES ($1, 1, 1, 'T', 'text')"
    )
    await pool.execute(insert, course_id)
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute(insert, course_id)


async def test_topic_needs_its_module(pool: asyncpg.Pool) -> None:
    course_id = await make_course(pool)
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await pool.execute(
            "INSERT INTO topics (course_id, module_no, topic_number, title, text_content) "
            "VALUES ($1, 2, 1, 'T', 'text')",
            course_id,
        )


async def test_module_progress_is_unique_per_learner_course_and_module(pool: asyncpg.Pool) -> None:
    course_id = await make_course(pool)
    await pool.execute("INSERT INTO users (id, first_name) VALUES (42, 'Ada')")
    insert = "INSERT INTO module_progress (user_id, course_id, module_no) VALUES (42, $1, 1)"
    await pool.execute(insert, course_id)
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute(insert, course_id)


async def test_only_known_personas_are_stored(pool: asyncpg.Pool) -> None:
    course_id = await make_course(pool)
    await pool.execute("INSERT INTO users (id, first_name) VALUES (42, 'Ada')")
    with pytest.raises(asyncpg.InvalidTextRepresentationError):
        await pool.execute(
            "INSERT INTO topic_personalization (user_id, course_id, persona) "
            "VALUES (42, $1, 'swimming')",
            course_id,
        )


async def test_chunks_accept_embeddings_and_their_terms_go_with_their_course(
    pool: asyncpg.Pool,
) -> None:
    course_id = await make_course(pool)
    chunk_id = await pool.fetchval(
        "INSERT INTO course_chunks (course_id, module_no, source, position, citation, content, "
        "content_hash, embedding, embedding_model) "
        "VALUES ($1, 1, 'ref', 0, 'Ref §1', 'Gradient descent lowers the loss', 'h', $2, 'm') "
        "RETURNING id",
        course_id,
        np.array([0.1, 0.2, 0.3], dtype=np.float32),
    )
    await pool.execute(
        "INSERT INTO chunk_terms (course_id, term, chunk_id, module_no, tf, length) "
        "VALUES ($1, 'loss', $2, 1, 1, 4)",
        course_id,
        chunk_id,
    )
    nearest = await pool.fetchval(
        "SELECT embedding <=> $1 FROM course_chunks", np.array([0.1, 0.2, 0.3], dtype=np.float32)
    )
    assert nearest == pytest.approx(0.0, abs=1e-6)

    await pool.execute("DELETE FROM courses WHERE id = $1", course_id)
    assert await pool.fetchval("SELECT count(*) FROM chunk_terms") == 0


async def test_at_most_one_open_quiz_attempt_per_module(pool: asyncpg.Pool) -> None:
    course_id = await make_course(pool)
    await pool.execute("INSERT INTO users (id, first_name) VALUES (42, 'Ada')")
    insert = (
        "INSERT INTO quiz_attempts (user_id, course_id, module_no, question_set) "
        "VALUES (42, $1, 1, '[]')"
    )
    await pool.execute(insert, course_id)
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute(insert, course_id)
