"""Metrics on prometheus-client, and the places that feed them: the Bot API transport and
the language model client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from openai import AsyncOpenAI
from prometheus_client.parser import text_string_to_metric_families
from telegram import Bot
from telegram.error import BadRequest, NetworkError

from bot.ai.chat import OpenAIChat
from bot.emulator import BotApiEmulator
from bot.metrics import MAX_LABEL_CHARS, OTHER, Metrics
from bot.transport.request import AiohttpRequest, method_name
from domain.tutor import ModelUnavailable
from tests.conftest import TOKEN
from tests.support.fake_openai import FakeOpenAI


def families(metrics: Metrics) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(metrics.render().decode())}


def samples(metrics: Metrics, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample called `name`, keyed by its sorted labels (bucket bounds included)."""
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for s in family.samples
        if s.name == name
    }


# -- Metrics itself -----------------------------------------------------------------------


def test_the_rendering_parses_and_keeps_every_counter_name_and_help() -> None:
    metrics = Metrics()
    parsed = families(metrics)
    for name, help_text in Metrics._HELP.items():
        family = parsed[name.removesuffix("_total")]
        assert family.type == "counter"
        assert family.documentation == help_text
        assert samples(metrics, name) == {(): 0.0}
    for name in (
        "tutorbot_updates_received",
        "tutorbot_updates_duplicate",
        "tutorbot_updates_processed",
        "tutorbot_updates_failed",
        "tutorbot_updates_retried",
        "tutorbot_bot_api_errors",
        "tutorbot_llm_tokens",
        "tutorbot_llm_errors",
    ):
        assert parsed[name].type == "counter"
    for name in (
        "tutorbot_handler_seconds",
        "tutorbot_bot_api_seconds",
        "tutorbot_llm_seconds",
        "tutorbot_scheduler_lag_seconds",
    ):
        assert parsed[name].type == "histogram"
    assert parsed["tutorbot_inbox_depth"].type == "gauge"
    assert parsed["tutorbot_inbox_oldest_age_seconds"].type == "gauge"
    assert Metrics.CONTENT_TYPE.startswith("text/plain")


def test_inc_and_value_keep_working() -> None:
    metrics = Metrics()
    metrics.inc("tutorbot_quiz_answers_total")
    metrics.inc("tutorbot_quiz_answers_total", 2)
    metrics.inc("tutorbot_cooldown_notices_total", 0)

    assert metrics.value("tutorbot_quiz_answers_total") == 3
    assert metrics.value("tutorbot_cooldown_notices_total") == 0
    assert samples(metrics, "tutorbot_quiz_answers_total") == {(): 3.0}
    with pytest.raises(KeyError):
        metrics.inc("tutorbot_no_such_thing_total")
    with pytest.raises(KeyError):
        metrics.value("tutorbot_no_such_thing_total")


def test_update_counters_are_labelled_by_type() -> None:
    metrics = Metrics()
    metrics.update_received("message")
    metrics.update_received("message")
    metrics.update_received("callback_query")
    metrics.update_duplicate("message")
    metrics.update_retried("callback_query")
    # Callers from before the label still count, under type="unknown".
    metrics.inc("tutorbot_updates_received_total")

    assert metrics.value("tutorbot_updates_received_total") == 4
    assert metrics.value("tutorbot_updates_received_total", type="message") == 2
    assert samples(metrics, "tutorbot_updates_received_total") == {
        (("type", "message"),): 2.0,
        (("type", "callback_query"),): 1.0,
        (("type", "unknown"),): 1.0,
    }
    assert metrics.value("tutorbot_updates_duplicate_total", type="message") == 1
    assert metrics.value("tutorbot_updates_retried_total", type="callback_query") == 1


