"""configure_logging: JSON lines, the update context, redaction of secrets, text mode."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.cli.logs import RedactSecrets, configure_logging, log_context

TOKEN = "123456:AAE-secret_token_value"
WEBHOOK_SECRET = "hook-secret-42"

log = logging.getLogger("tests.logs")


@pytest.fixture
def configure() -> Iterator[Callable[..., io.StringIO]]:
    """`configure(fmt, level="INFO", secrets=...)` → the stream the log goes to; the root
    logger and the noisy libraries are restored afterwards."""
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    noisy = {name: logging.getLogger(name).level for name in ("httpx", "apscheduler")}

    def make(fmt: str, level: str = "INFO", secrets: tuple[str, ...] = ()) -> io.StringIO:
        stream = io.StringIO()
        configure_logging(level, fmt, secrets=secrets, stream=stream)
        return stream

    yield make
    for handler in root.handlers:
        if handler not in saved_handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(saved_level)
    for name, level in noisy.items():
        logging.getLogger(name).setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_the_fixed_fields(configure: Callable[..., io.StringIO]) -> None:
    stream = configure("json")
    before = datetime.now(UTC)
    log.info("sweep done: %d announced", 3, extra={"announced": 3, "obj": object()})
    log.debug("not shown at INFO")

    (line,) = lines(stream)
    assert line["level"] == "INFO"
    assert line["logger"] == "tests.logs"
    assert line["event"] == "sweep done: 3 announced"
    assert line["announced"] == 3
    assert "obj" not in line  # not JSON-serialisable
    assert "update_id" not in line and "user_id" not in line and "exc" not in line
    assert line["ts"].endswith("Z")
    ts = datetime.fromisoformat(line["ts"])
    assert ts.tzinfo is not None
    assert abs((ts - before).total_seconds()) < 5


def test_log_context_adds_the_update_and_user(configure: Callable[..., io.StringIO]) -> None:
    stream = configure("json")
    with log_context(1001, 42):
        log.warning("inside")
        with log_context(1002, None):
            log.warning("nested")
        log.warning("inside again")
    log.warning("outside")

    got = [(x["event"], x.get("update_id"), x.get("user_id")) for x in lines(stream)]
    assert got == [
        ("inside", 1001, 42),
        ("nested", 1002, None),
        ("inside again", 1001, 42),
        ("outside", None, None),
    ]


async def test_log_context_belongs_to_its_task(configure: Callable[..., io.StringIO]) -> None:
    stream = configure("json")

    async def handle(update_id: int, user_id: int) -> None:
        with log_context(update_id, user_id):
            await asyncio.sleep(0.01)
            log.info("handled")

    await asyncio.gather(handle(1, 10), handle(2, 20))

    assert sorted((x["update_id"], x["user_id"]) for x in lines(stream)) == [(1, 10), (2, 20)]


def test_an_exception_is_logged_with_its_traceback(configure: Callable[..., io.StringIO]) -> None:
    stream = configure("json")
    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("handling failed")

    (line,) = lines(stream)
    assert line["level"] == "ERROR"
    assert line["event"] == "handling failed"
    assert line["exc"].startswith("Traceback")
    assert "ValueError: bad value" in line["exc"]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_secrets_are_redacted_in_messages_and_tracebacks(
    configure: Callable[..., io.StringIO], fmt: str
) -> None:
    stream = configure(fmt, secrets=(TOKEN, WEBHOOK_SECRET, ""))
    url = f"https://api.telegram.org/bot{TOKEN}/getMe"
    log.warning("calling %s", url, extra={"url": url})
    try:
        raise RuntimeError(f"connection to {url} failed, secret {WEBHOOK_SECRET}")
    except RuntimeError:
        log.error("request failed", exc_info=True)

    output = stream.getvalue()
    assert TOKEN not in output
    assert WEBHOOK_SECRET not in output
    assert "https://api.telegram.org/bot***/getMe" in output
    assert "RuntimeError: connection to https://api.telegram.org/bot***/getMe failed" in output
    if fmt == "json":
        first, second = lines(stream)
        assert first["url"] == "https://api.telegram.org/bot***/getMe"
        assert "secret ***" in second["exc"]


def test_text_mode_keeps_the_classic_format(configure: Callable[..., io.StringIO]) -> None:
    stream = configure("text")
    with log_context(5, 6):
        log.info("hello %s", "world")

    (line,) = stream.getvalue().splitlines()
    day, time, level, name, message = line.split(" ", 4)
    datetime.strptime(f"{day} {time}", "%Y-%m-%d %H:%M:%S,%f")
    assert (level, name, message) == ("INFO", "tests.logs:", "hello world")


def test_noisy_libraries_are_quiet_at_info(configure: Callable[..., io.StringIO]) -> None:
    stream = configure("text")
    logging.getLogger("httpx").info("HTTP Request: POST https://example.invalid")
    logging.getLogger("apscheduler.executors.default").info("Job ran")
    logging.getLogger("httpx").warning("a real problem")
    assert stream.getvalue().count("\n") == 1

    configure("text", level="DEBUG")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.DEBUG


def test_configuring_again_replaces_the_handler(configure: Callable[..., io.StringIO]) -> None:
    first = configure("text")
    second = configure("json")
    log.warning("once")

    assert first.getvalue() == ""
    assert [x["event"] for x in lines(second)] == ["once"]
    with pytest.raises(ValueError):
        configure("yaml")


def test_a_secret_is_redacted_whatever_its_case() -> None:
    """PTB lower-cases Telegram's error text, a token quoted in it included."""
    token = "123456:ABCdef_GHIjkl-MNOpqr"
    redact = RedactSecrets([token]).redact

    assert redact(f"error: bot{token.lower()} and {token.upper()}") == "error: bot*** and ***"
