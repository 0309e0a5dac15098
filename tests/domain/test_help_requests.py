"""The rules of asking a human tutor that need no database: what a message may hold, and
how waiting times are summarised."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import HelpRefused, Reason
from domain.help_requests import MESSAGE_LIMIT, clean_message, clean_text, percentile


def test_a_question_is_trimmed_and_must_say_something_within_the_limit() -> None:
    assert clean_text("  Why?  ", 3000) == "Why?"
    with pytest.raises(HelpRefused) as empty:
        clean_text(" \n ", 3000)
    assert empty.value.reason is Reason.HELP_EMPTY
    with pytest.raises(HelpRefused) as long:
        clean_text("x" * 3001, 3000)
    assert (long.value.reason, long.value.limit, long.value.length) == (
        Reason.HELP_TOO_LONG,
        3000,
        3001,
    )


def test_a_file_may_come_without_words_but_a_message_may_not_be_empty() -> None:
    assert clean_message("", "photo") == ""
    with pytest.raises(HelpRefused):
        clean_message("", None)
    with pytest.raises(HelpRefused):
        clean_message("x" * (MESSAGE_LIMIT + 1), None)


def test_waiting_times_are_nearest_rank_percentiles() -> None:
    waits = [timedelta(minutes=m) for m in (5, 1, 30, 10, 120)]
    assert percentile(waits, 0.5) == timedelta(minutes=10)
    assert percentile(waits, 0.9) == timedelta(minutes=120)
    assert percentile([], 0.5) is None
