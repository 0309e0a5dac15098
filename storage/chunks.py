"""Hybrid retrieval: BM25 and vector candidates fused on their normalised scores.

Always filtered to one course and an upper module bound. The lexical half ranks the
course's postings (storage/lexical.py) by BM25; the dense half by cosine similarity. The
fused score of a candidate is its BM25 score over the best candidate's plus the backend's
dense weight (domain.retrieval.dense_weight) times its similarity over the best one's:
measured on the retrieval sets, this is never below the better half, where equal-weight
reciprocal-rank fusion fell below BM25 alone (docs/retrieval.md).

pgvector applies filters after the HNSW scan, so a selective filter can leave fewer than k
rows. Small courses (up to 2,000 chunks) are therefore searched exactly through the btree
on (course_id, module_no); large ones through HNSW — with iterative scans on pgvector >=
0.8, else with a candidate list widened when a module bound cuts the course — falling back
to an exact scan whenever the index still returns fewer rows than asked for. Either way
the whole search is one statement (plus SET LOCALs on the HNSW path). Figures:
benchmarks/README.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import numpy as np

from domain import lexical
from domain.relevance import coverage
from domain.retrieval import (
    EmbeddingModelMismatch,
    SearchHit,
    SearchResults,
    UnknownCourse,
    dense_weight,
)
from storage.course_import import sql_literal
from storage.lexical import ranked_by_terms

EXACT_SEARCH_MAX_CHUNKS = 2_000
NO_MODULE_BOUND = 2**31 - 1


@dataclass(frozen=True)
class CourseIndex:
    course_id: object
    model: str | None
    dimensions: int | None
    chunk_count: int
    last_module: int
    mean_length: float


class PgChunkStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        exact_max_chunks: int = EXACT_SEARCH_MAX_CHUNKS,
        candidates: int = 40,
        dense_weight: float | None = None,
    ) -> None:
        """`dense_weight` overrides the backend's measured weight (for benchmarks)."""
        self._pool = pool
        self._exact_max = exact_max_chunks
        self._candidates = candidates
        self._dense_weight = dense_weight
        self._iterative_scans: bool | None = None

    async def course_index(self, slug: str) -> CourseIndex:
        row = await self._pool.fetchrow(
            """
            SELECT c.id, c.embedding_model, c.embedding_dims, c.chunk_count,
                c.lexical_mean_length,
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
            row["lexical_mean_length"],
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
    ) -> SearchResults:
        index = await self.course_index(slug)
        if index.chunk_count == 0:
            return SearchResults()
        if index.model != model or index.dimensions != len(query_vector):
            raise EmbeddingModelMismatch(
                f"course {slug!r} was indexed with {index.model} ({index.dimensions} dimensions) "
                f"but the configured embedder is {model} ({len(query_vector)} dimensions); "
                "re-import the course with the configured embedder"
            )
        terms = lexical.query_terms(query)
        if not terms and not any(query_vector):
            return SearchResults()  # "??? !!!": no word to match and no meaning to compare
        args = (
            index.course_id,
            max_module if max_module is not None else NO_MODULE_BOUND,
            np.asarray(query_vector, dtype=np.float32),
            max(self._candidates, 4 * k),
            terms,
            float(index.chunk_count),
            float(index.mean_length or 1.0),
            self._dense_weight if self._dense_weight is not None else dense_weight(model),
            k,
        )
        if index.chunk_count <= self._exact_max:
            rows = await self._pool.fetch(_hybrid(index, exact=True), *args)
        else:
            rows = await self._hnsw_search(index, args, k)
        stats = (rows[0]["term_stats"] if rows else None) or {}  # jsonb arrives decoded
        frequencies = {term: df for term, (df, _) in stats.items()}
        return SearchResults(
            [
                _hit(rank, row, terms, frequencies, index.chunk_count)
                for rank, row in enumerate(rows, 1)
            ],
            term_counts={term: count for term, (_, count) in stats.items()},
            total_terms=index.chunk_count * index.mean_length,
        )

    async def _hnsw_search(self, index: CourseIndex, args: tuple, k: int) -> list[asyncpg.Record]:
        """The HNSW path: ef_search set for this transaction only, and an exact scan when
        the post-filtered index scan found fewer candidates than needed."""
        pool_size, max_module = args[3], args[1]
        async with self._pool.acquire() as conn, conn.transaction():
            if await self._supports_iterative_scans(conn):
                # pgvector >= 0.8 keeps scanning the graph until enough rows pass the filter.
                await conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                ef_search = max(pool_size * 4, 100)
            else:
                # A module bound removes a clustered share of the course after the scan,
                # so it needs a much wider candidate list (measured: benchmarks/retrieval.py).
                bounded = max_module < index.last_module
                ef_search = 1000 if bounded else max(pool_size * 4, 100)
            await conn.execute(f"SET LOCAL hnsw.ef_search = {min(ef_search, 1000)}")
            rows = await conn.fetch(_hybrid(index, exact=False), *args)
            if rows and rows[0]["vector_found"] < min(pool_size, k):
                rows = await conn.fetch(_hybrid(index, exact=True), *args)
        return rows

    async def _supports_iterative_scans(self, conn: asyncpg.Connection) -> bool:
        if self._iterative_scans is None:
            version = await conn.fetchval(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            )
            major, minor = (int(p) for p in str(version or "0.0").split(".")[:2])
            self._iterative_scans = (major, minor) >= (0, 8)
        return self._iterative_scans


def _hit(
    rank: int,
    row: asyncpg.Record,
    terms: list[str],
    frequencies: dict[str, int],
    documents: int,
) -> SearchHit:
    frequencies_here, length = row["matched"] or ({}, 0)  # jsonb arrives decoded
    matched = tuple(frequencies_here or {})
    return SearchHit(
        rank,
        row["score"],
        row["citation"],
        row["module_no"],
        row["topic_number"],
        row["source"],
        row["content"],
        chunk_id=row["id"],
        position=row["position"],
        lexical_rank=row["text_rank"],
        lexical_score=row["text_score"],
        dense_rank=row["vector_rank"],
        dense_score=row["similarity"],
        coverage=coverage(terms, frequencies, documents, matched),
        matched_terms=matched,
        term_frequencies=frequencies_here or {},
        length=length or 0,
        before=row["before"],
        after=row["after"],
    )


def _hybrid(index: CourseIndex, *, exact: bool) -> str:
    """The whole hybrid search in one statement. Parameters: course $1, module bound $2,
    query vector $3, candidates per half $4, query terms $5, the course's chunk count $6
    and mean chunk length $7 (BM25's statistics), dense weight $8, results $9.

    The dense candidates are the $4 nearest chunks: by an exact scan (materialised, which
    keeps the planner off the HNSW index) or through the HNSW index. Every candidate of
    either half gets its cosine similarity, so a chunk found only by its words still
    counts its meaning. Each result brings the chunks on either side of it in its source
    (within the bound), for the model's context. Ties break on the chunk id."""
    dims = int(index.dimensions or 0)
    model = sql_literal(index.model or "")
    distance = f"embedding::vector({dims}) <=> $3::vector({dims})"
    scope = f"course_id = $1 AND module_no <= $2 AND embedding_model = {model}"
    if exact:
        scanned = f"""
        everything AS MATERIALIZED (
            SELECT id, {distance} AS distance FROM course_chunks WHERE {scope}
        ),"""
        nearest = "SELECT id, distance FROM everything ORDER BY distance, id LIMIT $4"
    else:
        scanned = ""
        nearest = (
            f"SELECT id, {distance} AS distance FROM course_chunks WHERE {scope} "
            f"ORDER BY {distance} LIMIT $4"
        )
    return f"""
        WITH stats AS (SELECT $6::float8 AS documents, $7::float8 AS mean_length),{scanned}
        by_vector AS MATERIALIZED (
            SELECT id, 1 - distance AS similarity,
                row_number() OVER (ORDER BY distance, id) AS rank
            FROM ({nearest}) v
        ),
        by_text AS MATERIALIZED (
            SELECT id, score, row_number() OVER (ORDER BY score DESC, id) AS rank
            FROM ({ranked_by_terms(terms="$5::text[]", limit="$4")}) t
        ),
        candidates AS (
            SELECT ch.id, ch.citation, ch.module_no, ch.topic_number, ch.source, ch.position,
                ch.content, t.score AS text_score, t.rank AS text_rank, v.rank AS vector_rank,
                coalesce(v.similarity, 1 - ({distance.replace("embedding", "ch.embedding")}))
                    AS similarity
            FROM (SELECT id FROM by_vector UNION SELECT id FROM by_text) u
            JOIN course_chunks ch ON ch.id = u.id
            LEFT JOIN by_text t ON t.id = u.id
            LEFT JOIN by_vector v ON v.id = u.id
        ),
        fused AS (
            SELECT *, coalesce(text_score / nullif(max(text_score) OVER (), 0), 0)
                + $8::float8 * greatest(similarity, 0)
                    / coalesce(nullif(max(similarity) OVER (), 0), 1) AS score
            FROM candidates
        )
        SELECT f.id, f.score, f.citation, f.module_no, f.topic_number, f.source, f.position,
            f.content, f.text_score, f.text_rank::int, f.vector_rank::int, f.similarity,
            (SELECT jsonb_build_array(jsonb_object_agg(term, tf), max(length)) FROM chunk_terms
                WHERE course_id = $1 AND chunk_id = f.id AND term = ANY($5::text[])) AS matched,
            (SELECT jsonb_object_agg(term, jsonb_build_array(n, total)) FROM (
                SELECT term, count(*) AS n, sum(tf) AS total FROM chunk_terms
                WHERE course_id = $1 AND term = ANY($5::text[]) GROUP BY term) d) AS term_stats,
            (SELECT count(*) FROM by_vector) AS vector_found,
            (SELECT n.content FROM course_chunks n WHERE n.course_id = $1
                AND n.source = f.source AND n.position = f.position - 1 AND n.module_no <= $2)
                AS before,
            (SELECT n.content FROM course_chunks n WHERE n.course_id = $1
                AND n.source = f.source AND n.position = f.position + 1 AND n.module_no <= $2)
                AS after
        FROM fused f
        ORDER BY f.score DESC, f.id LIMIT $9
    """
