"""Retrieval quality against plain BM25 on the same chunks, and the relevance gate's errors.

Each public retrieval set in ../shared/datasets (squad-stem-wiki: 57 long science
articles, clapnq-wiki: 597 passages; see their READMEs) is turned into a course pack (one
topic per article or passage, modules of at most 100 topics), imported through our
importer into a scratch database, and asked its questions over the whole course. For
every split the script prints, side by side from one run:

* ``ours``: ``PgChunkStore.search`` as the tutor calls it (per embedding backend);
* ``lexical``: our BM25 half alone (dense weight 0); ``dense``: our vector half alone;
* ``previous``: the search as it was before BM25 (``ts_rank_cd`` over an OR of the
  question's words, fused with the vector half by equal-weight reciprocal rank; the
  tsvector, no longer stored, is computed on the fly);
* ``bm25s``: bm25s (Snowball stemmer, English stop words, its defaults) over exactly the
  chunk texts stored in ``course_chunks``.

A hit is a chunk containing a gold string (whitespace collapsed), as the datasets'
READMEs define; recall@5, recall@10 and MRR@10. ``clapnq+distractors`` adds squad's 2,090
paragraphs to clapnq's corpus (the README's "harder test"). The demo course is scored by
its own 48 learner questions (tests/data/retrieval_questions.yaml): the right topic among
the top k. Then the chunks' statistics and the relevance gate (domain.relevance): the
share of in-scope questions it refuses, and of tests/data/off_topic.txt it refuses on the
demo course; and, with the demo course's Module 1 open, which of its questions are said to
be taught in a later module (domain.relevance.taught_later).

Run:  .venv/bin/python benchmarks/retrieval_quality.py                  (hashing, ~3 min)
      .venv/bin/python benchmarks/retrieval_quality.py --backends local,minilm
      .venv/bin/python benchmarks/retrieval_quality.py --splits tune --weights 0,0.1,0.3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import asyncpg
import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.ai.word_frequency import everyday  # noqa: E402
from domain.course_import import CourseImporter  # noqa: E402
from domain.course_pack import CoursePack, parse_pack  # noqa: E402
from domain.relevance import judge, taught_later  # noqa: E402
from domain.retrieval import SearchHit  # noqa: E402
from storage.chunks import PgChunkStore  # noqa: E402
from storage.course_import import PgCourseImportStore  # noqa: E402
from storage.database import create_pool  # noqa: E402
from storage.embedded import scratch_database  # noqa: E402
from storage.migrations import migrate  # noqa: E402

DATASETS = REPO.parent / "shared" / "datasets"
DEMO = REPO / "courses" / "ml-foundations"
DEMO_QUESTIONS = REPO / "tests" / "data" / "retrieval_questions.yaml"
OFF_TOPIC = REPO / "tests" / "data" / "off_topic.txt"
TOPICS_PER_MODULE = 100
BACKGROUND = everyday("en")


@dataclass
class Question:
    text: str
    gold: list[str]  # verbatim strings; empty for the demo course
    topic: tuple[int, int] | None = None  # the demo course's right topic

    @cached_property
    def golds_normed(self) -> list[str]:
        return [norm(g) for g in self.gold]


@dataclass
class Course:
    name: str
    slug: str
    questions: dict[str, list[Question]]  # by split


def norm(text: str) -> str:
    return " ".join(text.split())


def dataset_pack(name: str, docs: list[dict]) -> dict[str, str]:
    """A course pack's files: one topic per document, 100 topics a module."""
    files = {"course.yaml": f"slug: {name}\nname: {name}\n"}
    for start in range(0, len(docs), TOPICS_PER_MODULE):
        module = start // TOPICS_PER_MODULE + 1
        folder = f"modules/{module:02d}-part-{module}"
        files[f"{folder}/module.yaml"] = f"title: Part {module}\n"
        for number, doc in enumerate(docs[start : start + TOPICS_PER_MODULE], 1):
            title = json.dumps(doc["title"][:120] or doc["id"])
            files[f"{folder}/{number:03d}-doc.md"] = f"---\ntitle: {title}\n---\n{doc['text']}\n"
    return files


