"""Writing a validated course pack: one transaction, rows kept stable across re-imports.

Stable identity comes from the author's structure (slug, module number, topic number,
suggestion id, question text), so an edited pack updates rows in place and learners'
progress, enrollments and quiz history stay attached.

Over ~400 lines on purpose: one transaction writing every table a pack fills, each
table's upsert a few lines of SQL that only make sense in the order of that transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import numpy as np
from pgvector import Vector

from domain import lexical
from domain.chunking import Chunk
from domain.course_import import ModelMismatch
from domain.course_pack import CoursePack, PackError
from domain.personas import Persona
from domain.placement import TopicText
from domain.prerequisites import import_problems
from storage.lexical import rebuild_postings, topic_texts

INDEX_BUILD_TIMEOUT = 3600.0
BULK_WRITE_TIMEOUT = 600.0


@dataclass(frozen=True)
class SaveResult:
    course_id: UUID
    changed: bool
    chunks_written: int


def hnsw_index_name(model: str) -> str:
    return "course_chunks_hnsw_" + hashlib.sha256(model.encode()).hexdigest()[:12]


def sql_literal(text: str) -> str:
    """Quote a string for inlining (partial-index predicates cannot be parameters)."""
    return "'" + text.replace("'", "''") + "'"


# Imports that change prerequisites take turns (a transaction-level advisory lock), so
# two packs imported at once cannot close a cycle neither saw.
PREREQUISITES_LOCK = 0x7072_6571  # "preq"


class PgCourseImportStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def prerequisite_graph(self) -> dict[str, list[str]]:
        return await _graph(self._pool)

    async def known_vectors(self, slug: str, model: str) -> dict[str, np.ndarray]:
        """Vectors already stored for this course and model, by content hash."""
        rows = await self._pool.fetch(
            """
            SELECT DISTINCT ON (ch.content_hash) ch.content_hash, ch.embedding
            FROM course_chunks ch JOIN courses c ON c.id = ch.course_id
            WHERE c.slug = $1 AND ch.embedding_model = $2 AND ch.embedding IS NOT NULL
            """,
            slug,
            model,
        )
        return {r["content_hash"]: r["embedding"] for r in rows}

    async def is_current(self, slug: str, content_hash: str, model: str) -> bool:
        return bool(
            await self._pool.fetchval(
                "SELECT true FROM courses WHERE slug = $1 AND content_hash = $2 "
                "AND embedding_model = $3 AND lexical_version = $4",
                slug,
                content_hash,
                model,
                lexical.VERSION,
            )
        )

    async def save(
        self,
        pack: CoursePack,
        chunks: Sequence[Chunk],
        vectors: Sequence[np.ndarray],
        *,
        model: str,
        dimensions: int,
    ) -> SaveResult:
        """Raises PackError (nothing written) when the prerequisites, read again under the
        lock, make the pack's `requires:` impossible (domain.prerequisites)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", PREREQUISITES_LOCK)
            problems = import_problems(pack, await _graph(conn))
            if problems:
                raise PackError(problems)
            course_id = await _upsert_course(conn, pack, model, dimensions, len(chunks))
            await _sync_prerequisites(conn, course_id, pack)
            await _sync_modules(conn, course_id, pack)
            topic_ids = await _sync_topics(conn, course_id, pack)
            await _sync_questions(conn, course_id, pack)
            await _sync_review_cards(conn, course_id, pack)
            await _sync_suggestions(conn, course_id, pack, topic_ids)
            written = await _sync_chunks(conn, course_id, chunks, vectors, model, topic_ids)
            await rebuild_postings(conn, course_id)
            await _ensure_vector_index(conn, model, dimensions)
        return SaveResult(course_id, True, written)

    async def chunk_texts(self, slug: str) -> list[tuple[int, str]]:
        """Every stored chunk of a course (id, text), for re-embedding."""
        rows = await self._pool.fetch(
            "SELECT ch.id, ch.content FROM course_chunks ch JOIN courses c ON c.id = ch.course_id "
            "WHERE c.slug = $1 ORDER BY ch.source, ch.position",
            slug,
        )
        return [(r["id"], r["content"]) for r in rows]

    async def replace_vectors(
        self,
        slug: str,
        ids: Sequence[int],
        vectors: Sequence[np.ndarray],
        *,
        model: str,
        dimensions: int,
    ) -> int:
        """New vectors for a course's chunks, its model recorded, the model's index ensured."""
        async with self._pool.acquire() as conn, conn.transaction():
            course_id = await conn.fetchval(
                "UPDATE courses SET embedding_model = $2, embedding_dims = $3, updated_at = now() "
                "WHERE slug = $1 RETURNING id",
                slug,
                model,
                dimensions,
            )
            if course_id is None:
                return 0
            status = await conn.execute(
                """
                UPDATE course_chunks ch SET embedding = v.embedding, embedding_model = $4
                FROM unnest($2::bigint[], $3::vector[]) AS v(id, embedding)
                WHERE ch.id = v.id AND ch.course_id = $1
                """,
                course_id,
                list(ids),
                [v if isinstance(v, Vector) else Vector(v) for v in vectors],
                model,
                timeout=BULK_WRITE_TIMEOUT,
            )
            await _ensure_vector_index(conn, model, dimensions)
        return int(status.split()[-1])

    async def topic_texts(self, slug: str) -> list[TopicText]:
        """The course's topics' default texts, which reference material is placed against."""
        return await topic_texts(self._pool, slug=slug)

    async def embedding_model(self, slug: str) -> str | None:
        return await self._pool.fetchval(
            "SELECT embedding_model FROM courses WHERE slug = $1", slug
        )

    async def replace_source(
        self,
        slug: str,
        source: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[np.ndarray],
        *,
        model: str,
        dimensions: int,
    ) -> tuple[int, bool]:
        """Swap one source's chunks (e.g. reference/notes.md) in one transaction.

        Returns the course's chunk count afterwards and whether the source had chunks
        before. The course's content hash is cleared, so the next import of its pack is
        not skipped as unchanged: it writes the pack's own chunks, dropping this source
        unless the pack has it. Raises ModelMismatch if the course is indexed with another
        model, LookupError if there is no such course.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT id, embedding_model FROM courses WHERE slug = $1 FOR UPDATE", slug
            )
            if row is None:
                raise LookupError(slug)
            if row["embedding_model"] is not None and row["embedding_model"] != model:
                raise ModelMismatch(row["embedding_model"], model)
            course_id = row["id"]
            status = await conn.execute(
                "DELETE FROM course_chunks WHERE course_id = $1 AND source = $2", course_id, source
            )
            await conn.execute(
                """
                INSERT INTO course_chunks (course_id, source, position, citation, content,
                    content_hash, embedding, embedding_model, module_no)
                SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::text[], $6::text[],
                    $7::vector[], $8::text[], $9::int[])
                """,
                course_id,
                source,
                [c.position for c in chunks],
                [c.citation for c in chunks],
                [c.content for c in chunks],
                [c.content_hash for c in chunks],
                [v if isinstance(v, Vector) else Vector(v) for v in vectors],
                [model] * len(chunks),
                [c.module_no for c in chunks],
                timeout=BULK_WRITE_TIMEOUT,
            )
            await rebuild_postings(conn, course_id)
            total = await conn.fetchval(
                """
                UPDATE courses SET chunk_count = (SELECT count(*) FROM course_chunks
                        WHERE course_id = $1),
                    content_hash = NULL, embedding_model = $2, embedding_dims = $3,
                    updated_at = now()
                WHERE id = $1 RETURNING chunk_count
                """,
                course_id,
                model,
                dimensions,
            )
            await _ensure_vector_index(conn, model, dimensions)
        return total, int(status.split()[-1]) > 0


async def _graph(conn: asyncpg.Pool | asyncpg.Connection) -> dict[str, list[str]]:
    """Every stored course's slug with the slugs it requires."""
    rows = await conn.fetch(
        """
        SELECT c.slug, coalesce(array_agg(q.slug ORDER BY p.position)
            FILTER (WHERE q.slug IS NOT NULL), '{}') AS requires
        FROM courses c
        LEFT JOIN course_prerequisites p ON p.course_id = c.id
        LEFT JOIN courses q ON q.id = p.required_id
        GROUP BY c.slug
        """
    )
    return {r["slug"]: list(r["requires"]) for r in rows}


