"""The command menu Telegram shows next to the input field (registered with setMyCommands)."""

from __future__ import annotations

COMMANDS: list[tuple[str, str]] = [
    ("start", "Start or restart: your courses and the catalog"),
    ("courses", "The course catalog"),
    ("progress", "Your progress in every course"),
    ("help", "What I can do"),
]
