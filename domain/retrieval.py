"""Retrieval ports and results: what the tutor needs to find course material."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    rank: int
    score: float
    citation: str
    module_no: int | None
    topic_number: int | None
    source: str
    content: str