async def _sync_prerequisites(conn: asyncpg.Connection, course_id: UUID, pack: CoursePack) -> None:
    """The pack's `requires:` as they are now (checked: each is a stored course)."""
    await conn.execute(
        """
        WITH wanted AS (
            SELECT q.id, w.position FROM unnest($2::text[]) WITH ORDINALITY AS w(slug, position)
            JOIN courses q ON q.slug = w.slug
        ),
        dropped AS (
            DELETE FROM course_prerequisites WHERE course_id = $1
                AND required_id NOT IN (SELECT id FROM wanted)
        )
        INSERT INTO course_prerequisites (course_id, required_id, position)
        SELECT $1, id, position FROM wanted
        ON CONFLICT (course_id, required_id) DO UPDATE SET position = EXCLUDED.position
        """,
        course_id,
        list(pack.meta.requires),
    )


async def _upsert_course(
    conn: asyncpg.Connection, pack: CoursePack, model: str, dims: int, chunk_count: int
) -> UUID:
    m, s = pack.meta, pack.meta.settings
    return await conn.fetchval(
        """
        INSERT INTO courses (slug, name, description, category, level, price_cents, currency,
            quiz_pass_threshold, quiz_cooldown_hours, quiz_attempts_limit, typed_prompt_quota,
            content_hash, embedding_model, embedding_dims, chunk_count,
            quiz_question_count, quiz_requires_topics, reviews_after)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
            $18)
        ON CONFLICT (slug) DO UPDATE SET
            name = EXCLUDED.name, description = EXCLUDED.description,
            category = EXCLUDED.category, level = EXCLUDED.level,
            price_cents = EXCLUDED.price_cents, currency = EXCLUDED.currency,
            quiz_pass_threshold = EXCLUDED.quiz_pass_threshold,
            quiz_cooldown_hours = EXCLUDED.quiz_cooldown_hours,
            quiz_attempts_limit = EXCLUDED.quiz_attempts_limit,
            typed_prompt_quota = EXCLUDED.typed_prompt_quota,
            quiz_question_count = EXCLUDED.quiz_question_count,
            quiz_requires_topics = EXCLUDED.quiz_requires_topics,
            reviews_after = EXCLUDED.reviews_after,
            content_hash = EXCLUDED.content_hash, embedding_model = EXCLUDED.embedding_model,
            embedding_dims = EXCLUDED.embedding_dims, chunk_count = EXCLUDED.chunk_count,
            updated_at = now()
        RETURNING id
        """,
        m.slug,
        m.name,
        m.description.strip(),
        m.category,
        m.level,
        m.price_cents,
        m.currency,
        s.quiz_pass_threshold,
        s.quiz_cooldown_hours,
        s.quiz_attempts_limit,
        s.typed_prompt_quota,
        pack.content_hash,
        model,
        dims,
        chunk_count,
        s.quiz_question_count,
        s.quiz_requires_topics,
        s.reviews_after,
    )


