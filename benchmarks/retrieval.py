"""Retrieval latency and recall at 10k-100k chunks: pgvector HNSW vs exact, and hybrid search.

For each size N this loads N synthetic chunks into one course of a scratch database
(embedded PostgreSQL under a temp dir, or a scratch database created next to
``DATABASE_URL`` and dropped afterwards) and measures:

* HNSW build time, with the DDL of ``storage.course_import._ensure_vector_index`` (rows are
  loaded with COPY first, the index is built afterwards with ``maintenance_work_mem``
  raised);
* p50/p95 latency, from Python through asyncpg, of a top-10 vector query with the SQL
  shape ``PgChunkStore`` uses on its HNSW path (``SET LOCAL hnsw.ef_search`` in a
  transaction, filtered by course, module bound and embedding model), over a sweep of
  ``ef_search`` values including the one ``PgChunkStore`` picks;
* recall@10 of that query against the exact answer (the MATERIALIZED-CTE shape of
  ``PgChunkStore``'s exact path), whose latency is reported too;
* p50/p95 of the whole ``PgChunkStore.search`` (vector + full-text + fusion + row fetch)
  forced onto the HNSW path, and on its default path (exact up to 10k chunks).

Vectors are embedding-like rather than uniform noise: a few hundred cluster centres on the
unit sphere sharing a common direction (real embedding spaces are anisotropic), points are
centre + gaussian noise, L2-normalised; queries are fresh points from the same clusters.
Module numbers follow clusters (a module's chunks are about its topics). Texts are
synthetic Zipf-distributed words plus per-cluster topic words, so full-text search has
realistic selectivity. The data's similarity statistics are printed before the tables.

Run:  .venv/bin/python benchmarks/retrieval.py --quick          (2k and 10k chunks)
      .venv/bin/python benchmarks/retrieval.py                  (10k and 100k)
      .venv/bin/python benchmarks/retrieval.py --sizes 100000 --ef 40,100,200
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import asyncpg
import numpy as np
from pgvector.asyncpg import register_vector

from domain import lexical
from storage import embedded
from storage.chunks import EXACT_SEARCH_MAX_CHUNKS, PgChunkStore
from storage.course_import import _ensure_vector_index, hnsw_index_name, sql_literal
from storage.database import create_pool
from storage.lexical import ranked_by_terms, rebuild_postings
from storage.migrations import migrate

MODEL = "bench-embedder-384"
SLUG = "bench-retrieval"
TOP_K = 10
SEARCH_K = 5  # what the tutor asks PgChunkStore for
MAX_MODULE_NONE = 2**31 - 1  # PgChunkStore's stand-in for "no module bound"
T = TypeVar("T")


# -- synthetic corpus --------------------------------------------------------------------------


@dataclass
class Corpus:
    vectors: np.ndarray  # (n, dims) float32, unit length
    cluster: np.ndarray  # (n,) int
    module: np.ndarray  # (n,) int, 1-based
    texts: list[str]


@dataclass
class Queries:
    vectors: np.ndarray
    cluster: np.ndarray
    texts: list[str]


@dataclass
class World:
    """Cluster centres and vocabularies; draws chunks and queries from the same clusters."""

    rng: np.random.Generator
    dims: int
    clusters: int
    spread: float
    modules: int
    centres: np.ndarray = field(init=False)
    general: list[str] = field(init=False)
    general_p: np.ndarray = field(init=False)
    topical: list[list[str]] = field(init=False)

    def __post_init__(self) -> None:
        # A shared direction gives unrelated texts a small positive cosine, as real
        # embedding models do; each centre is that plus its own random direction.
        common = _unit(self.rng.standard_normal(self.dims))
        own = _unit(self.rng.standard_normal((self.clusters, self.dims)))
        self.centres = _unit(0.35 * common + own).astype(np.float32)
        words = _synthetic_words(self.rng, 3000 + self.clusters * 25)
        self.general = words[:3000]
        # Zipf like natural text, minus its head: the english configuration drops stop
        # words, so the commonest word left appears in roughly one chunk in six.
        weights = np.arange(1, 3001, dtype=np.float64) + 100
        self.general_p = weights**-1.0 / (weights**-1.0).sum()
        self.topical = [words[3000 + 25 * c : 3000 + 25 * (c + 1)] for c in range(self.clusters)]

    def points(self, cluster: np.ndarray) -> np.ndarray:
        noise = self.rng.standard_normal((len(cluster), self.dims)).astype(np.float32)
        return _unit(self.centres[cluster] + self.spread * noise).astype(np.float32)

    def module_of(self, cluster: np.ndarray) -> np.ndarray:
        return cluster % self.modules + 1

    def chunks(self, n: int) -> Corpus:
        cluster = self.rng.integers(0, self.clusters, n)
        lengths = self.rng.integers(50, 111, n)  # words per chunk
        texts = []
        for c, length in zip(cluster.tolist(), lengths.tolist(), strict=True):
            topical = (self.rng.random(length) < 0.25).tolist()
            general = self.rng.choice(3000, size=length, p=self.general_p).tolist()
            picks = self.rng.integers(0, 25, length).tolist()
            words = (
                self.topical[c][p] if t else self.general[g]
                for t, g, p in zip(topical, general, picks, strict=True)
            )
            texts.append(" ".join(words) + ".")
        return Corpus(self.points(cluster), cluster, self.module_of(cluster), texts)

    def queries(self, n: int) -> Queries:
        cluster = self.rng.integers(0, self.clusters, n)
        texts = []
        for c in cluster.tolist():
            topic = self.rng.choice(self.topical[c], size=3, replace=False)
            common = self.rng.choice(self.general, size=3, p=self.general_p)
            texts.append(
                f"how does the {topic[0]} {common[0]} relate to {topic[1]} "
                f"and why is {common[1]} {topic[2]} {common[2]}?"
            )
        return Queries(self.points(cluster), cluster, texts)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _synthetic_words(rng: np.random.Generator, count: int) -> list[str]:
    onsets = [*"bcdfgklmnprstvz", "br", "st", "tr", "pl", "gr", "sh", "ch", "th"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ea"]
    codas = ["", "", "n", "r", "l", "s", "m", "x"]
    found: dict[str, None] = {}
    while len(found) < count:
        syllables = int(rng.integers(2, 4))
        word = (
            "".join(
                onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))]
                for _ in range(syllables)
            )
            + codas[rng.integers(len(codas))]
        )
        found.setdefault(word, None)
    return list(found)


def similarity_profile(corpus: Corpus, queries: Queries, world: World) -> str:
    """Cosine statistics, so a reader can judge how embedding-like the data is."""
    sample = corpus.vectors[:20_000]
    own = np.einsum("ij,ij->i", sample, world.centres[corpus.cluster[:20_000]])
    q = queries.vectors[:100]
    sims = q @ sample.T
    top = np.sort(sims, axis=1)[:, ::-1]
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, len(sample), (2, 5000))
    random_pairs = np.einsum("ij,ij->i", sample[a], sample[b])
    same = corpus.cluster[:20_000]
    same_pairs = [
        float(sample[i] @ sample[j])
        for i, j in zip(a.tolist(), b.tolist(), strict=True)
        if same[i] == same[j] and i != j
    ]
    same_mean = np.mean(same_pairs) if same_pairs else float("nan")
    ranks = [r for r in (1, 10, 100) if r <= len(sample)]
    nearest = "/".join(f"{top[:, r - 1].mean():.2f}" for r in ranks)
    return (
        f"cosine: chunk-to-own-centre {own.mean():.2f}, same-cluster pair {same_mean:.2f}, "
        f"random pair {random_pairs.mean():.2f}; a query's nearest "
        f"{'/'.join(map(str, ranks))} (of {len(sample):,} chunks) {nearest}"
    )


# -- database ----------------------------------------------------------------------------------


def scratch_database() -> AbstractAsyncContextManager[str]:
    """Next to DATABASE_URL when set (created, then dropped), else a private embedded server."""
    return embedded.scratch_database(
        f"tutorbot_bench_{os.getpid()}", os.environ.get("DATABASE_URL")
    )


@asynccontextmanager
async def admin_connection(url: str) -> AsyncIterator[asyncpg.Connection]:
    """For loading and index builds: the app pool's 30 s command timeout is too short."""
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        await register_vector(conn)
        yield conn
    finally:
        await conn.close()


