"""/broadcast <course-slug|all> <text>: a draft with the audience size, then the send
button; the sending runs in the background and edits the same message with progress."""

from __future__ import annotations

from telegram import Update

from bot.broadcasts import start_sending
from bot.callbacks import Action
from bot.context import TutorContext
from bot.handlers.admin import show_plain
from bot.handlers.profile import profile_of
from bot.handlers.render import show
from bot.views import admin as admin_views
from bot.views import broadcast as views
from bot.views.refusals import refusal_text
from bot.views.screen import Screen
from domain.admin import Action as StaffAction
from domain.errors import AccessDenied
from domain.users import User


async def broadcast_command(update: Update, context: TutorContext) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    user = await context.services.users.register(profile_of(update.effective_user))
    parts = message.text.split(maxsplit=2)
    try:
        await context.services.admin.require(user.id, StaffAction.BROADCAST, " ".join(parts[1:2]))
        if len(parts) < 3:
            await show(update, admin_views.usage("broadcast"))
            return
        draft = await context.services.broadcasts.draft(user.id, parts[1], parts[2])
    except AccessDenied as refused:
        await show_plain(update, refusal_text(refused))
        return
    await show(update, views.draft(draft))


async def _send(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    assert a.broadcast is not None
    query = update.callback_query
    assert query is not None and query.message is not None
    progress = await context.services.broadcasts.confirm(
        user.id, a.broadcast, query.message.chat.id, query.message.message_id
    )
    await show(update, Screen(views.progress(progress)))
    start_sending(context.application, a.broadcast)
    return "Sending…"


async def _cancel(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    assert a.broadcast is not None
    await context.services.broadcasts.cancel(user.id, a.broadcast)
    await show(update, views.cancelled())
    return None


BUTTONS = {"broadcast_send": _send, "broadcast_cancel": _cancel}
