"""Hybrid retrieval: vector and full-text candidates fused by reciprocal rank.

Always filtered to one course and an upper module bound. pgvector applies such filters
after the HNSW scan, so a selective filter can leave fewer than k rows. Small courses
(up to 2,000 chunks: ~9 ms) are therefore searched exactly through the btree on
(course_id, module_no); large ones through HNSW — with iterative scans on pgvector >= 0.8,
else with a candidate list widened when a module bound cuts the course — falling back to
an exact scan whenever the index still returns fewer rows than asked for.
Figures: benchmarks/README.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import numpy as np

from domain.retrieval import EmbeddingModelMismatch, SearchHit, UnknownCourse
from storage.courses import sql_literal

EXACT_SEARCH_MAX_CHUNKS = 2_000
RRF_K = 60
_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class CourseIndex:
    course_id: object
    model: str | None
    dimensions: int | None
    chunk_count: int
    last_module: int


class PgChunkSearch:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        exact_max_chunks: int = EXACT_SEARCH_MAX_CHUNKS,
        candidates: int = 40,
    ) -> None:
        self._pool = pool
        self._exact_max = exact_max_chunks
        self._candidates = candidates
        self._iterative_scans: bool | None = None

    async def course_index(self, slug: str) -> CourseIndex:
        row = await self._pool.fetchrow(
            """
            SELECT c.id, c.embedding_model, c.embedding_dims, c.chunk_count,
                (SELECT coalesce(max(module_no), 0) FROM modules m WHERE m.course_id = c.id)
                    AS last_module
            FROM courses c WHERE c.slug = $1
            """,
            slug,
        )
        if row is None:
            raise UnknownCourse(f"no course with slug {slug!r}")
        return CourseIndex(
            row["id"],
            row["embedding_model"],
            row["embedding_dims"],
            row["chunk_count"],
            row["last_module"],
        )

    async def search(
        self,
        slug: str,
        query: str,
        query_vector: Sequence[float],
        *,
        model: str,
        k: int = 5,
        max_module: int | None = None,
    ) -> list[SearchHit]:
        index = await self.course_index(slug)
        if index.chunk_count == 0:
            return []
        if index.model != model or index.dimensions != len(query_vector):
            raise EmbeddingModelMismatch(
                f"course {slug!r} was indexed with {index.model} ({index.dimensions} dimensions) "
                f"but the configured embedder is {model} ({len(query_vector)} dimensions); "
                "re-import the course with the configured embedder"
            )
        vector = np.asarray(query_vector, dtype=np.float32)
        limit_module = max_module if max_module is not None else 2**31 - 1
        pool_size = max(self._candidates, 4 * k)
        if index.chunk_count <= self._exact_max:
            rows = await self._pool.fetch(
                _exact_hybrid(index),
                index.course_id,
                limit_module,
                vector,
                pool_size,
                _text_query(query),
                RRF_K,
                k,
            )
            return [_hit(rank, r["score"], r) for rank, r in enumerate(rows, 1)]
        # A large course: an HNSW scan (settings local to the transaction), an exact scan
        # when the filter left too few, then the text search, fused here.
        async with self._pool.acquire() as conn, conn.transaction():
            vec_ids = await self._vector_candidates(
                conn, index, vector, limit_module, pool_size, exact=False
            )
            if len(vec_ids) < min(pool_size, k):
                vec_ids = await self._vector_candidates(
                    conn, index, vector, limit_module, pool_size, exact=True
                )
            text_ids = await self._text_candidates(conn, index, query, limit_module, pool_size)
            scores: dict[int, float] = {}
            for ranked in (vec_ids, text_ids):
                for rank, chunk_id in enumerate(ranked, 1):
                    scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
            best = sorted(scores, key=lambda i: (-scores[i], i))[:k]
            rows = await conn.fetch(
                "SELECT id, citation, module_no, topic_number, source, content "
                "FROM course_chunks WHERE id = ANY($1::bigint[])",
                best,
            )
        by_id = {r["id"]: r for r in rows}
        return [_hit(rank, scores[i], by_id[i]) for rank, i in enumerate(best, 1)]

    async def _vector_candidates(
        self,
        conn: asyncpg.Connection,
        index: CourseIndex,
        vector: np.ndarray,
        max_module: int,
        limit: int,
        *,
        exact: bool,
    ) -> list[int]:
        distance, where = _vector_filter(index)
        if exact:
            # Materialising the filtered rows keeps the planner off the HNSW index.
            sql = (
                f"WITH candidates AS MATERIALIZED (SELECT id, embedding FROM course_chunks "
                f"WHERE {where}) SELECT id FROM candidates ORDER BY {distance}, id LIMIT $4"
            )
        else:
            if await self._supports_iterative_scans(conn):
                # pgvector >= 0.8 keeps scanning the graph until enough rows pass the filter.
                await conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                ef_search = max(limit * 4, 100)
            else:
                # A module bound removes a clustered share of the course after the scan,
                # so it needs a much wider candidate list (measured: benchmarks/retrieval.py).
                bounded = max_module < index.last_module
                ef_search = 1000 if bounded else max(limit * 4, 100)
            await conn.execute(f"SET LOCAL hnsw.ef_search = {min(ef_search, 1000)}")
            sql = (
                f"WITH nearest AS MATERIALIZED (SELECT id, {distance} AS distance "
                f"FROM course_chunks WHERE {where} ORDER BY {distance} LIMIT $4) "
                "SELECT id FROM nearest ORDER BY distance, id"
            )
        rows = await conn.fetch(sql, index.course_id, max_module, vector, limit)
        return [r["id"] for r in rows]

    async def _supports_iterative_scans(self, conn: asyncpg.Connection) -> bool:
        if self._iterative_scans is None:
            version = await conn.fetchval(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            )
            major, minor = (int(p) for p in str(version or "0.0").split(".")[:2])
            self._iterative_scans = (major, minor) >= (0, 8)
        return self._iterative_scans

    async def _text_candidates(
        self, conn: asyncpg.Connection, index: CourseIndex, query: str, max_module: int, limit: int
    ) -> list[int]:
        text_query = _text_query(query)
        if text_query is None:
            return []
        rows = await conn.fetch(
            f"SELECT id FROM ({_by_text('$3')}) t ORDER BY score DESC, id",
            index.course_id,
            max_module,
            text_query,
            limit,
        )
        return [r["id"] for r in rows]


def _hit(rank: int, score: float, row: asyncpg.Record) -> SearchHit:
    return SearchHit(
        rank,
        score,
        row["citation"],
        row["module_no"],
        row["topic_number"],
        row["source"],
        row["content"],
    )


def _text_query(question: str) -> str | None:
    """An OR of the question's words (a learner's question rarely contains every word of
    the answer), as `to_tsquery` reads it; None when it has no words."""
    words = _WORD.findall(question.lower())
    return " | ".join(words[:64]) if words else None


def _by_text(query: str) -> str:
    """The $4 chunks best matching the text query (`query`, the parameter holding it) in
    the course ($1) up to a module ($2), best first, ties by chunk id."""
    return f"""
        SELECT id, ts_rank_cd(tsv, q, 32) AS score
        FROM course_chunks, to_tsquery('english', {query}) AS q
        WHERE course_id = $1 AND (module_no IS NULL OR module_no <= $2) AND tsv @@ q
        ORDER BY score DESC, id LIMIT $4
    """


def _vector_filter(index: CourseIndex) -> tuple[str, str]:
    """The distance to the query ($3) and the chunks a search may return: the course ($1),
    up to a module ($2), embedded by the course's model."""
    dims = int(index.dimensions or 0)
    model = sql_literal(index.model or "")
    distance = f"embedding::vector({dims}) <=> $3::vector({dims})"
    where = (
        f"course_id = $1 AND (module_no IS NULL OR module_no <= $2) AND embedding_model = {model}"
    )
    return distance, where


