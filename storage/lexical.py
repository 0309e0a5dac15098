"""The lexical index: BM25 postings per course, written from the stored chunks.

Why in PostgreSQL rather than an in-process index (bm25s) per replica: the postings
change in the same transaction as the chunks, so every replica ranks a re-imported course
by its new text at once; nothing is built at start or held in each replica's memory; and
a module bound is a plain filter. The cost is a read of the query terms' postings per
search (measured in benchmarks/retrieval.py against bm25s on the same data; the choice
and its figures are in docs/retrieval.md).
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain import lexical
from domain.chunking import Chunk
from domain.placement import ReferencePlacer, TopicText

BULK_WRITE_TIMEOUT = 600.0


async def rebuild_postings(conn: asyncpg.Connection, course_id: UUID) -> int:
    """Replace a course's postings with ones made from its stored chunks (inside the
    caller's transaction); returns the number of postings. Chunks without a module (rows
    from before every chunk had one) are left out: they cannot be bounded."""
    rows = await conn.fetch(
        "SELECT id, module_no, content FROM course_chunks "
        "WHERE course_id = $1 AND module_no IS NOT NULL",
        course_id,
    )
    counted = [(r["id"], r["module_no"], lexical.term_counts(r["content"])) for r in rows]
    lengths = [sum(counts.values()) for _, _, counts in counted]
    records = [
        (course_id, term, chunk_id, module_no, tf, length)
        for (chunk_id, module_no, counts), length in zip(counted, lengths, strict=True)
        for term, tf in counts.items()
    ]
    await conn.execute("DELETE FROM chunk_terms WHERE course_id = $1", course_id)
    if records:
        await conn.copy_records_to_table(
            "chunk_terms",
            records=records,
            columns=["course_id", "term", "chunk_id", "module_no", "tf", "length"],
            timeout=BULK_WRITE_TIMEOUT,
        )
    await conn.execute(
        "UPDATE courses SET lexical_version = $2, lexical_mean_length = $3 WHERE id = $1",
        course_id,
        lexical.VERSION,
        sum(lengths) / len(lengths) if lengths else 0.0,
    )
    return len(records)


async def upgrade_stale(pool: asyncpg.Pool) -> list[str]:
    """Rebuild the postings of every course written by another version of the terms
    (or before there were any), placing reference chunks stored without a module first;
    returns their slugs. Replicas starting together take turns on each course's row and
    the second finds it done."""
    slugs = await pool.fetch(
        "SELECT id, slug FROM courses WHERE lexical_version IS DISTINCT FROM $1 ORDER BY slug",
        lexical.VERSION,
    )
    done = []
    for row in slugs:
        async with pool.acquire() as conn, conn.transaction():
            stale = await conn.fetchval(
                "SELECT true FROM courses WHERE id = $1 AND lexical_version IS DISTINCT FROM $2 "
                "FOR UPDATE",
                row["id"],
                lexical.VERSION,
            )
            if stale:
                await _place_unplaced(conn, row["id"])
                await rebuild_postings(conn, row["id"])
                done.append(row["slug"])
    return done


async def _place_unplaced(conn: asyncpg.Connection, course_id: UUID) -> None:
    """Reference chunks written before every chunk had a module get one now."""
    loose = await conn.fetch(
        "SELECT id, source, position, citation, content FROM course_chunks "
        "WHERE course_id = $1 AND module_no IS NULL ORDER BY source, position",
        course_id,
    )
    if not loose:
        return
    placer = ReferencePlacer(await topic_texts(conn, course_id=course_id))
    placed, _ = placer.place(
        [Chunk(r["source"], r["position"], r["citation"], r["content"]) for r in loose]
    )
    await conn.executemany(
        "UPDATE course_chunks SET module_no = $2 WHERE id = $1",
        [(r["id"], c.module_no) for r, c in zip(loose, placed, strict=True)],
    )


async def topic_texts(
    db: asyncpg.Pool | asyncpg.Connection, *, slug: str | None = None, course_id: UUID | None = None
) -> list[TopicText]:
    """A course's topics' default texts (by slug or id), which reference material is placed
    against."""
    rows = await db.fetch(
        "SELECT t.module_no, t.topic_number, t.title, t.text_content FROM topics t "
        "JOIN courses c ON c.id = t.course_id WHERE c.slug = $1 OR c.id = $2 "
        "ORDER BY t.module_no, t.topic_number",
        slug,
        course_id,
    )
    return [TopicText(r[0], r[1], r[2], r[3]) for r in rows]


def ranked_by_terms(*, terms: str, limit: str) -> str:
    """SQL: the course's ($1) chunks up to a module ($2) ranked by BM25 for the query's
    terms (`terms`, a text[] parameter), the best `limit` with their score, ties by id.
    A term's document frequency is its number of postings in the whole course, so a
    module bound changes which chunks compete, never how rare a word is. A chunk shorter
    than the mean counts as the mean (domain.lexical.term_weight). The course's chunk
    count and mean length come from the `stats` CTE the caller provides."""
    k1, b = lexical.K1, lexical.B
    return f"""
        SELECT chunk_id AS id, sum(
            ln(1 + (stats.documents - df + 0.5) / (df + 0.5))
            * tf * {k1 + 1} / (tf + {k1} * (1 - {b} + {b} * greatest(length, stats.mean_length)
                / stats.mean_length))
        )::float8 AS score
        FROM (
            SELECT chunk_id, module_no, tf, length,
                count(*) OVER (PARTITION BY term) AS df
            FROM chunk_terms WHERE course_id = $1 AND term = ANY({terms})
        ) postings, stats
        WHERE module_no <= $2
        GROUP BY chunk_id ORDER BY score DESC, chunk_id LIMIT {limit}
    """