async def load(url: str, corpus: Corpus, n: int) -> tuple[object, float]:
    """Empty the chunk table, then COPY the first n chunks into one course."""
    async with admin_connection(url) as conn:
        await conn.execute(f"DROP INDEX IF EXISTS {hnsw_index_name(MODEL)}")
        await conn.execute("TRUNCATE course_chunks")
        await conn.execute("DELETE FROM courses")
        course_id = await conn.fetchval(
            "INSERT INTO courses (slug, name, embedding_model, embedding_dims, chunk_count) "
            "VALUES ($1, 'Retrieval benchmark', $2, $3, $4) RETURNING id",
            SLUG,
            MODEL,
            corpus.vectors.shape[1],
            n,
        )
        records = (
            (
                course_id,
                int(corpus.module[i]),
                f"module-{corpus.module[i]}/topic-{corpus.cluster[i]}.md",
                i,
                f"Module {corpus.module[i]}, topic {corpus.cluster[i]}, part {i}",
                corpus.texts[i],
                hashlib.sha1(corpus.texts[i].encode()).hexdigest(),
                corpus.vectors[i],
                MODEL,
            )
            for i in range(n)
        )
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "course_chunks",
            records=records,
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
        )
        async with conn.transaction():  # the BM25 postings, as an import writes them
            postings = await rebuild_postings(conn, course_id)
        await conn.execute("VACUUM ANALYZE course_chunks")
        await conn.execute("VACUUM ANALYZE chunk_terms")
        print(f"  {n:,} chunks: {postings:,} postings", flush=True)
        return course_id, time.perf_counter() - started


