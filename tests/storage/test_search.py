"""Hybrid search: scoped to one course and a module bound, and never short of results."""

from __future__ import annotations

import re

import asyncpg
import numpy as np
import pytest

from bot.ai.local_embeddings import LocalHashEmbedder
from domain.retrieval import EmbeddingModelMismatch
from storage.chunks import PgChunkSearch
from tests.support.courses import DEMO_PACK, TINY_PACK, import_pack

EMBEDDER = LocalHashEmbedder()


async def search(pool: asyncpg.Pool, slug: str, query: str, **kwargs):
    [vector] = await EMBEDDER.embed([query])
    engine = PgChunkSearch(pool, **kwargs.pop("engine", {}))
    return await engine.search(slug, query, vector, model=EMBEDDER.model, **kwargs)


async def test_results_stay_in_the_course_and_below_the_module_bound(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)
    await import_pack(pool, TINY_PACK)
    tiny_sources = {
        r[0]
        for r in await pool.fetch(
            "SELECT ch.id FROM course_chunks ch JOIN courses c ON c.id = ch.course_id "
            "WHERE c.slug = 'tiny'"
        )
    }

    for engine in ({}, {"exact_max_chunks": 0}):
        hits = await search(
            pool,
            "ml-foundations",
            "how do I avoid overfitting with regularization and cross-validation?",
            k=20,
            max_module=1,
            engine=engine,
        )
        assert len(hits) == 20
        assert all(h.module_no in (None, 1) for h in hits)
        assert not any(
            h.source.startswith("topic/2") or h.source.startswith("topic/3") for h in hits
        )
        ids = await pool.fetch(
            "SELECT id FROM course_chunks WHERE content = ANY($1::text[])",
            [h.content for h in hits],
        )
        assert not {r[0] for r in ids} & tiny_sources


async def test_k_results_for_a_small_course_among_many_chunks(pool: asyncpg.Pool) -> None:
    await fill_with_other_course(pool, chunks=3000)
    await import_pack(pool, TINY_PACK)  # builds the HNSW index over all rows
    tiny_chunks = await pool.fetchval("SELECT chunk_count FROM courses WHERE slug = 'tiny'")

    # Force the HNSW path: the tiny course is under 1% of the rows, so a post-filtered index
    # scan alone would return (almost) nothing.
    hits = await search(
        pool, "tiny", "how hot should the water be?", k=5, engine={"exact_max_chunks": 0}
    )

    assert tiny_chunks >= 5
    assert len(hits) == 5
    assert len({h.content for h in hits}) == 5


async def test_searching_with_another_model_is_a_clear_error(pool: asyncpg.Pool) -> None:
    await import_pack(pool, TINY_PACK)
    with pytest.raises(EmbeddingModelMismatch, match="re-import the course"):
        await PgChunkSearch(pool).search(
            "tiny", "tea", [0.1] * 1536, model="openai:text-embedding-3-small:1536"
        )


async def fill_with_other_course(pool: asyncpg.Pool, chunks: int) -> None:
    rng = np.random.default_rng(7)
    course_id = await pool.fetchval(
        "INSERT INTO courses (slug, name, embedding_model, embedding_dims, chunk_count) "
        "VALUES ('big', 'Big', $1, $2, $3) RETURNING id",
        EMBEDDER.model,
        EMBEDDER.dimensions,
        chunks,
    )
    await pool.execute(
        "INSERT INTO modules (course_id, module_no, title) VALUES ($1, 1, 'M')", course_id
    )
    vectors = rng.normal(size=(chunks, EMBEDDER.dimensions)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "course_chunks",
            columns=[
                "course_id",
                "module_no",
                "source",
                "position",
                "citation",
                "content",
                "content_hash",
                "embedding",
                "embedding_model",
            ],
            records=[
                (
                    course_id,
                    1,
                    "x",
                    i,
                    "c",
                    f"water tea hot chunk {i}",
                    str(i),
                    vectors[i],
                    EMBEDDER.model,
                )
                for i in range(chunks)
            ],
        )
    await pool.execute("ANALYZE course_chunks")


async def exact_reciprocal_rank_fusion(
    pool: asyncpg.Pool, slug: str, query: str, vector: list[float], max_module: int, k: int
) -> list[tuple[str, float]]:
    """The search's definition, step by step: the 40 nearest chunks by an exact scan and the
    40 best by full text, each ranked 1.., fused by 1 / (60 + rank), ties by chunk id."""
    course = await pool.fetchval("SELECT id FROM courses WHERE slug = $1", slug)
    scope = "course_id = $1 AND (module_no IS NULL OR module_no <= $2)"
    nearest = await pool.fetch(
        f"SELECT id FROM course_chunks WHERE {scope} "
        f"ORDER BY embedding::vector({len(vector)}) <=> $3::vector({len(vector)}), id LIMIT 40",
        course,
        max_module,
        np.asarray(vector, dtype=np.float32),
    )
    words = " | ".join(re.findall(r"[a-z0-9]+", query.lower()))  # any of its words
    best_text = await pool.fetch(
        f"SELECT id FROM course_chunks, to_tsquery('english', $3) q WHERE {scope} AND tsv @@ q "
        "ORDER BY ts_rank_cd(tsv, q, 32) DESC, id LIMIT 40",
        course,
        max_module,
        words or None,
    )
    scores: dict[int, float] = {}
    for ranked in (nearest, best_text):
        for rank, row in enumerate(ranked, 1):
            scores[row["id"]] = scores.get(row["id"], 0.0) + 1.0 / (60 + rank)
    best = sorted(scores, key=lambda i: (-scores[i], i))[:k]
    citations = dict(
        await pool.fetch("SELECT id, citation FROM course_chunks WHERE id = ANY($1)", best)
    )
    return [(citations[i], scores[i]) for i in best]


@pytest.mark.parametrize(
    "query",
    [
        "how do I avoid overfitting with regularization and cross-validation?",
        "what is a loss function",
        "??? !!!",  # no words: the vector ranking alone
    ],
)
async def test_a_small_course_is_searched_in_one_statement_by_the_same_definition(
    pool: asyncpg.Pool, query: str
) -> None:
    await import_pack(pool, DEMO_PACK)
    [vector] = await EMBEDDER.embed([query])
    statements = 0

    def count(_: object) -> None:
        nonlocal statements
        statements += 1

    async with pool.acquire() as conn:
        conn.add_query_logger(count)
        try:
            engine = PgChunkSearch(conn)  # type: ignore[arg-type]  # a connection fetches too
            hits = await engine.search(
                "ml-foundations", query, vector, model=EMBEDDER.model, k=8, max_module=2
            )
        finally:
            conn.remove_query_logger(count)

    expected = await exact_reciprocal_rank_fusion(
        pool, "ml-foundations", query, vector, max_module=2, k=8
    )
    assert [(h.citation, pytest.approx(h.score)) for h in hits] == expected
    assert [h.rank for h in hits] == list(range(1, 9))
    assert statements == 2, "the course's index entry, then the search itself"