def test_update_done_counts_failures_and_times_the_handler() -> None:
    metrics = Metrics()
    metrics.update_done("message", 0.004, failed=False)
    metrics.update_done("message", 0.2, failed=True)
    metrics.update_done("callback_query", 12.0, failed=False)

    assert metrics.value("tutorbot_updates_processed_total") == 3
    assert metrics.value("tutorbot_updates_failed_total") == 1
    assert metrics.value("tutorbot_updates_failed_total", type="message") == 1
    assert metrics.value("tutorbot_handler_seconds_count", type="message") == 2
    assert metrics.value("tutorbot_handler_seconds_sum", type="message") == pytest.approx(0.204)
    buckets = samples(metrics, "tutorbot_handler_seconds_bucket")
    assert buckets[(("le", "0.005"), ("type", "message"))] == 1
    assert buckets[(("le", "0.25"), ("type", "message"))] == 2
    assert buckets[(("le", "10.0"), ("type", "callback_query"))] == 0
    assert buckets[(("le", "30.0"), ("type", "callback_query"))] == 1
    assert buckets[(("le", "0.001"), ("type", "message"))] == 0


def test_inbox_gauges_follow_the_latest_reading() -> None:
    metrics = Metrics()
    metrics.inbox(7, 3.5)
    metrics.inbox(2, 0.25)

    assert metrics.value("tutorbot_inbox_depth") == 2
    assert metrics.value("tutorbot_inbox_oldest_age_seconds") == 0.25


def test_bot_api_llm_and_scheduler_measurements() -> None:
    metrics = Metrics()
    metrics.bot_api_call("sendMessage", 0.05, None)
    metrics.bot_api_call("sendMessage", 1.5, "http_429")
    metrics.llm_call("gpt-4o-mini", 2.0, prompt_tokens=120, completion_tokens=30, error=None)
    metrics.llm_call("gpt-4o-mini", 9.0, prompt_tokens=None, completion_tokens=None, error="busy")
    metrics.scheduler_lag("cooldown", 0.3)

    assert metrics.value("tutorbot_bot_api_seconds_count", method="sendMessage") == 2
    assert samples(metrics, "tutorbot_bot_api_errors_total") == {
        (("error", "http_429"), ("method", "sendMessage")): 1.0
    }
    assert metrics.value("tutorbot_llm_seconds_count", model="gpt-4o-mini") == 2
    assert metrics.value("tutorbot_llm_tokens_total", kind="prompt") == 120
    assert metrics.value("tutorbot_llm_tokens_total", kind="completion") == 30
    assert metrics.value("tutorbot_llm_errors_total", model="gpt-4o-mini", error="busy") == 1
    assert metrics.value("tutorbot_scheduler_lag_seconds_count", job="cooldown") == 1
    assert metrics.value("tutorbot_scheduler_lag_seconds_sum") == pytest.approx(0.3)


def test_label_values_are_clipped_and_bounded() -> None:
    metrics = Metrics()
    metrics.update_received("x" * 100)
    for n in range(300):
        metrics.bot_api_call(f"method{n}", 0.01, None)

    (received,) = samples(metrics, "tutorbot_updates_received_total")
    assert dict(received)["type"] == "x" * MAX_LABEL_CHARS
    counts = samples(metrics, "tutorbot_bot_api_seconds_count")
    methods = {dict(labels)["method"] for labels in counts}
    assert len(methods) <= 101
    assert OTHER in methods
    assert metrics.value("tutorbot_bot_api_seconds_count") == 300


def test_two_instances_are_independent() -> None:
    first, second = Metrics(), Metrics()
    first.inc("tutorbot_quiz_answers_total")
    first.update_received("message")
    first.inbox(5, 1.0)

    assert second.value("tutorbot_quiz_answers_total") == 0
    assert second.value("tutorbot_updates_received_total") == 0
    assert second.value("tutorbot_inbox_depth") == 0
    assert first.value("tutorbot_updates_received_total") == 1


# -- the Bot API transport ----------------------------------------------------------------

Call = tuple[str, float, str | None]


def test_method_names_never_include_the_token() -> None:
    base = f"https://api.telegram.org/bot{TOKEN}"
    assert method_name(f"{base}/sendMessage") == "sendMessage"
    assert method_name(f"{base}/getUpdates?offset=3") == "getUpdates"
    assert method_name(f"https://api.telegram.org/file/bot{TOKEN}/photos/f_1.jpg") == "download"
    assert method_name(f"{base}/") == "other"
    assert method_name(base) == "other"


