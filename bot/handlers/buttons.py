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
from bot.handlers import ask, broadcast, course_admin, learning, privacy, quiz
from bot.handlers.profile import profile_of
from bot.handlers.render import pressing
from bot.views.refusals import refusal_text
from domain.errors import AccessDenied
from domain.users import Role, User

STALE_BUTTON = "This button is no longer valid. Send /start to begin again."
JUST_A_LABEL = "That's only a label."

_HANDLERS = {
    **learning.BUTTONS,
    **quiz.BUTTONS,
    **ask.BUTTONS,
    **broadcast.BUTTONS,
    **course_admin.BUTTONS,
    **privacy.BUTTONS,
}


async def on_button(update: Update, context: TutorContext) -> None:
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    try:
        pressed = decode(query.data)
    except ForgedCallback:
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    handler = _HANDLERS.get(pressed.name)
    if handler is None:  # "noop": a label-only button
        await query.answer(JUST_A_LABEL)
        return
    profile = profile_of(update.effective_user)
    if pressed.name in privacy.UNREGISTERED:  # must not write back an erased profile
        user = User(profile, Role.LEARNER)
    else:
        user = await context.services.users.register(profile)
    with pressing(new_message=pressed.new_message) as press:
        try:
            toast = await handler(context, user, update, pressed)
        except AccessDenied as denied:
            now = context.services.quizzes.now()  # a cooldown says when it ends
            await query.answer(refusal_text(denied, user.timezone, now), show_alert=True)
            return
    await query.answer(toast or press.unchanged)
