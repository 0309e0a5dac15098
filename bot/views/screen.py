"""A screen: one message's HTML text and its inline keyboard."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import action


@dataclass(frozen=True)
class Screen:
    text: str
    rows: list[list[InlineKeyboardButton]] = field(default_factory=list)

    @property
    def markup(self) -> InlineKeyboardMarkup | None:
        return InlineKeyboardMarkup(self.rows) if self.rows else None


def button(label: str, name: str, **fields: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=action(name, **fields))


def link(label: str, url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, url=url)


def bar(percent: int, width: int = 10) -> str:
    filled = round(width * percent / 100)
    return "▰" * filled + "▱" * (width - filled) + f" {percent}%"
