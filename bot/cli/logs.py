"""Logging setup: human-readable text or one JSON object per line, secrets redacted.

`configure_logging(level, fmt, secrets=...)` installs one handler on the root logger:

- `fmt="text"`: `2024-05-01 12:00:00,123 INFO bot.jobs.schedule: message`, as before;
- `fmt="json"`: `{"ts": "2024-05-01T12:00:00.123Z", "level": "INFO", "logger": "bot.jobs.schedule",
  "event": "message", "update_id": 7, "user_id": 42, "exc": "Traceback ...", ...}` with
  `update_id`/`user_id` only when known, `exc` only with a traceback, plus the record's
  JSON-serialisable `extra=` fields.

`log_context(update_id, user_id)` tags every record logged inside it (in the current task
and the tasks it starts) with the update being handled. Every secret passed to
`configure_logging` is replaced with `***` in messages, tracebacks and extra fields.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "***"
# Chatty at INFO: request lines (httpx logs URLs, which hold the bot token), job runs.
NOISY_LOGGERS = ("httpx", "httpcore", "aiohttp.access", "apscheduler")

_context: ContextVar[tuple[int | None, int | None]] = ContextVar(
    "tutorbot_log_context", default=(None, None)
)
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "update_id",
    "user_id",
}


@contextmanager
def log_context(update_id: int | None, user_id: int | None) -> Iterator[None]:
    """Records logged inside carry `update_id` and `user_id` (None: unknown)."""
    token = _context.set((update_id, user_id))
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Adds the current `log_context` to each record as `update_id` and `user_id`
    (an explicit `extra={"update_id": ...}` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        update_id, user_id = _context.get()
        if getattr(record, "update_id", None) is None:
            record.update_id = update_id
        if getattr(record, "user_id", None) is None:
            record.user_id = user_id
        return True


class RedactSecrets(logging.Filter):
    """Replaces each secret with `***` in the record's final message, traceback, stack and
    string `extra=` fields. Runs before the formatter, which then finds the text cached."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole. Case-insensitive:
        # PTB lower-cases the rest of Telegram's error text, a quoted token included.
        ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._secrets = ordered
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE) if ordered else None
        )

    def redact(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if self._pattern else text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


_FORMATTER = logging.Formatter()


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key in ("update_id", "user_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in record.__dict__.items():
            if key in _STANDARD or key in entry or key.startswith("_"):
                continue
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                continue
            entry[key] = value
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: str | int,
    fmt: str,
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> None:
    """Send the root logger's records to `stream` (stderr) at `level`, as `fmt` ("text" or
    "json"), with `secrets` redacted. Calling again replaces the handler installed before;
    other handlers (pytest's capture, say) are left alone."""
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be text or json, not {fmt!r}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name("tutorbot")
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactSecrets(secrets))

    root = logging.getLogger()
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for old in [h for h in root.handlers if h.get_name() == "tutorbot"]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    quiet = root.getEffectiveLevel() > logging.DEBUG
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
