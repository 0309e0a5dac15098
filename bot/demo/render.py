"""Chat events as a learner would see them, written to a terminal or a plain log.

``ChatScreen`` is an emulator listener: it prints each event the moment the emulator
records it, so what appears is what a Telegram client would show at that point — a new
message, the same message again when the bot edits it, a toast when a button press is
answered. Files the bot sends are saved to disk, because a terminal cannot show them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TextIO

from bot.emulator import (
    BotApiEmulator,
    ChatEvent,
    ChatMessage,
    EmulatorError,
    entities_to_terminal,
)

_INDENT = "  "
_PROMPT = "> "
_BOLD, _DIM, _CYAN, _YELLOW, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[33m", "\x1b[0m"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def wants_ansi(stream: TextIO) -> bool:
    """Colours only on a real terminal, and never when the user opted out (NO_COLOR)."""
    return (
        stream.isatty()
        and "NO_COLOR" not in os.environ
        and os.environ.get("TERM", "") not in ("", "dumb")
    )


def visible_text(event: ChatEvent) -> str:
    """Everything a learner could read in one bot event: text, link targets, button labels."""
    body = entities_to_terminal(event.text, event.entities)
    labels = [label for row in event.buttons for label in row]
    return "\n".join(part for part in (event.note, body, *labels) if part)


def button_rows(message: ChatMessage) -> list[str]:
    """``[1] Enroll  [2] Catalog`` per keyboard row, numbered across rows as typed."""
    rows: list[str] = []
    number = 0
    for row in message.inline_keyboard:
        cells = []
        for button in row:
            number += 1
            cell = f"[{number}] {button.get('text', '')}"
            if button.get("url"):
                cell += f" ({button['url']})"
            cells.append(cell)
        rows.append("  ".join(cells))
    return rows


class Downloads:
    """Saves documents and photos the bot sends into one folder, named after the message."""

    def __init__(self, emulator: BotApiEmulator, folder: Path) -> None:
        self._emulator = emulator
        self._folder = folder

    def save(self, message: ChatMessage) -> str | None:
        """Write the message's file and say where; None when the message carries no file."""
        if message.document is not None:
            kind, file_id = "document", message.document["file_id"]
        elif message.photo:
            kind, file_id = "photo", message.photo[-1]["file_id"]
        else:
            return None
        stored = self._emulator.files.get(file_id)
        if stored is None:
            return f"[{kind}]"
        if stored.data is None:
            return f"[{kind} at {stored.source_url}]"
        name = stored.file_name or Path(stored.file_path).name
        path = self._folder / f"{message.message_id}-{_UNSAFE_NAME.sub('_', name) or 'file'}"
        self._folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(stored.data)
        return f"[{kind} saved to {path}]"


class ChatScreen:
    """Prints one chat's events; keeps the input prompt at the bottom while the bot talks.

    ``echo_learner``: print the learner's own messages (a script's transcript needs them;
    on an interactive terminal the user already sees what they typed).
    """

    def __init__(
        self,
        emulator: BotApiEmulator,
        chat_id: int,
        out: TextIO,
        *,
        ansi: bool,
        downloads: Downloads,
        echo_learner: bool,
    ) -> None:
        self._emulator = emulator
        self._chat_id = chat_id
        self._out = out
        self._ansi = ansi
        self._downloads = downloads
        self._echo_learner = echo_learner
        self._prompt_shown = False

    # -- output ------------------------------------------------------------------------------

    def __call__(self, event: ChatEvent) -> None:
        if event.chat_id != self._chat_id:
            return
        text = self.render(event)
        if text is not None:
            self.write(text)

    def write(self, text: str) -> None:
        """Print a block; if the prompt is showing, print above it and show it again."""
        if self._prompt_shown:
            self._out.write("\r\x1b[K" if self._ansi else "\n")
        self._out.write(text + "\n")
        if self._prompt_shown:
            self._out.write(self._style(_PROMPT, _BOLD))
        self._out.flush()

    def notice(self, text: str) -> None:
        """A line from the demo itself, not from the bot."""
        self.write(self._style(text, _DIM))

    def warn(self, text: str) -> None:
        self.write(self._style(f"! {text}", _YELLOW))

    def prompt(self) -> None:
        self._out.write(self._style(_PROMPT, _BOLD))
        self._out.flush()
        self._prompt_shown = True

    def input_taken(self) -> None:
        """The user pressed Enter: the prompt line is now part of the history."""
        self._prompt_shown = False

    # -- rendering ---------------------------------------------------------------------------

    def render(self, event: ChatEvent) -> str | None:
        """The event as terminal text, or None for what a learner wouldn't notice."""
        if event.kind in ("message", "edit") and event.from_bot:
            return self._bot_message(event)
        if event.kind == "message" and self._echo_learner:
            return self._style(f"{_PROMPT}{event.text or event.note}", _BOLD)
        if event.kind == "press":
            return self._style(f"(you pressed [{event.text}])", _DIM)
        if event.kind == "answer" and event.text:
            kind = "alert" if event.note == "alert" else "notice"
            return self._style(f"[{kind}] {' '.join(event.text.split())}", _YELLOW)
        if event.kind == "delete" and event.from_bot:
            first = (event.text.splitlines() or [""])[0]
            return self._style(f"({event.actor} deleted the message “{first[:60]}”)", _DIM)
        return None

    def _bot_message(self, event: ChatEvent) -> str:
        message = self._message(event)
        lines: list[str] = []
        if event.kind == "message" and message is not None:
            attachment = self._downloads.save(message)
            if attachment:
                lines.append(attachment)
        body = entities_to_terminal(event.text, event.entities, ansi=self._ansi)
        lines += body.split("\n") if body else []
        if message is not None:
            lines += [self._style(row, _CYAN) for row in button_rows(message)]
        label = event.actor if event.kind == "message" else f"{event.actor} (edited)"
        head = self._style(f"{label}:", _BOLD + _CYAN)
        first, *rest = lines or [""]
        indented = [f"{_INDENT}{line}" if line else "" for line in rest]
        return "\n".join([f"{head} {first}".rstrip(), *indented, ""])

    def _message(self, event: ChatEvent) -> ChatMessage | None:
        if event.message_id is None:
            return None
        try:
            return self._emulator.message(event.chat_id, event.message_id)
        except EmulatorError:
            return None

    def _style(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self._ansi else text
