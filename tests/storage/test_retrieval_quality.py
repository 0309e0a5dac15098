"""Retrieval quality on the demo course with the default offline embedder.

Learner-style questions (tests/data/retrieval_questions.yaml, written for the demo course)
must find the topic that answers them among the top 5 results for at least 90% of them.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import yaml

from bot.ai.local_embeddings import LocalHashEmbedder
from storage.chunks import PgChunkStore
from tests.support.courses import DEMO_PACK, import_pack

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "retrieval_questions.yaml"


async def test_right_topic_in_top_5_for_nine_in_ten_questions(pool: asyncpg.Pool) -> None:
    embedder = LocalHashEmbedder()
    await import_pack(pool, DEMO_PACK, embedder)
    questions = yaml.safe_load(QUESTIONS.read_text())
    engine = PgChunkStore(pool)

    misses = []
    for q in questions:
        [vector] = await embedder.embed([q["question"]])
        hits = await engine.search(
            "ml-foundations", q["question"], vector, model=embedder.model, k=5
        )
        if (q["module"], q["topic"]) not in {(h.module_no, h.topic_number) for h in hits}:
            misses.append(q["question"])

    hit_rate = 1 - len(misses) / len(questions)
    assert len(questions) >= 40
    assert hit_rate >= 0.90, f"hit rate {hit_rate:.0%}; missed: {misses}"
