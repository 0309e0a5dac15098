"""A screen: one message's HTML text and its inline keyboard."""

from __future__ import annotations

from dataclasses import dataclass, field
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

    @property
    def keyboard(self) -> dict[str, Any] | None:
        """The `reply_markup` JSON, for calls sent raw (`TutorBot.post`)."""
        return {"inline_keyboard": self.rows} if self.rows else None

    @property
    def markup(self) -> InlineKeyboardMarkup | None:
        """The same keyboard as PTB objects, for PTB's typed methods."""
        if not self.rows:
            return None
        return InlineKeyboardMarkup([[InlineKeyboardButton(**b) for b in row] for row in self.rows])


def button(label: str, name: str, **fields: object) -> Button:
    return {"text": label, "callback_data": action(name, **fields)}


def link(label: str, url: str) -> Button:
    return {"text": label, "url": url}


def bar(percent: int, width: int = 10) -> str:
    filled = round(width * percent / 100)
    return "▰" * filled + "▱" * (width - filled) + f" {percent}%"
