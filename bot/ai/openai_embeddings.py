"""Embeddings from any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, LM Studio…).

Retries with exponential backoff on 429 and 5xx come from the openai SDK itself
(`max_retries`), so we do not layer a second retry loop on top.
"""

from __future__ import annotations

from collections.abc import Sequence

from openai import AsyncOpenAI


class OpenAIEmbedder:
    def __init__(
        self, client: AsyncOpenAI, model: str, dimensions: int, batch_size: int = 128
    ) -> None:
        if not 1 <= dimensions <= 2000:
            raise ValueError("embedding dimensions must be 1..2000 (pgvector's index limit)")
        self._client = client
        self._model = model
        self._dimensions = dimensions
        self._batch = batch_size

    @property
    def model(self) -> str:
        return f"openai:{self._model}:{self._dimensions}"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch):
            batch = list(texts[start : start + self._batch])
            response = await self._client.embeddings.create(
                model=self._model, input=batch, dimensions=self._dimensions
            )
            ordered = sorted(response.data, key=lambda item: item.index)
            if len(ordered) != len(batch):
                raise RuntimeError(f"embedding endpoint returned {len(ordered)} of {len(batch)}")
            for item in ordered:
                if len(item.embedding) != self._dimensions:
                    raise RuntimeError(
                        f"embedding endpoint returned {len(item.embedding)} dimensions, "
                        f"expected {self._dimensions}"
                    )
                vectors.append(list(item.embedding))
        return vectors