def load_dataset(name: str, extra_docs: str | None = None) -> tuple[CoursePack, dict]:
    folder = DATASETS / name.split("+")[0]
    docs = [json.loads(line) for line in (folder / "corpus.jsonl").open()]
    if extra_docs:
        docs += [json.loads(line) for line in (DATASETS / extra_docs).open()]
    questions: dict[str, list[Question]] = {}
    for line in (folder / "questions.jsonl").open():
        q = json.loads(line)
        questions.setdefault(q["split"], []).append(Question(q["question"], q["gold"]))
    return parse_pack(dataset_pack(re.sub(r"[^a-z0-9-]", "-", name), docs)), questions


def demo_questions() -> list[Question]:
    return [
        Question(q["question"], [], (q["module"], q["topic"]))
        for q in yaml.safe_load(DEMO_QUESTIONS.read_text())
    ]


def demo_pack() -> CoursePack:
    from bot.pack_files import load_pack

    return load_pack(DEMO)


def build_embedder(backend: str):
    if backend == "local":
        from bot.ai.local_embeddings import LocalHashEmbedder

        return LocalHashEmbedder()
    from bot.ai.minilm_embeddings import MiniLMEmbedder

    return MiniLMEmbedder()


# -- ranking methods ---------------------------------------------------------------------------


class Bm25sBaseline:
    """bm25s over the stored chunk texts of one course."""

    def __init__(self, ids: list[int], texts: list[str]) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self._ids = ids
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)
        self._index = bm25s.BM25()
        self._index.index(tokens, show_progress=False)

    def rank(self, questions: Sequence[str], k: int) -> list[list[int]]:
        tokens = self._bm25s.tokenize(
            list(questions), stopwords="en", stemmer=self._stemmer, show_progress=False
        )
        found, scores = self._index.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [
            [self._ids[i] for i, s in zip(row, srow, strict=True) if s > 0]
            for row, srow in zip(found, scores, strict=True)
        ]


PREVIOUS_SQL = """
WITH by_vector AS (
    SELECT id, row_number() OVER (ORDER BY d, id) AS rank FROM (
        SELECT id, embedding::vector({dims}) <=> $2::vector({dims}) AS d FROM course_chunks
        WHERE course_id = $1 ORDER BY d, id LIMIT 40) v
),
by_text AS (
    SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank FROM (
        SELECT id, ts_rank_cd(tsv, q, 32) AS score
        FROM (SELECT id, to_tsvector('english', content) AS tsv FROM course_chunks
              WHERE course_id = $1) c, to_tsquery('english', $3) AS q
        WHERE tsv @@ q ORDER BY score DESC, id LIMIT 40) t
)
SELECT id FROM (SELECT * FROM by_vector UNION ALL SELECT * FROM by_text) r
GROUP BY id ORDER BY sum(1.0 / (60 + rank)) DESC, id LIMIT $4
"""


async def previous_search(pool, course_id, dims, question: str, vector, k: int) -> list[int]:
    words = re.findall(r"[A-Za-z0-9]+", question.lower())[:64]
    rows = await pool.fetch(
        PREVIOUS_SQL.format(dims=dims),
        course_id,
        np.asarray(vector, dtype=np.float32),
        " | ".join(words) if words else None,
        k,
    )
    return [r["id"] for r in rows]


# -- scoring -----------------------------------------------------------------------------------


def first_hit(ranked: Sequence[int], question: Question, chunks: dict[int, tuple]) -> int | None:
    for rank, chunk_id in enumerate(ranked[:10], 1):
        text, module, topic = chunks[chunk_id]
        if question.topic is not None:
            if (module, topic) == question.topic:
                return rank
        elif any(g in text for g in question.golds_normed):
            return rank
    return None


def scores(ranks: list[int | None]) -> tuple[float, float, float]:
    n = len(ranks) or 1
    r5 = sum(1 for r in ranks if r is not None and r <= 5) / n
    r10 = sum(1 for r in ranks if r is not None and r <= 10) / n
    mrr = sum(1 / r for r in ranks if r is not None) / n
    return r5, r10, mrr


# -- the run -----------------------------------------------------------------------------------


async def import_course(pool: asyncpg.Pool, pack: CoursePack, embedder) -> str:
    started = time.perf_counter()
    summary = await CourseImporter(PgCourseImportStore(pool), embedder).run(pack)
    seconds = time.perf_counter() - started
    print(f"  imported {summary.slug}: {summary.chunks} chunks in {seconds:.1f} s", flush=True)
    return summary.slug


