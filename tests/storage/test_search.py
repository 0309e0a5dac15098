"""Hybrid search: scoped to one course and a module bound, and never short of results."""

from __future__ import annotations

from collections import Counter

import asyncpg
import numpy as np
import pytest

from bot.ai.local_embeddings import LocalHashEmbedder
from domain import lexical
from domain.retrieval import EmbeddingModelMismatch, dense_weight
from storage.chunks import PgChunkStore
from storage.lexical import upgrade_stale
from tests.support.courses import DEMO_PACK, TINY_PACK, import_pack

EMBEDDER = LocalHashEmbedder()


async def search(pool: asyncpg.Pool, slug: str, query: str, **kwargs):
    [vector] = await EMBEDDER.embed([query])
    engine = PgChunkStore(pool, **kwargs.pop("engine", {}))
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
        await PgChunkStore(pool).search(
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


async def fused_by_definition(
    pool: asyncpg.Pool, slug: str, query: str, vector: list[float], max_module: int, k: int
) -> list[tuple[str, float]]:
    """The search's definition, step by step in Python: BM25 over the course's chunk texts
    (IDF over the whole course) for the 40 best by their words, cosine similarity for the
    40 nearest, each score divided by its best candidate's, the dense one weighted by the
    backend's measured weight, ties by chunk id."""
    rows = await pool.fetch(
        "SELECT ch.id, ch.citation, ch.module_no, ch.content, ch.embedding "
        "FROM course_chunks ch JOIN courses c ON c.id = ch.course_id WHERE c.slug = $1",
        slug,
    )
    counts = {r["id"]: lexical.term_counts(r["content"]) for r in rows}
    mean_length = sum(sum(c.values()) for c in counts.values()) / len(rows)
    df = Counter(term for c in counts.values() for term in c)
    wanted = lexical.query_terms(query)
    visible = [r for r in rows if r["module_no"] <= max_module]

    def bm25(chunk_id: int) -> float:
        c, length = counts[chunk_id], sum(counts[chunk_id].values())
        return sum(
            lexical.idf(df[t], len(rows)) * lexical.term_weight(c[t], length, mean_length)
            for t in wanted
            if c[t]
        )

    query_vector = np.asarray(vector)
    similarity = {
        r["id"]: float(np.asarray(r["embedding"].to_list()) @ query_vector) for r in visible
    }
    by_words = sorted((r["id"] for r in visible if bm25(r["id"]) > 0), key=lambda i: (-bm25(i), i))
    by_meaning = sorted(similarity, key=lambda i: (-similarity[i], i))
    candidates = set(by_words[:40]) | set(by_meaning[:40])
    best_words = max((bm25(i) for i in candidates), default=0) or 1
    best_meaning = max(similarity[i] for i in candidates)
    weight = dense_weight(EMBEDDER.model)
    fused = {
        i: bm25(i) / best_words + weight * max(similarity[i], 0) / best_meaning for i in candidates
    }
    citations = {r["id"]: r["citation"] for r in rows}
    return [(citations[i], fused[i]) for i in sorted(fused, key=lambda i: (-fused[i], i))[:k]]


@pytest.mark.parametrize(
    "query",
    [
        "how do I avoid overfitting with regularization and cross-validation?",
        "what is a loss function",
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
            engine = PgChunkStore(conn)  # type: ignore[arg-type]  # a connection fetches too
            hits = await engine.search(
                "ml-foundations", query, vector, model=EMBEDDER.model, k=8, max_module=2
            )
        finally:
            conn.remove_query_logger(count)

    expected = await fused_by_definition(pool, "ml-foundations", query, vector, max_module=2, k=8)
    assert [(h.citation, pytest.approx(h.score)) for h in hits] == expected
    assert [h.rank for h in hits] == list(range(1, 9))
    assert statements == 2, "the course's index entry, then the search itself"


async def test_a_question_without_words_finds_nothing(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)

    assert await search(pool, "ml-foundations", "??? !!! 🙂", k=5) == []


async def test_a_rare_term_outranks_a_common_one(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)

    hits = await search(pool, "ml-foundations", "What does MAE mean?", k=3)

    assert "mae" in hits[0].matched_terms
    assert "MAE" in hits[0].content


async def test_each_hit_counts_the_questions_terms_in_it(pool: asyncpg.Pool) -> None:
    """What the relevance gate weighs a passage by: the postings BM25 ranked it with."""
    await import_pack(pool, DEMO_PACK)

    [hit] = await search(pool, "ml-foundations", "What does MAE mean?", k=1)

    assert hit.term_frequencies["mae"] == Counter(lexical.terms(hit.content))["mae"] > 0
    assert hit.length == sum(Counter(lexical.terms(hit.content)).values())


async def test_a_hit_says_where_it_is_and_how_each_half_ranked_it(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)

    hits = await search(pool, "ml-foundations", "what is a loss function", k=5)

    ids = {r["id"]: r for r in await pool.fetch("SELECT id, source, position FROM course_chunks")}
    assert len({h.chunk_id for h in hits}) == 5
    for hit in hits:
        assert (ids[hit.chunk_id]["source"], ids[hit.chunk_id]["position"]) == (
            hit.source,
            hit.position,
        )
        assert hit.lexical_rank is not None or hit.dense_rank is not None
        assert hit.dense_score is not None and -1 <= hit.dense_score <= 1
    assert hits[0].lexical_rank is not None and hits[0].lexical_rank <= 3
    assert hits[0].coverage > 0.5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


async def test_a_course_from_before_the_lexical_index_is_upgraded_on_start(
    pool: asyncpg.Pool,
) -> None:
    await import_pack(pool, DEMO_PACK)
    await pool.execute("DELETE FROM chunk_terms")
    await pool.execute("UPDATE courses SET lexical_version = NULL")
    await pool.execute("UPDATE course_chunks SET module_no = NULL WHERE source LIKE 'reference/%'")

    assert await upgrade_stale(pool) == ["ml-foundations"]
    assert await upgrade_stale(pool) == [], "once is enough"

    loose = await pool.fetchval("SELECT count(*) FROM course_chunks WHERE module_no IS NULL")
    assert loose == 0
    hits = await search(pool, "ml-foundations", "What does MAE mean?", k=3)
    assert "mae" in hits[0].matched_terms
