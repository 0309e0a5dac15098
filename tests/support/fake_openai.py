"""A fake OpenAI-compatible server: a real aiohttp app on 127.0.0.1 for the real `openai` client.

Embeddings are deterministic (hash-seeded unit vectors). Chat completions answer with a
scripted reply, a `responder`'s reply or a default that cites the first passage, either as one
JSON object or, with `stream=True`, as server-sent events exactly like the real API. Failures
(429, 500), stalls and broken streams can be queued to test retries, timeouts and error paths.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

DEFAULT_REPLY_PREFIX = "According to the course material [1], "


@dataclass
class FakeOpenAI:
    """`await start()` serves `POST /v1/embeddings` and `POST /v1/chat/completions` on
    `base_url`; `await stop()` shuts it down. Requests need `Authorization: Bearer {api_key}`.

    Chat replies, first match wins:
      - `replies`: a deque of scripted reply texts, one popped per chat request;
      - `responder(body) -> str`: called with the decoded request body;
      - otherwise `DEFAULT_REPLY_PREFIX` + the first 200 characters of the last user message.
    Usage: prompt_tokens = characters of all message contents // 4, completion_tokens =
    len(reply) // 4 (each at least 1), total_tokens = their sum.

    Streaming (`stream=True`): `Content-Type: text/event-stream`, one `data: {json}\\n\\n` line
    per `chat.completion.chunk`, written (and flushed) one by one: a role chunk
    (`delta={"role": "assistant", "content": ""}`), content deltas of `chunk_chars` characters
    with `chunk_delay` seconds before each, a chunk with an empty delta and
    `finish_reason="stop"`, then, when `stream_options.include_usage`, a chunk with
    `choices=[]` and the usage (earlier chunks then carry `"usage": null`), then
    `data: [DONE]\\n\\n`.

    Faults, each for the next request(s), queued in call order:
      - `fail_next(times, status)`: a JSON error response with `retry-after-ms: 10` (chat and
        embeddings alike, before any streaming);
      - `stall_next(seconds)`: the next chat request waits `seconds` before sending anything,
        then answers normally. When the client gives up and disconnects, aiohttp cancels the
        handler (`handler_cancellation=True`) and the wait ends; `cancelled` counts those;
      - `break_next(after_chunks=2)`: the next *streamed* chat response sends that many content
        deltas (after the role chunk), then the malformed line `data: {not json`, and closes
        the connection.
    Down altogether: `go_down()` closes the port (connections are refused), `come_back()`
    serves again at the same address.

    Observation: `requests` holds `(kind, body)` of every call, `chat_requests` just the chat
    bodies; `chat_served` counts chat requests answered completely (JSON sent or stream ended
    with `[DONE]`); `in_flight` is the number of chat requests being handled right now and
    `max_in_flight` its high-water mark, to prove concurrency.
    """

    api_key: str = "sk-test"
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    replies: deque[str] = field(default_factory=deque)
    responder: Callable[[dict[str, Any]], str] | None = None
    chunk_chars: int = 12
    chunk_delay: float = 0.0
    chat_served: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    cancelled: int = 0
    _failures: deque[int] = field(default_factory=deque)
    _stalls: deque[float] = field(default_factory=deque)
    _breaks: deque[int] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    base_url: str = ""

    def fail_next(self, times: int, status: int = 429) -> None:
        self._failures.extend([status] * times)

    def stall_next(self, seconds: float) -> None:
        self._stalls.append(seconds)

    def break_next(self, after_chunks: int = 2) -> None:
        self._breaks.append(after_chunks)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [body for kind, body in self.requests if kind == "chat"]

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/v1/chat/completions", self._chat)
        # handler_cancellation: a client that disconnects (e.g. after its timeout) cancels the
        # handler, so stalls end at once; shutdown_timeout bounds stop() if one is still open.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def go_down(self) -> None:
        """The endpoint is gone: its port refuses connections until `come_back`."""
        await self.stop()

    async def come_back(self) -> None:
        """Serve again at the same `base_url` (the client was configured with it)."""
        port = int(self.base_url.rsplit(":", 1)[1].split("/", 1)[0])
        await self.start(port)

    def _refuse(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response(
                {"error": {"message": "Incorrect API key", "type": "invalid_request_error"}},
                status=401,
            )
        if self._failures:
            status = self._failures.popleft()
            return web.json_response(
                {"error": {"message": f"injected {status}", "type": "server_error"}},
                status=status,
                headers={"retry-after-ms": "10"},
            )
        return None

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("embeddings", body))
        if refused := self._refuse(request):
            return refused
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dims = int(body.get("dimensions") or 8)
        data = [
            {"object": "embedding", "index": i, "embedding": vector_for(text, dims)}
            for i, text in enumerate(inputs)
        ]
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(("chat", body))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self._stalls:
                await asyncio.sleep(self._stalls.popleft())
            if refused := self._refuse(request):
                return refused
            reply = self._reply(body)
            usage = _usage(body, reply)
            if body.get("stream"):
                return await self._stream(request, body, reply, usage)
            self.chat_served += 1
            return web.json_response(
                {
                    "id": _completion_id(),
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "logprobs": None,
                            "message": {"role": "assistant", "content": reply, "refusal": None},
                        }
                    ],
                    "usage": usage,
                    "system_fingerprint": "fp_fake",
                }
            )
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1

    def _reply(self, body: dict[str, Any]) -> str:
        if self.replies:
            return self.replies.popleft()
        if self.responder is not None:
            return self.responder(body)
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        question = _text(users[-1].get("content")) if users else ""
        return DEFAULT_REPLY_PREFIX + question[:200]

    async def _stream(
        self, request: web.Request, body: dict[str, Any], reply: str, usage: dict[str, int]
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
            }
        )
        await response.prepare(request)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        base: dict[str, Any] = {
            "id": _completion_id(),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": "fp_fake",
        }

        async def send(choices: list[dict[str, Any]], **extra: Any) -> None:
            chunk = {**base, "choices": choices, **extra}
            if include_usage and "usage" not in extra:
                chunk["usage"] = None
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        def choice(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}

        break_after = self._breaks.popleft() if self._breaks else None
        await send([choice({"role": "assistant", "content": "", "refusal": None})])
        step = max(1, self.chunk_chars)
        for sent, start in enumerate(range(0, len(reply), step)):
            if break_after is not None and sent >= break_after:
                break
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
            await send([choice({"content": reply[start : start + step]})])
        if break_after is not None:
            await response.write(b"data: {not json\n\n")
            # Drop the connection mid-body: close() still flushes what was written, but the
            # terminating chunk never follows (aiohttp's write_eof then fails quietly).
            if request.transport is not None:
                request.transport.close()
            return response
        await send([choice({}, "stop")])
        if include_usage:
            await send([], usage=usage)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        self.chat_served += 1
        return response


def _completion_id() -> str:
    return f"chatcmpl-fake{time.monotonic_ns()}"


def _text(content: Any) -> str:
    """A message's text: plain string content or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _usage(body: dict[str, Any], reply: str) -> dict[str, int]:
    prompt_chars = sum(len(_text(m.get("content"))) for m in body.get("messages", []))
    prompt = max(1, prompt_chars // 4)
    completion = max(1, len(reply) // 4)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def vector_for(text: str, dims: int) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8])
    vec = np.random.default_rng(seed).normal(size=dims)
    return (vec / np.linalg.norm(vec)).tolist()