async def build_index(url: str, dims: int, maintenance_work_mem: str) -> tuple[float, list[str]]:
    notices: list[str] = []
    async with admin_connection(url) as conn:

        def listener(_conn: object, message: asyncpg.PostgresLogMessage) -> None:
            notices.append(str(message))

        conn.add_log_listener(listener)
        try:
            await conn.execute(f"SET maintenance_work_mem = {sql_literal(maintenance_work_mem)}")
            started = time.perf_counter()
            await _ensure_vector_index(conn, MODEL, dims)
            elapsed = time.perf_counter() - started
            await conn.execute("RESET maintenance_work_mem")
            await conn.execute("ANALYZE course_chunks")
        finally:
            conn.remove_log_listener(listener)
    return elapsed, notices


def _where(model: str) -> str:
    return (
        "course_id = $1 AND (module_no IS NULL OR module_no <= $2) "
        f"AND embedding_model = {sql_literal(model)}"
    )


def hnsw_sql(dims: int) -> str:
    # storage/chunks.py PgChunkStore._vector_candidates, exact=False
    return (
        f"SELECT id FROM course_chunks WHERE {_where(MODEL)} "
        f"ORDER BY embedding::vector({dims}) <=> $3::vector({dims}) LIMIT $4"
    )


def exact_sql(dims: int) -> str:
    # storage/chunks.py PgChunkStore._vector_candidates, exact=True
    return (
        f"WITH candidates AS MATERIALIZED (SELECT id, embedding FROM course_chunks "
        f"WHERE {_where(MODEL)}) SELECT id FROM candidates "
        f"ORDER BY embedding::vector({dims}) <=> $3::vector({dims}), id LIMIT $4"
    )


def pgchunksearch_ef(k: int = SEARCH_K, candidates: int = 40) -> int:
    """The ef_search PgChunkStore sets for a search of k results (mirrors storage/chunks.py)."""
    limit = max(candidates, 4 * k)
    return min(1000, max(limit * 4, 100))


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Timing:
    ms: list[float]

    @property
    def p50(self) -> float:
        return float(np.percentile(self.ms, 50))

    @property
    def p95(self) -> float:
        return float(np.percentile(self.ms, 95))


