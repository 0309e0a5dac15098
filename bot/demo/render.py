"""Chat events as a learner would see them, written to a terminal or a plain log.

``ChatScreen`` is an emulator listener: it prints each event the moment the emulator
records it, so what appears is what a Telegram client would show at that point — a new
message, the same message again when the bot edits it, a toast when a button press is
answered, a poll's results once the learner has voted in it. Files the bot sends are
saved to disk, because a terminal cannot show them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TextIO

from bot.demo.session import VOTE
from bot.emulator import (
    BotApiEmulator,
    ChatEvent,
    ChatMessage,
    EmulatedPoll,
    EmulatorError,
    ParsedText,
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


def visible_text(event: ChatEvent, poll: EmulatedPoll | None = None) -> str:
    """Everything a learner could read in one bot event: text, link targets, button labels,
    and a poll (``poll``: the one the event's message carries) as ``poll_lines`` shows it.
    A poll event's note is not read: it marks the right answer before anyone voted."""
    body = entities_to_terminal(event.text, event.entities)
    labels = [label for row in event.buttons for label in row]
    if poll is not None:
        return "\n".join([*poll_lines(poll, event.chat_id), *(p for p in (body, *labels) if p)])
    return "\n".join(part for part in (event.note, body, *labels) if part)


def poll_lines(poll: EmulatedPoll, voter: int, *, ansi: bool = False) -> list[str]:
    """A poll as a Telegram client shows it to ``voter``: the kind, the question and the
    options numbered from 1 (what ``vote`` takes). Once they voted, or the poll closed,
    the results: each option's share, the right one(s), their choice marked ✅/❌, and
    a quiz's explanation."""
    kind = "Quiz" if poll.type == "quiz" else "Poll"
    if poll.allows_multiple_answers:
        kind += " · select all that apply"
    chosen = poll.votes.get(voter, ())
    if poll.is_closed:
        kind += " · closed"
    elif chosen:
        kind += " · answered"
    lines = [f"📊 {kind}", entities_to_terminal(poll.question, poll.question_entities, ansi=ansi)]
    if poll.description is not None:
        lines.append(_terminal(poll.description, ansi))
    results = bool(chosen) or poll.is_closed
    voters = poll.total_voter_count
    for index, (option, count) in enumerate(zip(poll.options, poll.voter_counts, strict=True)):
        line = f"{index + 1}. {_terminal(option, ansi)}"
        if not results:
            lines.append(line)
            continue
        right = index in poll.correct_option_ids
        mark = ("✅" if right or poll.type != "quiz" else "❌") if index in chosen else "  "
        tags = [f"{round(100 * count / voters) if voters else 0}%"]
        tags += ["right answer"] * right + ["your answer"] * (index in chosen)
        lines.append(f"{mark} {line} — {', '.join(tags)}")
    if results and poll.explanation is not None:
        lines.append(f"💡 {_terminal(poll.explanation, ansi)}")
    return lines


def _terminal(text: ParsedText, ansi: bool) -> str:
    return entities_to_terminal(text.text, text.entities, ansi=ansi)


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
        if event.kind == "vote":
            return self._vote(event)
        if event.kind == "answer" and event.text:
            kind = "alert" if event.note == "alert" else "notice"
            return self._style(f"[{kind}] {' '.join(event.text.split())}", _YELLOW)
        if event.kind == "delete" and event.from_bot:
            first = (event.text.splitlines() or [""])[0]
            return self._style(f"({event.actor} deleted the message “{first[:60]}”)", _DIM)
        return None

    def _bot_message(self, event: ChatEvent) -> str:
        message = self._message(event)
        label = event.actor if event.kind == "message" else f"{event.actor} (edited)"
        attachment = None
        if event.kind == "message" and message is not None:
            attachment = self._downloads.save(message)
        body = entities_to_terminal(event.text, event.entities, ansi=self._ansi)
        lines = [attachment] if attachment else []
        return self._block(label, lines + (body.split("\n") if body else []), message)

    def _vote(self, event: ChatEvent) -> str:
        """The learner's vote, then the poll again with its results, which is what a
        Telegram client turns the poll into once its user has voted."""
        message = self._message(event)
        poll = message.poll if message is not None else None
        if message is None or poll is None or message.sender is None:
            return self._style(f"(you voted [{event.text}])", _DIM)
        chosen = poll.votes.get(self._chat_id, ())
        picked = ", ".join(f"{i + 1}. {poll.option_text(i)}" for i in chosen)
        voted = f"(you voted [{picked}])" if chosen else "(you retracted your vote)"
        results = self._block(f"{message.sender.display_name} (results)", [], message)
        return f"{self._style(voted, _DIM)}\n{results}"

    def _block(self, label: str, lines: list[str], message: ChatMessage | None) -> str:
        """A bot message under its label: ``lines``, then its poll and its buttons."""
        poll = message.poll if message is not None else None
        if poll is not None:
            lines = lines + poll_lines(poll, self._chat_id, ansi=self._ansi)
            if not poll.is_closed and not poll.votes.get(self._chat_id):
                example = "1 2" if poll.allows_multiple_answers else "2"
                lines.append(self._style(f"(answer with {VOTE} N, e.g. {VOTE} {example})", _DIM))
        if message is not None:
            lines = lines + [self._style(row, _CYAN) for row in button_rows(message)]
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