async def evaluate(
    pool: asyncpg.Pool,
    slug: str,
    questions: dict[str, list[Question]],
    embedder,
    backend: str,
    args: argparse.Namespace,
    table: list[tuple],
    gate: dict[str, list[bool]],
) -> None:
    course = await pool.fetchrow("SELECT id, embedding_dims FROM courses WHERE slug = $1", slug)
    rows = await pool.fetch(
        "SELECT id, content, module_no, topic_number FROM course_chunks WHERE course_id = $1",
        course["id"],
    )
    chunks = {r["id"]: (norm(r["content"]), r["module_no"], r["topic_number"]) for r in rows}
    baseline = Bm25sBaseline([r["id"] for r in rows], [r["content"] for r in rows])
    weights = [float(w) for w in args.weights.split(",")] if args.weights else []
    for split in args.splits.split(","):
        qs = questions.get(split)
        if not qs:
            continue
        texts = [q.text for q in qs]
        vectors = await embedder.embed(texts)
        methods: dict[str, list[list[int]]] = {
            "ours": [],
            "lexical": [],
            "dense": [],
            "previous": [],
        }
        methods |= {f"ours w={w:g}": [] for w in weights}
        engines = {
            "ours": PgChunkStore(pool),
            "lexical": PgChunkStore(pool, dense_weight=0.0),
            "dense": PgChunkStore(pool, dense_weight=1e6),
        } | {f"ours w={w:g}": PgChunkStore(pool, dense_weight=w) for w in weights}
        for text, vector in zip(texts, vectors, strict=True):
            for name, engine in engines.items():
                hits: list[SearchHit] = await engine.search(
                    slug, text, vector, model=embedder.model, k=10
                )
                methods[name].append([h.chunk_id for h in hits])
                if name == "ours":
                    verdict = judge(text, hits, BACKGROUND)
                    gate.setdefault(f"{slug}/{split}", []).append(verdict.on_topic)
            methods["previous"].append(
                await previous_search(
                    pool, course["id"], course["embedding_dims"], text, vector, 10
                )
            )
        methods["bm25s"] = baseline.rank(texts, 10)
        for name, ranked in methods.items():
            ranks = [first_hit(r, q, chunks) for r, q in zip(ranked, qs, strict=True)]
            label = name if name in ("bm25s", "previous") else f"{name} ({backend})"
            table.append((slug, split, len(qs), label, *scores(ranks)))


async def gate_off_topic(pool, slug: str, embedder) -> list[bool]:
    inputs = [
        line for line in OFF_TOPIC.read_text().splitlines() if line and not line.startswith("#")
    ]
    engine = PgChunkStore(pool)
    refused = []
    for text in inputs:
        [vector] = await embedder.embed([text])
        hits = await engine.search(slug, text, vector, model=embedder.model, k=3)
        refused.append(not judge(text, hits, BACKGROUND).on_topic)
    return refused


async def taught_later_check(pool, slug: str, questions: list[Question], embedder) -> str:
    """The demo course with Module 1 open: which questions are said to be taught later."""
    engine = PgChunkStore(pool)
    wrongly = named = right = wider = 0
    for q in questions:
        [vector] = await embedder.embed([q.text])
        hits = await engine.search(slug, q.text, vector, model=embedder.model, k=3, max_module=1)
        later = None
        bounded = judge(q.text, hits, BACKGROUND)
        if bounded.may_be_taught_later:
            wider += 1
            whole = await engine.search(slug, q.text, vector, model=embedder.model, k=3)
            verdict = judge(q.text, whole, BACKGROUND)
            later = taught_later(whole, verdict, 1, bounded.passage_share)
        if q.topic[0] == 1:
            wrongly += later is not None
        else:
            named += later is not None
            right += later is not None and later[0] == q.topic[0]
    first = sum(1 for q in questions if q.topic[0] == 1)
    return (
        f"  taught later, demo course with Module 1 open: Module 1's questions sent to a "
        f"later module {wrongly}/{first}; later modules' questions told where they are taught "
        f"{named}/{len(questions) - first} (the right module {right}); second search for "
        f"{wider}/{len(questions)}"
    )