async def timed(calls: Sequence[Callable[[], Awaitable[T]]], warmup: int) -> tuple[Timing, list[T]]:
    """Run the first `warmup` calls untimed, then all of them one after another, timed."""
    for call in calls[:warmup]:
        await call()
    ms, results = [], []
    for call in calls:
        started = time.perf_counter()
        results.append(await call())
        ms.append((time.perf_counter() - started) * 1000)
    return Timing(ms), results


async def vector_ids(
    pool: asyncpg.Pool, sql: str, args: tuple[object, ...], ef_search: int | None
) -> list[int]:
    """One vector query the way PgChunkStore runs it: pool checkout, transaction, SET LOCAL."""
    async with pool.acquire() as conn, conn.transaction():
        if ef_search is not None:
            await conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
        rows = await conn.fetch(sql, *args)
    return [r["id"] for r in rows]


async def text_ids(engine: PgChunkStore, query: str, max_module: int) -> list[int]:
    """The BM25 leg of PgChunkStore.search on its own (same pool size of 40)."""
    index = await engine.course_index(SLUG)
    sql = (
        "WITH stats AS (SELECT $3::float8 AS documents, $4::float8 AS mean_length) "
        f"SELECT id FROM ({ranked_by_terms(terms='$5::text[]', limit='40')}) t"
    )
    rows = await engine._pool.fetch(
        sql,
        index.course_id,
        max_module,
        float(index.chunk_count),
        float(index.mean_length or 1.0),
        lexical.query_terms(query),
    )
    return [r["id"] for r in rows]


async def plan_uses_index(pool: asyncpg.Pool, sql: str, args: tuple[object, ...]) -> bool:
    async with pool.acquire() as conn:
        plan = await conn.fetch("EXPLAIN " + sql, *args)
    return hnsw_index_name(MODEL) in "\n".join(r[0] for r in plan)


def true_neighbours(
    corpus: Corpus, ids: np.ndarray, n: int, queries: Queries, max_module: int
) -> list[list[int]]:
    """Exact top-k by brute force in numpy (unit vectors: cosine distance = 1 - dot)."""
    allowed = np.flatnonzero(corpus.module[:n] <= max_module)
    sims = queries.vectors @ corpus.vectors[allowed].T
    found = []
    for row in sims:
        top = np.argpartition(-row, TOP_K)[:TOP_K] if len(row) > TOP_K else np.arange(len(row))
        found.append(ids[allowed[top]].tolist())
    return found


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    scores = [
        len(set(f[:TOP_K]) & set(t)) / len(t) for f, t in zip(found, truth, strict=False) if t
    ]
    return float(np.mean(scores)) if scores else float("nan")


@dataclass
class SweepRow:
    ef_search: int
    timing: Timing
    recall: float
    short: int  # queries the index answered with fewer than TOP_K rows
    fallback: int  # ... with fewer than SEARCH_K: PgChunkStore would redo them exactly


@dataclass
class ScenarioResult:
    label: str
    sweep: list[SweepRow]
    exact: Timing
    exact_recall: float  # SQL exact path vs numpy brute force: should be 1.000
    text: Timing
    hybrid_hnsw: Timing
    hybrid_default: Timing | None  # PgChunkStore's default path when that is the exact one
    index_used: bool


@dataclass
class SizeResult:
    size: int
    load_s: float
    build_s: float
    notices: list[str]
    index_mb: float
    scenarios: list[ScenarioResult]


