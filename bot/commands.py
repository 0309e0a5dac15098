"""The command menu Telegram shows next to the input field (registered with setMyCommands)."""

from __future__ import annotations

COMMANDS: list[tuple[str, str]] = [
    ("start", "Start or restart: your courses and the catalog"),
    ("help", "What I can do"),
]
