"""The language model behind the tutor: streamed chat completions through the `openai` SDK.

Every way the model can fail (timeout, 429, 5xx, a connection drop, a stream that breaks
off or says nothing) becomes one `ModelUnavailable` with a kind the learner can be told.
The SDK retries 429s and 5xx before the first token with backoff; the whole answer is
bounded by `timeout`, so nothing hangs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.tutor import Completion, ModelUnavailable, OnText

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)


class OpenAIChat:
    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        *,
        timeout: float,
        max_tokens: int = 700,
        temperature: float = 0.3,
        observe: Callable[..., None] | None = None,
    ) -> None:
        """`observe`, when given, is called once per completion like `Metrics.llm_call`:
        `observe(model, seconds, prompt_tokens=, completion_tokens=, error=)`, error being
        None or the `ModelUnavailable` kind (`cancelled` when cancelled, `error` when
        something else, e.g. `on_text`, raised)."""
        self._client = client
        self._model = model
        self._timeout = timeout
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._observe = observe

    @property
    def model(self) -> str:
        return self._model

    async def complete(self, messages: list[dict[str, str]], on_text: OnText) -> Completion:
        started = time.perf_counter()
        usage = _Usage()
        error: str | None = "error"  # e.g. on_text failed
        try:
            completion = await self._complete(messages, on_text, usage)
            error = None
            return completion
        except ModelUnavailable as exc:
            error = exc.kind
            raise
        except asyncio.CancelledError:
            error = "cancelled"
            raise
        finally:
            self._report(time.perf_counter() - started, usage, error)

    async def _complete(
        self, messages: list[dict[str, str]], on_text: OnText, usage: _Usage
    ) -> Completion:
        import openai

        parts: list[str] = []
        tokens: int | None = None
        try:
            async with asyncio.timeout(self._timeout):
                stream = await self._client.chat.completions.create(
                    model=self._model,
                    messages=messages,  # type: ignore[arg-type]
                    stream=True,
                    stream_options={"include_usage": True},
                    temperature=self._temperature,
                    max_tokens=self._max_tokens,
                )
                async for chunk in stream:
                    if chunk.usage is not None:
                        tokens = chunk.usage.total_tokens
                        usage.prompt = chunk.usage.prompt_tokens
                        usage.completion = chunk.usage.completion_tokens
                    if chunk.choices and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
                        await on_text("".join(parts))
        except (TimeoutError, openai.APITimeoutError) as exc:
            raise _unavailable("timeout", exc) from exc
        except openai.RateLimitError as exc:
            raise _unavailable("busy", exc) from exc
        except (openai.APIConnectionError, openai.APIStatusError) as exc:
            raise _unavailable("unavailable", exc) from exc
        except (openai.APIError, ValueError) as exc:  # a stream that breaks off mid-way
            raise _unavailable("broken", exc) from exc
        text = "".join(parts).strip()
        if not text:
            raise _unavailable("broken", None)
        return Completion(text, tokens, self._model)

    def _report(self, seconds: float, usage: _Usage, error: str | None) -> None:
        if self._observe is None:
            return
        try:
            self._observe(
                self._model,
                seconds,
                prompt_tokens=usage.prompt,
                completion_tokens=usage.completion,
                error=error,
            )
        except Exception:  # a broken metric must not fail the answer
            log.exception("observing a completion failed")


@dataclass
class _Usage:
    prompt: int | None = None
    completion: int | None = None


def _unavailable(kind: str, exc: BaseException | None) -> ModelUnavailable:
    log.warning("language model failed (%s): %s", kind, type(exc).__name__ if exc else "empty")
    return ModelUnavailable(kind)