async def _sync_modules(conn: asyncpg.Connection, course_id: UUID, pack: CoursePack) -> None:
    await conn.executemany(
        """
        INSERT INTO modules (course_id, module_no, title, description) VALUES ($1, $2, $3, $4)
        ON CONFLICT (course_id, module_no) DO UPDATE SET
            title = EXCLUDED.title, description = EXCLUDED.description, updated_at = now()
        WHERE (modules.title, modules.description) IS DISTINCT FROM
              (EXCLUDED.title, EXCLUDED.description)
        """,
        [(course_id, m.number, m.title, m.description.strip()) for m in pack.modules],
    )
    await conn.execute(
        "DELETE FROM modules WHERE course_id = $1 AND module_no > $2",
        course_id,
        len(pack.modules),
    )


async def _sync_topics(
    conn: asyncpg.Connection, course_id: UUID, pack: CoursePack
) -> dict[tuple[int, int], UUID]:
    rows = [
        (
            course_id,
            m.number,
            t.number,
            t.title,
            t.text,
            t.variants.get(Persona.SPORTS),
            t.variants.get(Persona.COOKING),
            t.variants.get(Persona.ADVENTURE),
            t.ppt_url,
            t.video_url,
        )
        for m in pack.modules
        for t in m.topics
    ]
    await conn.executemany(
        """
        INSERT INTO topics (course_id, module_no, topic_number, title, text_content,
            text_content_sports, text_content_cooking, text_content_adventure, ppt_url, video_url)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (course_id, module_no, topic_number) DO UPDATE SET
            title = EXCLUDED.title, text_content = EXCLUDED.text_content,
            text_content_sports = EXCLUDED.text_content_sports,
            text_content_cooking = EXCLUDED.text_content_cooking,
            text_content_adventure = EXCLUDED.text_content_adventure,
            ppt_url = EXCLUDED.ppt_url, video_url = EXCLUDED.video_url, updated_at = now()
        WHERE (topics.title, topics.text_content, topics.text_content_sports,
               topics.text_content_cooking, topics.text_content_adventure, topics.ppt_url,
               topics.video_url)
              IS DISTINCT FROM
              (EXCLUDED.title, EXCLUDED.text_content, EXCLUDED.text_content_sports,
               EXCLUDED.text_content_cooking, EXCLUDED.text_content_adventure,
               EXCLUDED.ppt_url, EXCLUDED.video_url)
        """,
        rows,
    )
    keep = [(m.number, t.number) for m in pack.modules for t in m.topics]
    await conn.execute(
        """
        DELETE FROM topics WHERE course_id = $1 AND (module_no, topic_number) NOT IN
            (SELECT * FROM unnest($2::int[], $3::int[]))
        """,
        course_id,
        [k[0] for k in keep],
        [k[1] for k in keep],
    )
    found = await conn.fetch(
        "SELECT id, module_no, topic_number FROM topics WHERE course_id = $1", course_id
    )
    return {(r["module_no"], r["topic_number"]): r["id"] for r in found}