async def run_scenario(
    pool: asyncpg.Pool,
    corpus: Corpus,
    ids: np.ndarray,
    size: int,
    course_id: object,
    queries: Queries,
    max_module: int,
    label: str,
    args: argparse.Namespace,
) -> ScenarioResult:
    dims = queries.vectors.shape[1]
    vecs = list(queries.vectors)
    truth = true_neighbours(corpus, ids, size, queries, max_module)

    # The exact path is slow at large sizes: time it on fewer queries there.
    exact_n = len(vecs) if size <= EXACT_SEARCH_MAX_CHUNKS else args.exact_queries
    exact, exact_found = await timed(
        [
            partial(vector_ids, pool, exact_sql(dims), (course_id, max_module, v, TOP_K), None)
            for v in vecs[:exact_n]
        ],
        min(args.warmup, 3),
    )
    index_used = await plan_uses_index(pool, hnsw_sql(dims), (course_id, max_module, vecs[0], 10))
    sweep = []
    for ef in args.ef:
        timing, found = await timed(
            [
                partial(vector_ids, pool, hnsw_sql(dims), (course_id, max_module, v, TOP_K), ef)
                for v in vecs
            ],
            args.warmup,
        )
        short = sum(1 for f in found if len(f) < TOP_K)
        fallback = sum(1 for f in found if len(f) < SEARCH_K)
        sweep.append(SweepRow(ef, timing, recall(found, truth), short, fallback))

    # The whole search; the full-text leg on its own shows where the time goes.
    hq = list(zip(queries.texts, vecs, strict=True))[: args.hybrid_queries]
    bound = None if max_module == MAX_MODULE_NONE else max_module
    hnsw_engine = PgChunkStore(pool, exact_max_chunks=0)
    default_engine = PgChunkStore(pool)
    text, _ = await timed(
        [partial(text_ids, hnsw_engine, t, max_module) for t, _ in hq], min(args.warmup, 5)
    )

    def searches(engine: PgChunkStore) -> list[Callable[[], Awaitable[object]]]:
        return [
            partial(engine.search, SLUG, t, v, model=MODEL, k=SEARCH_K, max_module=bound)
            for t, v in hq
        ]

    hybrid_hnsw, _ = await timed(searches(hnsw_engine), min(args.warmup, 5))
    hybrid_default = None
    if size <= EXACT_SEARCH_MAX_CHUNKS:
        hybrid_default, _ = await timed(searches(default_engine), min(args.warmup, 5))
    return ScenarioResult(
        label,
        sweep,
        exact,
        recall(exact_found, truth),
        text,
        hybrid_hnsw,
        hybrid_default,
        index_used,
    )


async def check_same_as_pgchunksearch(
    pool: asyncpg.Pool, course_id: object, queries: Queries, n: int
) -> int:
    """Our copy of the HNSW SQL must find what PgChunkStore's search finds by vector."""
    dims = queries.vectors.shape[1]
    engine = PgChunkStore(pool, exact_max_chunks=0)
    ef, limit = pgchunksearch_ef(), max(40, 4 * SEARCH_K)
    mismatches = 0
    for v in list(queries.vectors)[:n]:
        # No words: the fused ranking is the vector ranking, so its top k must be ours.
        hits = await engine.search(SLUG, "", v, model=MODEL, k=SEARCH_K)
        theirs = [h.chunk_id for h in hits]
        ours = await vector_ids(pool, hnsw_sql(dims), (course_id, MAX_MODULE_NONE, v, limit), ef)
        mismatches += theirs != ours[:SEARCH_K]
    return mismatches