async def test_the_transport_reports_each_call_by_method_name(emulator: BotApiEmulator) -> None:
    emulator.user(42, "Ada")
    calls: list[Call] = []
    metrics = Metrics()

    def observe(method: str, seconds: float, error: str | None) -> None:
        calls.append((method, seconds, error))
        metrics.bot_api_call(method, seconds, error)

    request = AiohttpRequest(observe=observe)
    async with Bot(TOKEN, base_url=emulator.api_base_url, request=request) as bot:
        await bot.send_message(42, "hello")

    assert [(method, error) for method, _, error in calls] == [
        ("getMe", None),
        ("sendMessage", None),
    ]
    assert all(0 <= seconds < 5 for _, seconds, _ in calls)
    assert TOKEN not in repr(calls)
    assert TOKEN.split(":")[1] not in metrics.render().decode()
    assert metrics.value("tutorbot_bot_api_seconds_count", method="sendMessage") == 1


async def test_the_transport_reports_refusals_and_network_errors() -> None:
    async with BotApiEmulator(TOKEN, bot_username="tutorbot_test_bot") as emu:
        calls: list[Call] = []
        request = AiohttpRequest(observe=lambda *call: calls.append(call))
        async with Bot(TOKEN, base_url=emu.api_base_url, request=request) as bot:
            with pytest.raises(BadRequest, match=r"(?i)chat not found"):
                await bot.send_message(999, "hello")
    assert [(m, e) for m, _, e in calls] == [("getMe", None), ("sendMessage", "http_400")]

    calls.clear()
    request = AiohttpRequest(observe=lambda *call: calls.append(call), connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:9/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert [(m, e) for m, _, e in calls] in ([("getMe", "network")], [("getMe", "timeout")])


async def test_a_failing_observer_does_not_fail_the_call(emulator: BotApiEmulator) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("metrics are broken")

    async with Bot(TOKEN, base_url=emulator.api_base_url, request=AiohttpRequest(observe=broken)):
        pass  # initialize() calls getMe


# -- the language model client ------------------------------------------------------------

MESSAGES = [
    {"role": "system", "content": "You are a tutor. Cite passages as [n]."},
    {"role": "user", "content": "What is a closure?"},
]


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    api = AsyncOpenAI(
        api_key=fake_openai.api_key, base_url=fake_openai.base_url, max_retries=0, timeout=5.0
    )
    yield api
    await api.close()


async def ignore(_: str) -> None:
    pass


async def test_the_model_client_reports_duration_and_tokens(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.replies.append("A closure keeps the variables it was defined with [1].")
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    metrics = Metrics()

    def observe(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs))
        metrics.llm_call(*args, **kwargs)

    chat = OpenAIChat(client, "gpt-4o-mini", timeout=5.0, observe=observe)
    completion = await chat.complete(MESSAGES, ignore)

    ((args, kwargs),) = calls
    model, seconds = args
    assert model == "gpt-4o-mini"
    assert 0 < seconds < 5
    prompt = sum(len(m["content"]) for m in MESSAGES) // 4
    answer = len("A closure keeps the variables it was defined with [1].") // 4
    assert kwargs == {"prompt_tokens": prompt, "completion_tokens": answer, "error": None}
    assert completion.tokens == prompt + answer
    assert metrics.value("tutorbot_llm_tokens_total", kind="prompt") == prompt
    assert metrics.value("tutorbot_llm_tokens_total", kind="completion") == answer
    assert metrics.value("tutorbot_llm_seconds_count", model="gpt-4o-mini") == 1


async def test_the_model_client_reports_failures_by_kind(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    metrics = Metrics()
    chat = OpenAIChat(client, "gpt-4o-mini", timeout=5.0, observe=metrics.llm_call)
    fake_openai.fail_next(1, 429)
    with pytest.raises(ModelUnavailable):
        await chat.complete(MESSAGES, ignore)
    fake_openai.break_next(after_chunks=1)
    with pytest.raises(ModelUnavailable):
        await chat.complete(MESSAGES, ignore)

    assert metrics.value("tutorbot_llm_errors_total", error="busy") == 1
    assert metrics.value("tutorbot_llm_errors_total", error="broken") == 1
    assert metrics.value("tutorbot_llm_seconds_count") == 2
    assert metrics.value("tutorbot_llm_tokens_total") == 0