async def _sync_questions(conn: asyncpg.Connection, course_id: UUID, pack: CoursePack) -> None:
    """Questions are keyed by their text; a removed or reworded one is retired, not deleted,
    so past attempts keep pointing at what the learner was actually asked."""
    keys: list[str] = []
    for module in pack.modules:
        for position, q in enumerate(module.questions):
            keys.append(q.key)
            question_id = await conn.fetchval(
                """
                INSERT INTO quiz_questions (course_id, module_no, topic_pair_index, key,
                    question_text, explanation, position)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (course_id, key) DO UPDATE SET
                    module_no = EXCLUDED.module_no,
                    topic_pair_index = EXCLUDED.topic_pair_index,
                    question_text = EXCLUDED.question_text,
                    explanation = EXCLUDED.explanation, position = EXCLUDED.position,
                    is_active = true, updated_at = now()
                RETURNING id
                """,
                course_id,
                module.number,
                q.pair,
                q.key,
                q.question,
                q.explanation,
                position,
            )
            current = await conn.fetch(
                "SELECT option_text, is_correct FROM quiz_options WHERE question_id = $1 "
                "ORDER BY position",
                question_id,
            )
            wanted = [(o.text, o.correct) for o in q.options]
            if [(r["option_text"], r["is_correct"]) for r in current] != wanted:
                await conn.execute("DELETE FROM quiz_options WHERE question_id = $1", question_id)
                await conn.executemany(
                    "INSERT INTO quiz_options (question_id, position, option_text, is_correct) "
                    "VALUES ($1, $2, $3, $4)",
                    [(question_id, i, text, ok) for i, (text, ok) in enumerate(wanted)],
                )
    await conn.execute(
        "UPDATE quiz_questions SET is_active = false, updated_at = now() "
        "WHERE course_id = $1 AND is_active AND NOT (key = ANY($2::text[]))",
        course_id,
        keys,
    )


async def _sync_review_cards(conn: asyncpg.Connection, course_id: UUID, pack: CoursePack) -> None:
    """The authors' review cards as the pack has them now: a dropped card is deleted (the
    learners' cards of it find no prompt and are no longer asked)."""
    rows = [
        (
            course_id,
            card.key,
            m.number,
            t.number,
            card.question,
            [{"text": o.text, "correct": o.correct} for o in card.options],
            card.explanation,
        )
        for m in pack.modules
        for t in m.topics
        for card in t.review_cards
    ]
    await conn.execute(
        "DELETE FROM review_author_cards WHERE course_id = $1 AND NOT (key = ANY($2::text[]))",
        course_id,
        [r[1] for r in rows],
    )
    await conn.executemany(
        """
        INSERT INTO review_author_cards (course_id, key, module_no, topic_number, question,
            options, explanation)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (course_id, key) DO UPDATE SET
            module_no = EXCLUDED.module_no, topic_number = EXCLUDED.topic_number,
            question = EXCLUDED.question, options = EXCLUDED.options,
            explanation = EXCLUDED.explanation
        """,
        rows,
    )


