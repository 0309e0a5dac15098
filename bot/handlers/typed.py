"""Where a message typed in a private chat goes: to what a screen asked for, else to the
tutor (domain.inputs).

A feature that asks for text declares its handler in its own module's `INPUTS = Inputs()`
with `@INPUTS.on("kind")`, merged below like the buttons; a kind with two handlers fails
at start-up. A handler gets the awaited `Pending` and decides itself what comes next
(the next step, or done); `media=True` handlers also get photos, documents and the like,
which otherwise get the "text only" note.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers import fallback, tutor
from bot.handlers.base import Buttons, CommandHandler, Reply, command
from bot.views.screen import Screen, plain
from domain.inputs import Pending
from domain.users import User

InputHandler = Callable[[TutorContext, User, Update, Pending], Awaitable[Reply | None]]

CANCELLED = "Cancelled."
NOTHING_TO_CANCEL = "Nothing to cancel."


@dataclass(frozen=True, slots=True)
class Input:
    kind: str
    run: InputHandler
    media: bool


class Inputs:
    """A table of handlers for awaited text, one per kind."""

    def __init__(self) -> None:
        self._inputs: dict[str, Input] = {}

    def on(self, kind: str, *, media: bool = False) -> Callable[[InputHandler], InputHandler]:
        def add(run: InputHandler) -> InputHandler:
            self.add(Input(kind, run, media))
            return run

        return add

    def add(self, handler: Input) -> None:
        if handler.kind in self._inputs:
            raise ValueError(f"two handlers for the awaited input {handler.kind!r}")
        self._inputs[handler.kind] = handler

    def get(self, kind: str) -> Input | None:
        return self._inputs.get(kind)

    @classmethod
    def merged(cls, *tables: Inputs) -> Inputs:
        merged = cls()
        for table in tables:
            for handler in table._inputs.values():
                merged.add(handler)
        return merged


# Every feature's table (none yet besides this module's own).
INPUTS = Inputs.merged()
BUTTONS = Buttons()


async def _awaited(context: TutorContext, user: User, media: bool) -> tuple[Input, Pending] | None:
    pending = await context.services.inputs.pending(user.id)
    if pending is None:
        return None
    handler = INPUTS.get(pending.kind)
    if handler is None:  # a kind from a newer or older version: forget it
        await context.services.inputs.clear(user.id, pending.kind)
        return None
    if media and not handler.media:
        return None
    return handler, pending


def _routed(media: bool, otherwise: CommandHandler):
    """A message to what a screen awaits, if anything does; else to `otherwise`."""

    @command
    async def route(context: TutorContext, user: User, update: Update) -> Reply | None:
        found = await _awaited(context, user, media=media)
        if found is None:
            return await otherwise(context, user, update)
        handler, pending = found
        return await handler.run(context, user, update, pending)

    return route


async def _not_text(context: TutorContext, user: User, update: Update) -> Reply:
    return Reply(plain(fallback.NOT_TEXT))


on_text = _routed(False, tutor.ask)
on_media = _routed(True, _not_text)


@command
async def cancel(context: TutorContext, user: User, update: Update) -> Reply:
    cleared = await context.services.inputs.clear(user.id)
    return Reply(plain(CANCELLED if cleared else NOTHING_TO_CANCEL))


@BUTTONS.on(press.CancelInput)
async def _cancel(context: TutorContext, user: User, update: Update, p: press.CancelInput) -> Reply:
    await context.services.inputs.clear(user.id, p.kind or None)
    return Reply(Screen(CANCELLED), toast=CANCELLED)
