"""Choosing the AI backends from settings (part of the composition root)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.ai.local_embeddings import LocalHashEmbedder
from bot.settings import ConfigError, Settings
from domain.retrieval import Embedder
from domain.tutor import LanguageModel

if TYPE_CHECKING:
    from openai import AsyncOpenAI


def openai_client(settings: Settings) -> AsyncOpenAI | None:
    """The SDK takes ~2 s to import, so it is only loaded when a key is configured."""
    if settings.openai_api_key is None:
        return None
    from openai import AsyncOpenAI

    return AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        max_retries=5,
        timeout=60.0,
    )


def build_embedder(settings: Settings) -> Embedder:
    backend = settings.embedding_backend
    if backend == "auto":
        backend = "openai" if settings.openai_api_key else "local"
    if backend == "local":
        return LocalHashEmbedder()
    if backend == "minilm":
        from bot.ai.minilm_embeddings import MiniLMEmbedder

        try:
            return MiniLMEmbedder()
        except RuntimeError as exc:
            raise ConfigError(str(exc)) from exc
    client = openai_client(settings)
    if client is None:
        raise ConfigError("OPENAI_API_KEY is not set: EMBEDDING_BACKEND=openai needs it")
    from bot.ai.openai_embeddings import OpenAIEmbedder

    return OpenAIEmbedder(client, settings.embedding_model, settings.embedding_dimensions)


def build_language_model(
    settings: Settings, *, observe: Callable[..., None] | None = None
) -> LanguageModel | None:
    """None without a key: the tutor then answers extractively, quoting the course.

    `observe` is told about every completion (see `OpenAIChat`), e.g. `Metrics.llm_call`."""
    if settings.openai_api_key is None:
        return None
    from openai import AsyncOpenAI

    from bot.ai.chat import OpenAIChat

    client = AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        max_retries=2,
        timeout=settings.llm_timeout_seconds,
    )
    return OpenAIChat(
        client, settings.openai_chat_model, timeout=settings.llm_timeout_seconds, observe=observe
    )
