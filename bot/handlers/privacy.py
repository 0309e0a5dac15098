"""/mydata (a copy of everything stored about the learner, as a JSON document) and /deleteme
(erase it, once confirmed with a button; what goes and what stays: domain.privacy)."""

from __future__ import annotations

from telegram import InputFile, Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.views import privacy as views
from domain.privacy import Outcome
from domain.users import User

BUTTONS = Buttons()


@command
async def mydata(context: TutorContext, user: User, update: Update) -> None:
    name, data = views.export_file(await context.services.privacy.export(user.id))
    if update.effective_message is not None:
        await update.effective_message.reply_document(
            InputFile(data, filename=name), caption=views.EXPORT_CAPTION
        )


@command
async def deleteme(context: TutorContext, user: User, _u: Update) -> Reply:
    request = await context.services.privacy.ask_to_erase(user.id)
    return Reply(views.confirm(request, user))


# Pressed without writing the user row first: a second press of "Yes, erase" must not bring
# back the profile the first one erased. These handlers read only the user's id.
@BUTTONS.on(press.EraseConfirm, register_user=False)
async def _confirm(
    context: TutorContext, user: User, update: Update, p: press.EraseConfirm
) -> Reply:
    outcome = await context.services.privacy.erase(
        user.id, p.request, through_update=update.update_id
    )
    if outcome is Outcome.ERASED:
        return Reply(views.ERASED, views.ERASED_TOAST)
    if outcome is Outcome.EXPIRED:
        return Reply(views.EXPIRED, views.EXPIRED_TOAST)
    # Already carried out (a double tap: the message says so already), cancelled or replaced.
    return Reply(toast=views.NOT_PENDING_TOAST)


@BUTTONS.on(press.EraseCancel, register_user=False)
async def _cancel(context: TutorContext, user: User, _u: Update, p: press.EraseCancel) -> Reply:
    if await context.services.privacy.cancel(user.id, p.request):
        return Reply(views.CANCELLED)
    return Reply(toast=views.NOT_PENDING_TOAST)
