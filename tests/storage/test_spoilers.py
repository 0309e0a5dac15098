"""Nothing about a locked module reaches a learner: the demo course, every module bound.

Reference material (the glossary and the cheat sheet cover the whole course) is placed in
modules on import, so the module bound is a complete guarantee: with modules up to m open,
no retrieved text talks about what a later module introduces.
"""

from __future__ import annotations

import asyncpg
import pytest

from bot.ai.local_embeddings import LocalHashEmbedder
from storage.chunks import PgChunkStore
from tests.support.courses import DEMO_PACK, import_pack

EMBEDDER = LocalHashEmbedder()
# What each module introduces, written nowhere in the modules before it.
INTRODUCED = {
    2: ("gradient descent", "logistic regression", "precision", "loss function", "sigmoid"),
    3: ("k-fold", "regulari", "overfit", "underfit", "bias-variance"),
}
QUESTIONS = {
    2: [
        "what is gradient descent?",
        "how does logistic regression turn a score into a probability with the sigmoid?",
        "what is the difference between precision and recall?",
        "which loss function should I use for regression, MSE or MAE?",
    ],
    3: [
        "how does k-fold cross-validation work?",
        "what is regularization and why does it help?",
        "how do I know if my model is overfitting or underfitting?",
        "explain the bias-variance trade-off",
    ],
}


@pytest.fixture
async def demo(pool: asyncpg.Pool) -> asyncpg.Pool:
    await import_pack(pool, DEMO_PACK)
    return pool


async def test_every_reference_chunk_belongs_to_a_module(demo: asyncpg.Pool) -> None:
    loose = await demo.fetchval(
        "SELECT count(*) FROM course_chunks WHERE source LIKE 'reference/%' AND module_no IS NULL"
    )
    placed = await demo.fetch(
        "SELECT DISTINCT module_no FROM course_chunks WHERE source LIKE 'reference/%'"
    )
    assert loose == 0
    assert {r[0] for r in placed} == {1, 2, 3}, "the glossary spans the whole course"


@pytest.mark.parametrize("bound", [1, 2])
async def test_no_later_modules_subject_is_ever_retrieved(demo: asyncpg.Pool, bound: int) -> None:
    engine = PgChunkStore(demo)
    later = [word for module, words in INTRODUCED.items() if module > bound for word in words]
    for module, questions in QUESTIONS.items():
        if module <= bound:
            continue
        for question in questions:
            [vector] = await EMBEDDER.embed([question])
            hits = await engine.search(
                "ml-foundations", question, vector, model=EMBEDDER.model, k=10, max_module=bound
            )
            assert hits, question
            for hit in hits:
                assert hit.module_no <= bound
                spoiled = [w for w in later if w in hit.content.lower()]
                assert not spoiled, f"{question!r} found {hit.citation!r}: {spoiled}"


async def test_the_same_questions_find_their_module_once_it_is_open(demo: asyncpg.Pool) -> None:
    engine = PgChunkStore(demo)
    for module, questions in QUESTIONS.items():
        for question in questions:
            [vector] = await EMBEDDER.embed([question])
            hits = await engine.search(
                "ml-foundations", question, vector, model=EMBEDDER.model, k=5, max_module=3
            )
            assert any(h.module_no == module for h in hits), question
