"""Chat events as readable text — for test failure messages and the terminal demo.

A transcript is written from the events (not from the final state of messages) so that
an edited message shows up where the edit happened, which is how the user experienced it:

    Ada: /start
    Tutorbot: Welcome! Pick a course.
      [Python] [SQL]
    Ada pressed [Python]
    Tutorbot (answer): Loading…
    Tutorbot (edited #2): You are enrolled in Python.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.emulator.state import ChatEvent
from bot.telegram_html import entities_to_terminal

_INDENT = "  "


def render_event(event: ChatEvent, *, ansi: bool = False) -> str:
    """One event as one or more lines (buttons go on their own line under the text)."""
    body = entities_to_terminal(event.text, event.entities, ansi=ansi)
    if event.kind == "press":
        return f"{event.actor} pressed [{event.text}]"
    if event.kind == "answer":
        kind = "alert" if event.note == "alert" else "answer"
        return f"{event.actor} ({kind}): {body}" if body else f"{event.actor} (answered silently)"
    if event.kind == "vote":
        return (
            f"{event.actor} voted [{event.text}]"
            if event.text
            else f"{event.actor} retracted their vote"
        )
    if event.kind == "action":
        return f"{event.actor} is {event.text.replace('_', ' ')}…"
    if event.kind == "delete":
        return f"{event.actor} deleted #{event.message_id}"
    label = (
        event.actor if event.kind == "message" else f"{event.actor} (edited #{event.message_id})"
    )
    content = " ".join(part for part in (event.note, body) if part)
    lines = [f"{label}: {content}"]
    extra_lines = content.split("\n")
    if len(extra_lines) > 1:
        lines = [f"{label}: {extra_lines[0]}", *(_INDENT + line for line in extra_lines[1:])]
    if event.buttons:
        lines.append(_INDENT + " ".join(f"[{b}]" for row in event.buttons for b in row))
    return "\n".join(lines)


def render_transcript(
    events: Iterable[ChatEvent], *, ansi: bool = False, include_actions: bool = False
) -> str:
    """The whole conversation; chat actions ("typing…") are left out unless asked for."""
    return "\n".join(
        render_event(event, ansi=ansi)
        for event in events
        if include_actions or event.kind != "action"
    )