async def run_size(
    pool: asyncpg.Pool,
    url: str,
    corpus: Corpus,
    queries: Queries,
    size: int,
    args: argparse.Namespace,
) -> SizeResult:
    course_id, load_s = await load(url, corpus, size)
    print(f"  {size:,}: loaded in {load_s:.1f}s (COPY + VACUUM ANALYZE)", flush=True)
    build_s, notices = await build_index(url, queries.vectors.shape[1], args.maintenance_work_mem)
    index_bytes = await pool.fetchval(
        "SELECT pg_relation_size($1::regclass)", hnsw_index_name(MODEL)
    )
    index_mb = index_bytes / 2**20
    print(f"  {size:,}: HNSW index built in {build_s:.1f}s ({index_mb:.0f} MB)", flush=True)
    for notice in notices:
        print(f"    notice: {notice}")
    LEXICAL_LINES.extend(await compare_lexical(pool, corpus, queries, size, args))
    mismatches = await check_same_as_pgchunksearch(pool, course_id, queries, 20)
    if mismatches:
        print(f"    WARNING: {mismatches}/20 queries differ from PgChunkStore's own HNSW query")
    rows = await pool.fetch("SELECT id, position FROM course_chunks")
    ids = np.zeros(size, dtype=np.int64)
    for r in rows:
        ids[r["position"]] = r["id"]
    bounds = [(MAX_MODULE_NONE, "no module bound")]
    if args.bounded_module:
        bounds.append(
            (args.bounded_module, f"module_no <= {args.bounded_module} of {args.modules}")
        )
    scenarios = []
    for max_module, label in bounds:
        scenarios.append(
            await run_scenario(pool, corpus, ids, size, course_id, queries, max_module, label, args)
        )
        print(f"  {size:,}: measured, {label}", flush=True)
    return SizeResult(size, load_s, build_s, notices, index_mb, scenarios)


# -- the lexical half: BM25 in PostgreSQL vs bm25s in each replica ---------------------------

LEXICAL_LINES: list[str] = []


async def compare_lexical(
    pool: asyncpg.Pool, corpus: Corpus, queries: Queries, size: int, args: argparse.Namespace
) -> list[str]:
    """BM25 top-40 p50/p95 for the same queries: our SQL over chunk_terms (what every
    replica shares) against a bm25s index in this process (what each replica would build
    and hold), with and without a module bound; bm25s' build time and memory too."""
    import tracemalloc

    import bm25s
    import Stemmer

    engine = PgChunkStore(pool)
    texts = queries.texts
    lines = []
    stemmer = Stemmer.Stemmer("english")
    tracemalloc.start()
    started = time.perf_counter()
    tokens = bm25s.tokenize(
        corpus.texts[:size], stopwords="en", stemmer=stemmer, show_progress=False
    )
    index = bm25s.BM25()
    index.index(tokens, show_progress=False)
    build_s = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    held = sum(a.nbytes for a in index.scores.values() if hasattr(a, "nbytes"))
    modules = corpus.module[:size]
    postings = await pool.fetchval("SELECT count(*) FROM chunk_terms")
    table_mb = await pool.fetchval("SELECT pg_total_relation_size('chunk_terms')") / 2**20
    for max_module, label in ((MAX_MODULE_NONE, "no bound"), (args.bounded_module, "bounded")):
        if max_module is None:
            continue
        sql_ms = []
        for text in texts:
            t0 = time.perf_counter()
            await text_ids(engine, text, max_module)
            sql_ms.append((time.perf_counter() - t0) * 1000)
        mask = (modules <= max_module).astype(np.float32)
        mem_ms = []
        for text in texts:
            t0 = time.perf_counter()
            q = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
            index.retrieve(q, k=40, weight_mask=mask, show_progress=False, n_threads=1)
            mem_ms.append((time.perf_counter() - t0) * 1000)
        sql = np.percentile(sql_ms, [50, 95])
        mem = np.percentile(mem_ms, [50, 95])
        lines.append(
            f"{size:>9,}  {label:<9} {sql[0]:>8.1f} {sql[1]:>8.1f}   {mem[0]:>8.2f} {mem[1]:>8.2f}"
            f"   {postings:>11,} {table_mb:>8.0f}   {build_s:>7.1f} {held / 2**20:>7.0f} "
            f"{peak / 2**20:>8.0f}"
        )
    return lines


# -- report ------------------------------------------------------------------------------------


