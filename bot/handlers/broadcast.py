"""/broadcast <course-slug|all> <text>: a draft with the audience size, then the send
button; the sending runs in the background and edits the same message with progress."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.handlers.render import show
from bot.jobs.broadcast import start_sending
from bot.views import admin as admin_views
from bot.views import broadcast as views
from bot.views.screen import Screen
from domain.admin import Action as StaffAction
from domain.users import User

BUTTONS = Buttons()


@command
async def broadcast_command(context: TutorContext, user: User, update: Update) -> Reply | None:
    message = update.effective_message
    if message is None or message.text is None:
        return None
    parts = message.text.split(maxsplit=2)
    await context.services.admin.require(user.id, StaffAction.BROADCAST, " ".join(parts[1:2]))
    if len(parts) < 3:
        return Reply(admin_views.usage("broadcast"))
    return Reply(views.draft(await context.services.broadcasts.draft(user.id, parts[1], parts[2])))


@BUTTONS.on(press.BroadcastSend)
async def _send(context: TutorContext, user: User, update: Update, p: press.BroadcastSend) -> Reply:
    query = update.callback_query
    assert query is not None and query.message is not None
    progress = await context.services.broadcasts.confirm(
        user.id, p.broadcast, query.message.chat.id, query.message.message_id
    )
    await show(update, Screen(views.progress(progress)))
    start_sending(context.application, p.broadcast)
    return Reply(toast="Sending…")


@BUTTONS.on(press.BroadcastCancel)
async def _cancel(context: TutorContext, user: User, _u: Update, p: press.BroadcastCancel) -> Reply:
    await context.services.broadcasts.cancel(user.id, p.broadcast)
    return Reply(views.cancelled())
