"""Telegram's rules for a poll the bot sends (sendPoll), as pure functions.

Kept apart from the poll state and the methods so each stays small. Limits follow the
machine-readable Bot API description the emulator is checked against (Bot API 10.1:
question 1-300 characters, 1-12 options of 1-100 characters, ``correct_option_ids``
monotonically increasing, explanation 0-200 characters with at most 2 line feeds after
entity parsing, description 0-1024, ``open_period`` 5-2628000 seconds). Each check raises
:class:`~bot.emulator.state.ApiError` with a description in Telegram's style.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.emulator.checks import format_text
from bot.emulator.state import ApiError, Json
from bot.telegram_html import ParsedText

MAX_QUESTION_LENGTH = 300
MIN_OPTIONS = 1
MAX_OPTIONS = 12
MAX_OPTION_LENGTH = 100
MAX_EXPLANATION_LENGTH = 200
MAX_EXPLANATION_LINE_FEEDS = 2
MAX_DESCRIPTION_LENGTH = 1024
MIN_OPEN_PERIOD = 5
MAX_OPEN_PERIOD = 2_628_000
POLL_TYPES = ("regular", "quiz")
_UNSUPPORTED = ("media", "explanation_media")


def question(params: Json) -> ParsedText:
    """The question: 1-300 UTF-16 units after parsing."""
    parsed = format_text(
        params["question"], params.get("question_parse_mode"), params.get("question_entities")
    )
    if not parsed.text.strip():
        raise ApiError.bad_request("poll question must be non-empty")
    if parsed.utf16_length > MAX_QUESTION_LENGTH:
        raise ApiError.bad_request(f"poll question length must not exceed {MAX_QUESTION_LENGTH}")
    return parsed


def options(raw: Any) -> list[ParsedText]:
    """The answer options (InputPollOption objects; plain strings as older clients send)."""
    if not isinstance(raw, list):
        raise ApiError.bad_request("can't parse options JSON object")
    if len(raw) < MIN_OPTIONS:
        raise ApiError.bad_request(f"poll must have at least {MIN_OPTIONS} option")
    if len(raw) > MAX_OPTIONS:
        raise ApiError.bad_request(f"poll can't have more than {MAX_OPTIONS} options")
    return [_option(item) for item in raw]


def _option(item: Any) -> ParsedText:
    if isinstance(item, str):
        item = {"text": item}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise ApiError.bad_request("can't parse InputPollOption")
    parsed = format_text(item["text"], item.get("text_parse_mode"), item.get("text_entities"))
    if not parsed.text.strip():
        raise ApiError.bad_request("poll options must be non-empty")
    if parsed.utf16_length > MAX_OPTION_LENGTH:
        raise ApiError.bad_request(f"poll options length must not exceed {MAX_OPTION_LENGTH}")
    return parsed


def poll_type(params: Json) -> str:
    kind = params.get("type") or "regular"
    if kind not in POLL_TYPES:
        raise ApiError.bad_request("wrong poll type specified")
    return str(kind)


def correct_options(params: Json, kind: str, option_count: int, multiple: bool) -> tuple[int, ...]:
    """A quiz's correct options: required, in range, increasing; exactly one unless the
    quiz allows multiple answers. A regular poll can't have any. The legacy single
    ``correct_option_id`` is understood too (when a call gets past the spec check, e.g.
    without a spec), as the same list of one."""
    ids: Any = params.get("correct_option_ids")
    if ids is None and params.get("correct_option_id") is not None:
        ids = [params["correct_option_id"]]
    if kind != "quiz":
        if ids:
            raise ApiError.bad_request("correct option IDs can be specified only for quizzes")
        return ()
    if not ids:
        raise ApiError.bad_request("correct option IDs must be specified for a quiz")
    if not isinstance(ids, list) or not all(_is_int(i) for i in ids):
        raise ApiError.bad_request("can't parse correct_option_ids JSON object")
    if any(not 0 <= i < option_count for i in ids) or sorted(set(ids)) != ids:
        raise ApiError.bad_request("wrong correct option IDs specified")
    if not multiple and len(ids) != 1:
        raise ApiError.bad_request("a quiz without multiple answers must have one correct option")
    return tuple(ids)


def explanation(params: Json) -> ParsedText | None:
    """A quiz's explanation: at most 200 UTF-16 units and 2 line feeds after parsing."""
    raw = params.get("explanation")
    if raw is None:
        return None
    parsed = format_text(
        raw, params.get("explanation_parse_mode"), params.get("explanation_entities")
    )
    if parsed.utf16_length > MAX_EXPLANATION_LENGTH:
        raise ApiError.bad_request(
            f"poll explanation length must not exceed {MAX_EXPLANATION_LENGTH}"
        )
    if parsed.text.count("\n") > MAX_EXPLANATION_LINE_FEEDS:
        raise ApiError.bad_request(
            f"poll explanation can't have more than {MAX_EXPLANATION_LINE_FEEDS} line feeds"
        )
    return parsed if parsed.text else None


def description(params: Json) -> ParsedText | None:
    raw = params.get("description")
    if raw is None:
        return None
    parsed = format_text(
        raw, params.get("description_parse_mode"), params.get("description_entities")
    )
    if parsed.utf16_length > MAX_DESCRIPTION_LENGTH:
        raise ApiError.bad_request("poll description is too long")
    return parsed if parsed.text else None


def closing(params: Json, now: int) -> tuple[int | None, int | None]:
    """``open_period`` or ``close_date`` (never both), each 5-2628000 seconds ahead."""
    period, date = params.get("open_period"), params.get("close_date")
    if period is not None and date is not None:
        raise ApiError.bad_request("can't use open_period and close_date together")
    if period is not None and not (
        _is_int(period) and MIN_OPEN_PERIOD <= period <= MAX_OPEN_PERIOD
    ):
        raise ApiError.bad_request("wrong open period specified")
    if date is not None and not (
        _is_int(date) and MIN_OPEN_PERIOD <= date - now <= MAX_OPEN_PERIOD
    ):
        raise ApiError.bad_request("wrong close date specified")
    return period, date


def options_for(params: Json, kind: str, anonymous: bool, chat_type: str) -> None:
    """Combinations Telegram refuses whatever the texts are."""
    for name in _UNSUPPORTED:
        if params.get(name) is not None:
            raise ApiError.bad_request(f"{name} is not supported by the emulator")
    if params.get("allow_adding_options") and (anonymous or kind == "quiz"):
        raise ApiError.bad_request(
            "adding options is not supported for anonymous polls and quizzes"
        )
    if chat_type == "channel" and not anonymous:
        raise ApiError.bad_request("non-anonymous polls can't be sent to channel chats")


def option_ids(ids: Sequence[int], option_count: int, multiple: bool) -> str | None:
    """What is wrong with a user's choice of options (None: a Telegram app allows it)."""
    if len(set(ids)) != len(ids):
        return f"options {list(ids)} repeat an option"
    if any(not 0 <= i < option_count for i in ids):
        return f"options {list(ids)} are out of range for a poll of {option_count} options"
    if len(ids) > 1 and not multiple:
        return "the poll allows only one answer"
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