async def chunk_stats(pool: asyncpg.Pool, slug: str, questions: dict[str, list[Question]]) -> str:
    rows = await pool.fetch(
        "SELECT ch.content FROM course_chunks ch JOIN courses c ON c.id = ch.course_id "
        "WHERE c.slug = $1",
        slug,
    )
    texts = [norm(r["content"]) for r in rows]
    golds = [norm(g) for qs in questions.values() for q in qs for g in q.gold]
    fit = sum(1 for g in golds if any(g in t for t in texts)) / len(golds) if golds else 1.0
    lengths = [len(r["content"]) for r in rows]
    return (
        f"{slug}: {len(rows)} chunks, median {statistics.median(lengths):.0f} chars, "
        f"max {max(lengths)}; gold strings inside one chunk: {fit:.3f} of {len(golds)}"
    )


async def main(args: argparse.Namespace) -> None:
    sets: list[tuple[str, CoursePack, dict]] = []
    for name in args.sets.split(","):
        if name == "demo":
            sets.append(("demo", demo_pack(), {"all": demo_questions()}))
            continue
        extra = "squad-stem-wiki/passages.jsonl" if name.endswith("+distractors") else None
        if not (DATASETS / name.split("+")[0]).is_dir():
            print(f"skipping {name}: {DATASETS / name.split('+')[0]} not found")
            continue
        pack, questions = load_dataset(name, extra)
        sets.append((name, pack, questions))
    table: list[tuple] = []
    gate: dict[str, list[bool]] = {}
    off_topic: dict[str, list[bool]] = {}
    later: list[str] = []
    stats: list[str] = []
    args.splits = args.splits + ",all"
    for backend in args.backends.split(","):
        embedder = build_embedder(backend)
        async with scratch_database(
            f"tutorbot_quality_{os.getpid()}_{backend}", os.environ.get("DATABASE_URL")
        ) as url:
            await migrate(url)
            pool = await create_pool(url, max_size=4)
            try:
                for name, pack, questions in sets:
                    print(f"{name} with {backend}:", flush=True)
                    slug = await import_course(pool, pack, embedder)
                    if backend == args.backends.split(",")[0]:
                        stats.append(await chunk_stats(pool, slug, questions))
                    await evaluate(pool, slug, questions, embedder, backend, args, table, gate)
                    if name == "demo":
                        off_topic[backend] = await gate_off_topic(pool, slug, embedder)
                        later.append(
                            await taught_later_check(pool, slug, questions["all"], embedder)
                        )
            finally:
                await pool.close()
    print_report(table, stats, gate, off_topic, later)


def print_report(table, stats, gate, off_topic, later) -> None:
    print()
    print(f"{'set':<24} {'split':<6} {'n':>5}  {'method':<28} {'R@5':>6} {'R@10':>6} {'MRR@10':>7}")
    print("-" * 88)
    last = None
    for slug, split, n, method, r5, r10, mrr in table:
        key = (slug, split)
        if last is not None and key != last:
            print()
        last = key
        print(f"{slug:<24} {split:<6} {n:>5}  {method:<28} {r5:>6.3f} {r10:>6.3f} {mrr:>7.3f}")
    print()
    print("chunks:")
    for line in stats:
        print("  " + line)
    print()
    print("relevance gate (domain.relevance.judge on ours):")
    for key, answered in gate.items():
        refused = answered.count(False)
        print(
            f"  in scope, {key}: refused {refused}/{len(answered)} = {refused / len(answered):.1%}"
        )
    for backend, refused in off_topic.items():
        print(
            f"  off topic (tests/data/off_topic.txt) on the demo course, {backend}: refused "
            f"{sum(refused)}/{len(refused)} = {sum(refused) / len(refused):.1%}"
        )
    for line in later:
        print(line)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sets",
        default="squad-stem-wiki,clapnq-wiki,clapnq-wiki+distractors,demo",
        help="comma-separated: squad-stem-wiki, clapnq-wiki, clapnq-wiki+distractors, demo",
    )
    parser.add_argument("--splits", default="tune,check", help="tune, check or both")
    parser.add_argument("--backends", default="local", help="local, minilm or both")
    parser.add_argument("--weights", default="", help="extra dense weights to try, e.g. 0,0.3")
    return parser.parse_args()


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    asyncio.run(main(parse_args()))
