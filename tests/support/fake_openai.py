"""A fake OpenAI-compatible server: a real aiohttp app on 127.0.0.1 for the real `openai` client.

Embeddings are deterministic (hash-seeded unit vectors), chat completions echo a scripted
reply or a summary of the prompt; failures (429, 500) can be queued to test retries.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web


@dataclass
class FakeOpenAI:
    api_key: str = "sk-test"
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    replies: deque[str] = field(default_factory=deque)
    _failures: deque[int] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    base_url: str = ""

    def fail_next(self, times: int, status: int = 429) -> None:
        self._failures.extend([status] * times)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

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

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("chat", body))
        if refused := self._refuse(request):
            return refused
        content = self.replies.popleft() if self.replies else "OK"
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content},
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )


def vector_for(text: str, dims: int) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8])
    vec = np.random.default_rng(seed).normal(size=dims)
    return (vec / np.linalg.norm(vec)).tolist()
