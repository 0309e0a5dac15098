"""Where a message typed in a private chat goes: to what a screen asked for, else to the
tutor (domain.inputs).

A feature that asks for text declares its handler in its own module's `INPUTS = Inputs()`
with `@INPUTS.on("kind")`, merged below like the buttons; a kind with two handlers fails
at start-up. A handler gets the awaited `Pending` and decides itself what comes next
(the next step, or done); `media=True` handlers also get photos, documents and the like,
which otherwise get the "text only" note.
"""

from __future__ import annotations

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers import fallback, help_requests, tutor
from bot.handlers.base import Buttons, CommandHandler, Input, Inputs, Reply, command
from bot.views.screen import Screen, plain
from domain.inputs import Pending
from domain.users import User

CANCELLED = "Cancelled."
NOTHING_TO_CANCEL = "Nothing to cancel."


# Every feature's table.
INPUTS = Inputs.merged(help_requests.INPUTS)
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
        answered = await help_requests.reply_to_post(context, user, update)
        if answered is not None:  # a Telegram reply to a relayed message: its request's
            return answered.reply
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