def print_report(results: list[SizeResult], args: argparse.Namespace) -> None:
    default_ef = pgchunksearch_ef()
    for i, label in enumerate(s.label for s in results[0].scenarios):
        print()
        print(
            f"HNSW path, {label}: vector top-{TOP_K} over {args.queries} queries; "
            f"hybrid over {args.hybrid_queries}"
        )
        header = (
            f"{'size':>8}  {'build s':>7}  {'ef_search':>9}  {'p50 ms':>6}  {'p95 ms':>6}  "
            f"{'recall@10':>9}  {'short':>5}  {'fallback':>8}  "
            f"{'hybrid p50':>10}  {'hybrid p95':>10}"
        )
        print(header)
        print("-" * len(header))
        for r in results:
            s = r.scenarios[i]
            for j, row in enumerate(s.sweep):
                ours = row.ef_search == default_ef
                hybrid = (
                    f"{s.hybrid_hnsw.p50:>10.1f}  {s.hybrid_hnsw.p95:>10.1f}"
                    if ours
                    else f"{'':>10}  {'':>10}"
                )
                print(
                    (f"{r.size:>8,}  {r.build_s:>7.1f}" if j == 0 else " " * 17)
                    + f"  {row.ef_search:>8}{'*' if ours else ' '}  {row.timing.p50:>6.1f}  "
                    f"{row.timing.p95:>6.1f}  {row.recall:>9.3f}  {row.short:>5}  "
                    f"{row.fallback:>8}  {hybrid}"
                )
            if not s.index_used:
                print(" " * 10 + "WARNING: EXPLAIN does not show the HNSW index in use")
        print()
        print(f"Exact path and the full-text leg, {label}")
        header = (
            f"{'size':>8}  {'queries':>7}  {'exact p50':>9}  {'exact p95':>9}  "
            f"{'text p50':>8}  {'text p95':>8}  {'default path':>12}  "
            f"{'hybrid p50':>10}  {'hybrid p95':>10}"
        )
        print(header)
        print("-" * len(header))
        for r in results:
            s = r.scenarios[i]
            default = s.hybrid_default or s.hybrid_hnsw
            path = "exact" if s.hybrid_default else "hnsw"
            print(
                f"{r.size:>8,}  {len(s.exact.ms):>7}  {s.exact.p50:>9.1f}  {s.exact.p95:>9.1f}  "
                f"{s.text.p50:>8.1f}  {s.text.p95:>8.1f}  {path:>12}  "
                f"{default.p50:>10.1f}  {default.p95:>10.1f}"
            )
            if s.exact_recall < 0.999:
                print(f"{'':>10}note: SQL exact vs numpy brute force overlap {s.exact_recall:.3f}")
    print()
    legend = [
        f"* = PgChunkStore's choice (k={SEARCH_K}: 40 candidates -> ef_search {default_ef})",
        f"short = queries the index answered with < {TOP_K} rows; fallback = with < "
        f"{SEARCH_K} (= k) rows, which PgChunkStore re-runs on the exact path",
        "hybrid = PgChunkStore.search (vector + full-text + fusion + row fetch); "
        "text = its full-text leg alone",
        "exact = the MATERIALIZED-CTE vector query; default path = PgChunkStore's own "
        f"choice (exact up to {EXACT_SEARCH_MAX_CHUNKS:,} chunks)",
        "latencies in ms from Python, one query at a time, warm cache",
    ]
    print("\n".join(legend))
    print()
    for r in results:
        print(
            f"{r.size:,}: load {r.load_s:.1f}s, HNSW build {r.build_s:.1f}s "
            f"(maintenance_work_mem {args.maintenance_work_mem}), index {r.index_mb:.0f} MB"
            + (f", {len(r.notices)} build notice(s)" if r.notices else "")
        )
    print()
    largest = results[-1]
    s = largest.scenarios[0]
    meeting = [
        row.ef_search
        for row in s.sweep
        if row.timing.p95 <= args.target_p95 and row.recall >= args.target_recall
    ]
    ours = next(row for row in s.sweep if row.ef_search == default_ef)
    verdict = "meets" if ours.ef_search in meeting else "misses"
    print(
        f"Target at {largest.size:,} ({s.label}): vector p95 <= {args.target_p95:g} ms "
        f"with recall@10 >= {args.target_recall:g}. PgChunkStore's ef_search {default_ef} "
        f"{verdict} it (p95 {ours.timing.p95:.1f} ms, recall {ours.recall:.3f}); "
        f"ef_search values that meet it: {', '.join(map(str, meeting)) or 'none'}."
    )


