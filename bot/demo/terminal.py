"""The interactive chat: read what the learner types, show the bot's replies, repeat.

Input is read by a daemon thread with plain ``os.read`` rather than ``loop.add_reader``:
``add_reader`` refuses stdin redirected from a file, and making stdin non-blocking would
also make the shared terminal's stdout non-blocking. A daemon thread stuck in a read
never delays the exit, and the terminal is never left in a changed mode.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from contextlib import suppress

from bot.demo.render import ChatScreen
from bot.demo.session import VOTE, Button, DemoChat, is_vote, parse_vote
from bot.emulator import EmulatorError

QUIT = "/quit"


class StdinLines:
    """Lines from a file descriptor, delivered to the event loop; None marks the end."""

    def __init__(self, fd: int = 0) -> None:
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=self._read, name="demo-stdin", daemon=True).start()

    async def next(self) -> str | None:
        return await self._lines.get()

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self._fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                if pending:
                    self._push(pending.decode("utf-8", "replace"))
                self._push(None)
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                self._push(line.decode("utf-8", "replace").rstrip("\r"))

    def _push(self, item: str | None) -> None:
        with suppress(RuntimeError):  # the loop is already closed: the demo is exiting
            self._loop.call_soon_threadsafe(self._lines.put_nowait, item)


async def chat_in_terminal(chat: DemoChat, screen: ChatScreen, *, show_prompt: bool) -> None:
    """Run the chat until /quit, end of input (Ctrl-D) or Ctrl-C/SIGTERM; all end cleanly."""
    loop = asyncio.get_running_loop()
    session = asyncio.create_task(_converse(chat, screen, show_prompt=show_prompt))
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    for sig in stop_signals:
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, session.cancel)
    try:
        await asyncio.wait([session])
    finally:
        session.cancel()
        for sig in stop_signals:
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    if session.cancelled():
        screen.input_taken()
        screen.write("")
    else:
        session.result()  # re-raise what went wrong inside


async def _converse(chat: DemoChat, screen: ChatScreen, *, show_prompt: bool) -> None:
    lines = StdinLines()
    while True:
        if show_prompt:
            screen.prompt()
        line = await lines.next()
        screen.input_taken()
        if line is None:  # Ctrl-D or the end of piped input
            if show_prompt:
                screen.write("")
            return
        text = line.strip()
        if text == QUIT:
            return
        if text:
            await _handle(chat, screen, text)
            for problem in chat.problems():
                screen.warn(problem)


async def _handle(chat: DemoChat, screen: ChatScreen, text: str) -> None:
    """A number presses that button of the newest message with buttons, ``vote N`` answers
    the newest open poll; the rest is sent."""
    if is_vote(text):
        await _vote(chat, screen, text[len(VOTE) :])
        return
    buttons = chat.buttons()
    if not (text.isdigit() and buttons):
        try:
            await chat.send(text)
        except EmulatorError as exc:  # e.g. longer than a Telegram message can be
            screen.notice(str(exc))
        return
    chosen = next((b for b in buttons if b.number == int(text)), None)
    if chosen is None:
        screen.notice(f"there is no button {text}; the newest buttons are 1-{len(buttons)}")
        return
    await _press(chat, screen, chosen)


async def _press(chat: DemoChat, screen: ChatScreen, button: Button) -> None:
    if button.callback_data is None:
        where = f"would open {button.url}" if button.url else "cannot be pressed in the demo"
        screen.notice(f"[{button.label}] {where}")
        return
    try:
        await chat.press(button)
    except EmulatorError as exc:  # e.g. the message was deleted meanwhile
        screen.notice(str(exc))


async def _vote(chat: DemoChat, screen: ChatScreen, argument: str) -> None:
    try:
        await chat.vote(parse_vote(argument))
    except (ValueError, EmulatorError) as exc:  # e.g. no such option, or the poll is closed
        screen.notice(str(exc))
