"""A screen: one message's HTML text and its inline keyboard."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import Any, NotRequired, TypedDict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import action


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


# Telegram's entity type for each HTML tag it accepts (aliases included).
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
}
FORMATTING = frozenset(_ENTITY_TYPES.values())


@dataclass(frozen=True)
class Displayed:
    """A message as the learner sees it: the plain text, and each piece of formatting as
    (entity type, the text it covers). Two messages that display the same are, to
    Telegram, the same message: editing one into the other is refused as "not modified"."""

    text: str
    formatting: Counter[tuple[str, str]]


def displayed(html: str) -> Displayed:
    parser = _Displayed()
    parser.feed(html)
    parser.close()
    text = "".join(parser.text)
    spans = Counter(
        (kind, covered)
        for kind, start, end in parser.spans
        if (covered := text[start:end].strip(" \n"))
    )
    return Displayed(text.strip(" \n"), spans)


class _Displayed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.spans: list[tuple[str, int, int]] = []
        self._open: list[tuple[str, int]] = []
        self._length = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _ENTITY_TYPES.get(tag)
        if tag == "span" and ("class", "tg-spoiler") in attrs:
            kind = "spoiler"
        if tag == "code" and self._open and self._open[-1][0] == "pre":
            kind = None  # <pre><code class="language-x"> is one "pre" entity
        self._open.append((kind or "", self._length))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            kind, start = self._open.pop()
            if kind:
                self.spans.append((kind, start, self._length))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self._length += len(data)


def plain(text: str) -> Screen:
    """A screen of plain text (shown as typed: nothing in it is read as HTML)."""
    return Screen(escape(text))
