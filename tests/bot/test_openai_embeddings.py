"""The OpenAI embedding backend through the real `openai` client against a fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest
from openai import AsyncOpenAI

from bot.ai.openai_embeddings import OpenAIEmbedder
from tests.support.fake_openai import FakeOpenAI, vector_for


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()


def client(server: FakeOpenAI, retries: int = 3) -> AsyncOpenAI:
    return AsyncOpenAI(api_key=server.api_key, base_url=server.base_url, max_retries=retries)


async def test_embeds_in_batches_in_input_order(fake_openai: FakeOpenAI) -> None:
    embedder = OpenAIEmbedder(client(fake_openai), "text-embedding-3-small", 16, batch_size=2)

    vectors = await embedder.embed(["one", "two", "three"])

    assert vectors == [pytest.approx(vector_for(t, 16)) for t in ("one", "two", "three")]
    assert [len(body["input"]) for _, body in fake_openai.requests] == [2, 1]
    assert fake_openai.requests[0][1]["dimensions"] == 16
    assert embedder.model == "openai:text-embedding-3-small:16"


async def test_rate_limits_and_server_errors_are_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_next(1, status=429)
    fake_openai.fail_next(1, status=503)
    embedder = OpenAIEmbedder(client(fake_openai), "m", 8)

    [vector] = await embedder.embed(["persistent"])

    assert vector == pytest.approx(vector_for("persistent", 8))
    assert len(fake_openai.requests) == 3


async def test_gives_up_after_the_retry_budget(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_next(5, status=500)
    embedder = OpenAIEmbedder(client(fake_openai, retries=1), "m", 8)

    with pytest.raises(openai.InternalServerError):
        await embedder.embed(["doomed"])


def test_dimensions_must_fit_the_vector_index() -> None:
    with pytest.raises(ValueError, match=r"1\.\.2000"):
        OpenAIEmbedder(AsyncOpenAI(api_key="x"), "m", 3072)
