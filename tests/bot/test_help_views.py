"""What a person writes to a tutor (or back) is relayed in messages within Telegram's
count."""

from __future__ import annotations

from bot.telegram_html import utf16_len
from bot.views.help_requests import split_text


def test_a_long_text_is_cut_between_words_within_telegrams_count() -> None:
    text = ("word " * 2000).strip()  # 9,999 characters
    pieces = split_text(text, 3800)
    assert len(pieces) == 3
    assert all(utf16_len(p) <= 3800 for p in pieces)
    assert " ".join(pieces) == text
    emoji = "😀" * 3000  # two UTF-16 units each, as Telegram counts them
    assert all(utf16_len(p) <= 3800 for p in split_text(emoji, 3800))
    assert "".join(split_text(emoji, 3800)) == emoji
