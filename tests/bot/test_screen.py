"""A screen's HTML displays as Telegram stores it: what "already shown" compares on a press."""

from __future__ import annotations

from collections import Counter

from bot.telegram_html import parse_html
from bot.views.screen import Displayed, Screen, displayed


def test_a_screen_displays_as_the_message_telegram_stores() -> None:
    html = "\n <b>Module 1</b> · 📘 <i>Normal</i>\n<a href='example.org'>docs</a> <b> </b>\n"
    stored = parse_html(html)  # what the emulator, like Telegram, keeps of a sent message

    assert Screen(html).displayed == Displayed.of(stored.text, stored.entities)
    assert displayed(html) == Displayed(
        "Module 1 · 📘 Normal\ndocs",
        Counter({("bold", "Module 1"): 1, ("italic", "Normal"): 1, ("text_link", "docs"): 1}),
    )


def test_only_formatting_tells_screens_apart() -> None:
    # A mention is filled in by Telegram; a link Telegram drops shows as plain text.
    assert displayed("Hi <a href='tg://user?id=42'>Ada</a>") == displayed("Hi Ada")
    assert displayed("<a href='not a url'>x</a>") == displayed("x")
    assert displayed("<b>x</b>") != displayed("<i>x</i>")


def test_html_telegram_refuses_displays_as_itself() -> None:
    assert displayed("<div>x</div>") == Displayed("<div>x</div>", Counter())


def test_every_caller_gets_its_own_formatting() -> None:
    first = displayed("<b>kept</b>")
    first.formatting.clear()
    assert displayed("<b>kept</b>").formatting == Counter({("bold", "kept"): 1})
