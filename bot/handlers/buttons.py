"""Every inline button lands here: decode, re-check on the server, act, answer.

Telegram shows a spinner on the pressed button until the callback query is answered, so
each press is answered exactly once: with the handler's toast, with the reason a press
was refused, with a short note when the press found its screen already shown (nothing is
sent to Telegram then, which would refuse the edit), or (by the error handler) with an
apology.
"""

from __future__ import annotations

from telegram import Update

from bot.callbacks import ForgedCallback, decode
from bot.context import TutorContext
from bot.handlers import (
    broadcast,
    certificates,
    cohorts,
    course_admin,
    goals,
    help_requests,
    learning,
    notes,
    paths,
    privacy,
    quiz,
    ratings,
    reminders,
    review,
    tutor,
    typed,
)
from bot.handlers.base import Buttons
from bot.handlers.render import pressing

STALE_BUTTON = "This button is no longer valid. Send /start to begin again."
JUST_A_LABEL = "That's only a label."

# One handler per button, whichever module declares it: a second one fails here.
BUTTONS = Buttons.merged(
    learning.BUTTONS,
    quiz.BUTTONS,
    tutor.BUTTONS,
    broadcast.BUTTONS,
    course_admin.BUTTONS,
    privacy.BUTTONS,
    notes.BUTTONS,
    review.BUTTONS,
    reminders.BUTTONS,
    ratings.BUTTONS,
    certificates.BUTTONS,
    goals.BUTTONS,
    paths.BUTTONS,
    typed.BUTTONS,
    help_requests.BUTTONS,
    cohorts.BUTTONS,
)


async def on_button(update: Update, context: TutorContext) -> None:
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    try:
        pressed = decode(query.data)
    except ForgedCallback:
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    button = BUTTONS.get(type(pressed))
    if button is None:  # Noop: a label-only button
        await query.answer(JUST_A_LABEL)
        return
    with pressing(new_message=pressed.new_message) as press:
        reply = await button.press(context, update, pressed)
    if reply is not None:  # None: refused, and answered so
        await query.answer(reply.toast or press.unchanged)