async def _sync_suggestions(
    conn: asyncpg.Connection,
    course_id: UUID,
    pack: CoursePack,
    topic_ids: dict[tuple[int, int], UUID],
) -> None:
    ids: dict[str, UUID] = {}
    for position, s in enumerate(pack.suggestions):
        ids[s.key] = await conn.fetchval(
            """
            INSERT INTO topic_prompt_suggestions (course_id, topic_id, parent_id, key,
                prompt_text, answer, position)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (course_id, key) DO UPDATE SET
                topic_id = EXCLUDED.topic_id, parent_id = EXCLUDED.parent_id,
                prompt_text = EXCLUDED.prompt_text, answer = EXCLUDED.answer,
                position = EXCLUDED.position, is_active = true, updated_at = now(),
                -- an answer generated for an older wording no longer answers this one
                generated_answer = CASE
                    WHEN topic_prompt_suggestions.prompt_text = EXCLUDED.prompt_text
                    THEN topic_prompt_suggestions.generated_answer END,
                generated_citations = CASE
                    WHEN topic_prompt_suggestions.prompt_text = EXCLUDED.prompt_text
                    THEN topic_prompt_suggestions.generated_citations END
            RETURNING id
            """,
            course_id,
            topic_ids.get(s.topic) if s.topic else None,
            ids.get(s.parent) if s.parent else None,
            s.key,
            s.prompt,
            s.answer,
            position,
        )
    await conn.execute(
        "UPDATE topic_prompt_suggestions SET is_active = false, updated_at = now() "
        "WHERE course_id = $1 AND is_active AND NOT (key = ANY($2::text[]))",
        course_id,
        list(ids),
    )


async def _sync_chunks(
    conn: asyncpg.Connection,
    course_id: UUID,
    chunks: Sequence[Chunk],
    vectors: Sequence[np.ndarray],
    model: str,
    topic_ids: dict[tuple[int, int], UUID],
) -> int:
    result = await conn.fetch(
        """
        INSERT INTO course_chunks AS ch (course_id, module_no, topic_id, topic_number, source,
            position, citation, content, content_hash, embedding, embedding_model)
        SELECT $1, * FROM unnest($2::int[], $3::uuid[], $4::int[], $5::text[], $6::int[],
            $7::text[], $8::text[], $9::text[], $10::vector[], $11::text[])
        ON CONFLICT (course_id, source, position) DO UPDATE SET
            module_no = EXCLUDED.module_no, topic_id = EXCLUDED.topic_id,
            topic_number = EXCLUDED.topic_number, citation = EXCLUDED.citation,
            content = EXCLUDED.content, content_hash = EXCLUDED.content_hash,
            embedding = EXCLUDED.embedding, embedding_model = EXCLUDED.embedding_model
        WHERE (ch.content_hash, ch.citation, ch.embedding_model, ch.module_no, ch.topic_id)
              IS DISTINCT FROM
              (EXCLUDED.content_hash, EXCLUDED.citation, EXCLUDED.embedding_model,
               EXCLUDED.module_no, EXCLUDED.topic_id)
        RETURNING id
        """,
        course_id,
        [c.module_no for c in chunks],
        [
            topic_ids.get((c.module_no, c.topic_number))
            if c.module_no is not None and c.topic_number is not None
            else None
            for c in chunks
        ],
        [c.topic_number for c in chunks],
        [c.source for c in chunks],
        [c.position for c in chunks],
        [c.citation for c in chunks],
        [c.content for c in chunks],
        [c.content_hash for c in chunks],
        [v if isinstance(v, Vector) else Vector(v) for v in vectors],
        [model] * len(chunks),
        timeout=BULK_WRITE_TIMEOUT,
    )
    await conn.execute(
        """
        DELETE FROM course_chunks WHERE course_id = $1 AND (source, position) NOT IN
            (SELECT * FROM unnest($2::text[], $3::int[]))
        """,
        course_id,
        [c.source for c in chunks],
        [c.position for c in chunks],
    )
    return len(result)


async def _ensure_vector_index(conn: asyncpg.Connection, model: str, dimensions: int) -> None:
    """One partial HNSW index per embedding model: the column has no fixed dimension."""
    # The first import of a large course builds the graph here: give it memory (512 MB
    # builds 100k vectors ~4x faster than the default) and time beyond the pool's default.
    await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    await conn.execute(
        f"CREATE INDEX IF NOT EXISTS {hnsw_index_name(model)} ON course_chunks "
        f"USING hnsw ((embedding::vector({int(dimensions)})) vector_cosine_ops) "
        f"WHERE embedding_model = {sql_literal(model)}",
        timeout=INDEX_BUILD_TIMEOUT,
    )
