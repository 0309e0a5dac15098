"""The fake OpenAI server's chat completions, driven through the real `openai` SDK: streaming
exactly like the real API, plus the faults (429, stall, broken stream) other tests rely on."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI

from tests.support.fake_openai import DEFAULT_REPLY_PREFIX, FakeOpenAI

MESSAGES = [
    {"role": "system", "content": "You are a tutor. Cite passages as [n]."},
    {"role": "user", "content": "What is a closure?"},
]


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    await fake.start()
    yield fake
    await fake.stop()


Connect = Callable[..., AsyncOpenAI]


@pytest.fixture
async def connect(server: FakeOpenAI) -> AsyncIterator[Connect]:
    """`connect(retries=0, timeout=5.0)`: a real SDK client for the server, closed afterwards."""
    clients: list[AsyncOpenAI] = []

    def make(retries: int = 0, timeout: float = 5.0) -> AsyncOpenAI:
        api = AsyncOpenAI(
            api_key=server.api_key, base_url=server.base_url, max_retries=retries, timeout=timeout
        )
        clients.append(api)
        return api

    yield make
    for api in clients:
        await api.close()


async def stream_chat(api: AsyncOpenAI, messages: list[dict[str, Any]] = MESSAGES) -> Any:
    """The production call, verbatim."""
    return await api.chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
        temperature=0.3,
        max_tokens=700,
    )


async def text_of(stream: Any) -> str:
    """The reassembled reply; the usage chunk at the end has no choices."""
    return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])


async def until(condition: Any) -> None:
    """Poll a server counter (the handler finishes just after the client sees the error)."""
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition still false after 1 s")


async def test_a_streamed_reply_arrives_in_chunks_with_usage_last(
    server: FakeOpenAI, connect: Connect
) -> None:
    text = "A closure captures variables from its enclosing scope [1]."
    server.replies.append(text)
    server.chunk_chars = 10

    stream = await stream_chat(connect())
    chunks = [chunk async for chunk in stream]

    assert stream.response.headers["content-type"].startswith("text/event-stream")
    first, *deltas, stop, last = chunks
    assert first.object == "chat.completion.chunk"
    assert first.choices[0].delta.role == "assistant"
    assert first.choices[0].delta.content == ""
    assert [c.choices[0].delta.content for c in deltas] == [
        text[i : i + 10] for i in range(0, len(text), 10)
    ]
    assert all(c.choices[0].finish_reason is None and c.usage is None for c in deltas)
    assert stop.choices[0].finish_reason == "stop"
    assert stop.choices[0].delta.content is None
    assert last.choices == []
    assert last.usage is not None
    prompt_chars = sum(len(m["content"]) for m in MESSAGES)
    assert last.usage.prompt_tokens == prompt_chars // 4
    assert last.usage.completion_tokens == len(text) // 4
    assert last.usage.total_tokens == prompt_chars // 4 + len(text) // 4
    assert len({c.id for c in chunks}) == 1
    [body] = server.chat_requests
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert (body["temperature"], body["max_tokens"]) == (0.3, 700)
    assert server.chat_served == 1


async def test_chunks_are_written_incrementally(server: FakeOpenAI, connect: Connect) -> None:
    server.replies.append("x" * 36)
    server.chunk_delay = 0.05

    stream = await stream_chat(connect())
    first = await stream.__anext__()

    # The role chunk is in our hands while the server is still sleeping before the deltas.
    assert first.choices[0].delta.role == "assistant"
    assert server.in_flight == 1
    rest = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in rest if c.choices) == "x" * 36
    assert server.in_flight == 0


async def test_the_responder_sees_the_request_and_usage_is_omitted_unless_asked(
    server: FakeOpenAI, connect: Connect
) -> None:
    seen: list[dict[str, Any]] = []

    def responder(body: dict[str, Any]) -> str:
        seen.append(body)
        return f"{len(body['messages'])} messages, last: {body['messages'][-1]['content']}"

    server.responder = responder

    stream = await connect().chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
    )
    chunks = [chunk async for chunk in stream]

    assert [body["messages"] for body in seen] == [MESSAGES]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "2 messages, last: What is a closure?"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


async def test_scripted_replies_win_over_the_responder_and_the_default_cites(
    server: FakeOpenAI, connect: Connect
) -> None:
    server.replies.append("scripted")
    question = "Why? " * 60
    api = connect()

    async def reply(messages: list[dict[str, Any]]) -> str:
        return await text_of(await stream_chat(api, messages))

    assert await reply(MESSAGES) == "scripted"
    assert await reply([{"role": "user", "content": question}]) == (
        DEFAULT_REPLY_PREFIX + question[:200]
    )
    server.responder = lambda body: "from responder"
    assert await reply(MESSAGES) == "from responder"


async def test_a_rate_limit_is_retried_by_the_sdk(server: FakeOpenAI, connect: Connect) -> None:
    server.fail_next(1, status=429)
    server.replies.append("after the retry")

    stream = await stream_chat(connect(retries=1))
    text = await text_of(stream)

    assert text == "after the retry"
    assert len(server.chat_requests) == 2
    assert server.chat_served == 1


async def test_a_stall_times_the_client_out_and_the_handler_is_cancelled(
    server: FakeOpenAI, connect: Connect
) -> None:
    server.stall_next(2)
    started = time.monotonic()

    # The SDK turns the transport's read timeout into openai.APITimeoutError (a subclass of
    # APIConnectionError), raised by create() itself since no headers ever arrived.
    with pytest.raises(openai.APITimeoutError):
        await stream_chat(connect(timeout=0.5))

    assert time.monotonic() - started < 1.5
    await until(lambda: server.in_flight == 0)
    assert server.cancelled == 1
    assert server.chat_served == 0


async def test_a_broken_stream_fails_the_iteration(server: FakeOpenAI, connect: Connect) -> None:
    server.replies.append("abcdefghijklmnopqrstuvwxyz0123456789")
    server.chunk_chars = 5
    server.break_next(after_chunks=2)
    received: list[str] = []

    stream = await stream_chat(connect())
    # The SDK parses each SSE `data:` with json.loads and does not wrap the error: the
    # malformed line surfaces as json.JSONDecodeError (a ValueError), not an openai.APIError.
    with pytest.raises(json.JSONDecodeError):
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")

    assert received == ["", "abcde", "fghij"]
    await until(lambda: server.in_flight == 0)
    assert server.chat_served == 0
    # The next request is served normally.
    server.replies.append("fine again")
    again = await stream_chat(connect())
    assert await text_of(again) == "fine again"


async def test_concurrent_streams_are_served_concurrently(
    server: FakeOpenAI, connect: Connect
) -> None:
    server.chunk_delay = 0.02
    api = connect()

    async def one(n: int) -> str:
        messages = [{"role": "user", "content": f"question {n}"}]
        return await text_of(await stream_chat(api, messages))

    replies = await asyncio.gather(*(one(n) for n in range(3)))

    assert replies == [f"{DEFAULT_REPLY_PREFIX}question {n}" for n in range(3)]
    assert server.max_in_flight == 3
    assert (server.in_flight, server.chat_served) == (0, 3)


async def test_non_streaming_completions_still_work(server: FakeOpenAI, connect: Connect) -> None:
    server.replies.append("plain answer")

    completion = await connect().chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,  # type: ignore[arg-type]
        temperature=0.3,
        max_tokens=700,
    )

    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "plain answer"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == len("plain answer") // 4
    assert server.chat_served == 1