def _exact_hybrid(index: CourseIndex) -> str:
    """A small course's whole hybrid search in one statement: the $4 nearest chunks by an
    exact scan (materialised, which keeps the planner off the HNSW index) and the $4 best
    by full text ($5), fused by reciprocal rank ($6) into the best $7, with their text.
    Ties break on the chunk id, as in the two-step search for large courses."""
    distance, where = _vector_filter(index)
    return f"""
        WITH candidates AS MATERIALIZED (
            SELECT id, {distance} AS distance FROM course_chunks WHERE {where}
        ),
        by_vector AS (
            SELECT id, row_number() OVER (ORDER BY distance, id) AS rank
            FROM (SELECT id, distance FROM candidates ORDER BY distance, id LIMIT $4) v
        ),
        by_text AS (
            SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank
            FROM ({_by_text("$5")}) t
        ),
        fused AS (
            SELECT id, sum(1.0::float8 / ($6 + rank)) AS score
            FROM (SELECT * FROM by_vector UNION ALL SELECT * FROM by_text) ranked
            GROUP BY id ORDER BY score DESC, id LIMIT $7
        )
        SELECT c.id, f.score, c.citation, c.module_no, c.topic_number, c.source, c.content
        FROM fused f JOIN course_chunks c ON c.id = f.id
        ORDER BY f.score DESC, c.id
    """
