"""/mydata (a copy of everything stored about the learner, as a JSON document) and /deleteme
(erase it, once confirmed with a button; what goes and what stays: domain.privacy)."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.callbacks import Action
from bot.context import TutorContext
from bot.handlers.profile import profile_of
from bot.handlers.render import show
from bot.views import privacy as views
from domain.privacy import Outcome
from domain.users import User


async def mydata(update: Update, context: TutorContext) -> None:
    message = update.effective_message
    if update.effective_user is None or message is None:
        return
    user = await context.services.users.register(profile_of(update.effective_user))
    name, data = views.export_file(await context.services.privacy.export(user.id))
    await message.reply_document(InputFile(data, filename=name), caption=views.EXPORT_CAPTION)


async def deleteme(update: Update, context: TutorContext) -> None:
    if update.effective_user is None:
        return
    user = await context.services.users.register(profile_of(update.effective_user))
    request = await context.services.privacy.ask_to_erase(user.id)
    await show(update, views.confirm(request, user))


async def _confirm(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    assert a.request is not None
    outcome = await context.services.privacy.erase(
        user.id, a.request, through_update=update.update_id
    )
    if outcome is Outcome.ERASED:
        await show(update, views.ERASED)
        return views.ERASED_TOAST
    if outcome is Outcome.EXPIRED:
        await show(update, views.EXPIRED)
        return views.EXPIRED_TOAST
    # Already carried out (a double tap: the message says so already), cancelled or replaced.
    return views.NOT_PENDING_TOAST


async def _cancel(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    assert a.request is not None
    if await context.services.privacy.cancel(user.id, a.request):
        await show(update, views.CANCELLED)
        return None
    return views.NOT_PENDING_TOAST


BUTTONS = {"erase_confirm": _confirm, "erase_cancel": _cancel}

# Dispatched without writing the user row first (bot/handlers/buttons.py): a second press
# of "Yes, erase" must not bring back the profile the first one erased. These handlers read
# only the user's id.
UNREGISTERED = frozenset(BUTTONS)