async def server_settings(pool: asyncpg.Pool) -> str:
    names = ["shared_buffers", "work_mem", "max_parallel_maintenance_workers"]
    values = await pool.fetch("SELECT n, current_setting(n) AS v FROM unnest($1::text[]) n", names)
    version = await pool.fetchval("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    server = await pool.fetchval("SHOW server_version")
    parts = ", ".join(f"{r['n']}={r['v']}" for r in values)
    return f"PostgreSQL {server}, pgvector {version}; {parts}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2k and 10k chunks, fewer queries")
    parser.add_argument("--sizes", help="comma-separated chunk counts (default 10000,100000)")
    parser.add_argument("--queries", type=int, help="vector queries per setting (default 200)")
    parser.add_argument(
        "--hybrid-queries", type=int, help="PgChunkStore.search calls per size (default 100)"
    )
    parser.add_argument(
        "--exact-queries",
        type=int,
        default=20,
        help=f"exact-path queries timed above {EXACT_SEARCH_MAX_CHUNKS:,} chunks (slow there)",
    )
    parser.add_argument("--warmup", type=int, default=20, help="untimed queries before each run")
    parser.add_argument("--ef", help="ef_search values to sweep (default 40,100,200,400,1000)")
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--clusters", type=int, default=300)
    parser.add_argument(
        "--spread",
        type=float,
        default=0.04,
        help="per-dimension gaussian noise around a centre (0.04 at 384 dims: cos ~0.79)",
    )
    parser.add_argument("--modules", type=int, default=10)
    parser.add_argument(
        "--bounded-module",
        type=int,
        help="also measure with module_no <= this (default modules/2; 0 skips)",
    )
    parser.add_argument("--maintenance-work-mem", default="512MB")
    parser.add_argument("--target-p95", type=float, default=15.0)
    parser.add_argument("--target-recall", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    args.sizes = sorted(
        int(s) for s in (args.sizes or ("2000,10000" if args.quick else "10000,100000")).split(",")
    )
    args.queries = args.queries or (100 if args.quick else 200)
    args.hybrid_queries = min(args.hybrid_queries or (50 if args.quick else 100), args.queries)
    args.ef = sorted(
        {int(e) for e in (args.ef or "40,100,200,400,1000").split(",")} | {pgchunksearch_ef()}
    )
    if args.bounded_module is None:
        args.bounded_module = args.modules // 2
    return args


async def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    print(
        f"Generating {max(args.sizes):,} chunks: {args.dims} dims, {args.clusters} clusters, "
        f"spread {args.spread}, {args.modules} modules ...",
        flush=True,
    )
    world = World(
        np.random.default_rng(args.seed), args.dims, args.clusters, args.spread, args.modules
    )
    corpus = world.chunks(max(args.sizes))
    queries = world.queries(args.queries)
    profile = similarity_profile(corpus, queries, world)
    print(profile, flush=True)
    async with scratch_database() as url:
        await migrate(url)
        pool = await create_pool(url, max_size=4)
        try:
            settings = await server_settings(pool)
            print(settings, flush=True)
            results = [
                await run_size(pool, url, corpus, queries, size, args) for size in args.sizes
            ]
        finally:
            await pool.close()
    print_report(results, args)
    print()
    print("The lexical half: BM25 top-40 in PostgreSQL (chunk_terms, shared) vs bm25s in-process")
    print(
        f"{'chunks':>9}  {'bound':<9} {'sql p50':>8} {'sql p95':>8}   {'bm25s50':>8} "
        f"{'bm25s95':>8}   {'postings':>11} {'table MB':>8}   {'build s':>7} {'held MB':>7} "
        f"{'peak MB':>8}"
    )
    print("\n".join(LEXICAL_LINES))
    print("(ms per query; bm25s: build = tokenize + index in this process, held = its score")
    print(" arrays, peak = Python allocations while building; every replica would pay these)")
    print()
    print(f"Data: {profile}")
    print(f"Server: {settings}; {os.cpu_count()} CPUs, took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    asyncio.run(main())
