"""A screen: one message's HTML text and its inline keyboard."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any, NotRequired, TypedDict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import action
from bot.telegram_html import HtmlError, parse_html


class Button(TypedDict):
    """An inline keyboard button as the Bot API's JSON has it. Plain data rather than PTB
    objects: building and serialising those cost ~0.35 ms per screen, ~8 % of the bot's
    CPU under load (docs/performance.md)."""

    text: str
    callback_data: NotRequired[str]
    url: NotRequired[str]


@dataclass(frozen=True)
class Screen:
    text: str
    rows: list[list[Button]] = field(default_factory=list)
    # The toast for a press that finds this very screen already shown (Telegram refuses an
    # edit that changes nothing, and the learner should still see that the press landed).
    unchanged: str = "You're already here."

    @property
    def keyboard(self) -> dict[str, Any] | None:
        """The `reply_markup` JSON, for calls sent raw (`TutorBot.post`)."""
        return {"inline_keyboard": self.rows} if self.rows else None

    @property
    def displayed(self) -> Displayed:
        """What Telegram will show for this screen's HTML: the text and its formatting."""
        return displayed(self.text)

    @property
    def markup(self) -> InlineKeyboardMarkup | None:
        """The same keyboard as PTB objects, for PTB's typed methods."""
        if not self.rows:
            return None
        return InlineKeyboardMarkup([[InlineKeyboardButton(**b) for b in row] for row in self.rows])


def button(label: str, name: str, **fields: object) -> Button:
    return {"text": label, "callback_data": action(name, **fields)}


def opening(label: str, name: str, **fields: object) -> Button:
    """A button whose screen opens in a new message, leaving the message it is under as
    it is (a tutor's answer, a quiz result: worth keeping in the chat)."""
    return {"text": label, "callback_data": action(name, new_message=True, **fields)}


def link(label: str, url: str) -> Button:
    return {"text": label, "url": url}


def bar(percent: int, width: int = 10) -> str:
    filled = round(width * percent / 100)
    return "▰" * filled + "▱" * (width - filled) + f" {percent}%"


# The entity types that change how a message looks; the others (a mention, a custom emoji,
# a date) Telegram fills in or leaves alone, and don't tell two screens apart here.
FORMATTING = frozenset(
    {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "code",
        "pre",
        "text_link",
        "blockquote",
        "spoiler",
    }
)


@dataclass(frozen=True)
class Displayed:
    """A message as the learner sees it: the plain text, and each piece of formatting as
    (entity type, the text it covers). Two messages that display the same are, to
    Telegram, the same message: editing one into the other is refused as "not modified"."""

    text: str
    formatting: Counter[tuple[str, str]]

    @classmethod
    def of(cls, text: str, entities: Iterable[Mapping[str, Any]]) -> Displayed:
        """What a message Telegram stored (text + Bot API entities) shows."""
        return cls(text.strip(" \n"), Counter(_formatting(text, entities)))


def displayed(html: str) -> Displayed:
    """What Telegram will show for `html`, worked out by the same parser the emulator checks
    every message with (bot/telegram_html.py), so that "already shown" agrees with what
    Telegram stores. HTML Telegram would refuse shows as itself, like nothing on screen."""
    text, formatting = _displayed(html)
    return Displayed(text, Counter(formatting))


@functools.lru_cache(maxsize=256)
def _displayed(html: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Parsing is the costly part (a topic page takes ~0.2 ms), and the same topic pages
    and menus come back press after press: each HTML is parsed once. The cached value is
    immutable; every caller gets a Counter of its own."""
    try:
        parsed = parse_html(html)
    except HtmlError:
        return html, ()
    return parsed.text.strip(" \n"), tuple(_formatting(parsed.text, parsed.entities))


def _formatting(text: str, entities: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, str]]:
    """(entity type, the text it covers) for each piece of formatting in a message; offsets
    and lengths are in UTF-16 code units, as Telegram counts them."""
    encoded = text.encode("utf-16-le", "surrogatepass")
    for entity in entities:
        if entity["type"] in FORMATTING:
            start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
            covered = encoded[start:end].decode("utf-16-le", "replace").strip(" \n")
            if covered:
                yield entity["type"], covered


def plain(text: str) -> Screen:
    """A screen of plain text (shown as typed: nothing in it is read as HTML)."""
    return Screen(escape(text))
