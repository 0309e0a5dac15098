"""Retrieval ports and results: what the tutor needs to find course material."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class Embedder(Protocol):
    """Turns texts into vectors; `model` names the vector space (stored with each vector)."""

    @property
    def model(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class EmbeddingModelMismatch(Exception):
    """Vectors from different models are not comparable: searching them would be garbage."""


class UnknownCourse(Exception):
    pass


@dataclass(frozen=True)
class SearchHit:
    """One retrieved chunk, with how each half of the hybrid search ranked it.

    `score` is the fused score: the chunk's BM25 score over the best one's plus the dense
    weight times its cosine similarity over the best one's. `coverage` is the share of the
    question's term weight (IDF) the chunk contains: the relevance gate reads it."""

    rank: int
    score: float
    citation: str
    module_no: int | None
    topic_number: int | None
    source: str
    content: str
    chunk_id: int | None = None
    position: int | None = None
    lexical_rank: int | None = None  # None: not among the lexical candidates
    lexical_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None  # cosine similarity
    coverage: float = 0.0
    matched_terms: tuple[str, ...] = ()
    term_frequencies: Mapping[str, int] = field(default_factory=dict)  # of the matched terms
    length: int = 0  # the chunk's number of terms (BM25's document length)
    before: str | None = None  # the chunk before it in its source, if within the bound
    after: str | None = None  # and the one after it


class SearchResults(list[SearchHit]):
    """The hits, best first, and what the course's text says about the question's terms:
    how often each occurs in the whole course (`term_counts`) out of `total_terms` — what
    the relevance gate compares with the same words' frequency in everyday language."""

    def __init__(
        self,
        hits: Sequence[SearchHit] = (),
        *,
        term_counts: Mapping[str, int] | None = None,
        total_terms: float = 0.0,
    ) -> None:
        super().__init__(hits)
        self.term_counts: Mapping[str, int] = dict(term_counts or {})
        self.total_terms = total_terms


# How much the dense half counts beside BM25 in the fused score, per embedding backend,
# measured on the retrieval sets' tune splits (benchmarks/retrieval_quality.py): the hashing
# embedder repeats what BM25 already knows, so it only breaks ties; all-MiniLM-L6-v2 adds
# meaning and earns a weight near BM25's. OpenAI's models could not be measured here (no
# network): they are at least MiniLM's quality on public benchmarks, so they get its weight.
DENSE_WEIGHTS = {"local-hash": 0.05, "minilm": 0.8, "openai": 0.8}
DEFAULT_DENSE_WEIGHT = 0.5


def dense_weight(model: str) -> float:
    for prefix, weight in DENSE_WEIGHTS.items():
        if model.startswith(prefix):
            return weight
    return DEFAULT_DENSE_WEIGHT
