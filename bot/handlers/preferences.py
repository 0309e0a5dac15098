"""/timezone: the learner's clock, so quiz reopening times read right for them."""

from __future__ import annotations

from html import escape

from telegram import Update

from bot.context import TutorContext
from bot.handlers.profile import profile_of
from bot.views.clock import clock_time, is_timezone

USAGE = (
    "Send /timezone followed by your timezone, e.g. <code>/timezone Europe/Berlin</code> or "
    "<code>/timezone America/New_York</code>. <code>/timezone UTC</code> resets it."
)


async def timezone_command(update: Update, context: TutorContext) -> None:
    user = await context.services.users.register(profile_of(update.effective_user))
    message = update.effective_message
    assert message is not None
    now = context.services.quizzes.now()
    if not context.args:
        current = user.timezone or "UTC"
        await message.reply_html(
            f"Your timezone: <b>{escape(current)}</b> (your time now: "
            f"{clock_time(now, current)}).\n\n{USAGE}"
        )
        return
    name = context.args[0].strip()[:64]
    if len(context.args) > 1 or not is_timezone(name):
        await message.reply_html(f"I don't know the timezone “{escape(name)}”.\n\n{USAGE}")
        return
    chosen = None if name.upper() == "UTC" else name
    await context.services.users.set_timezone(user.id, chosen)
    await message.reply_html(
        f"Timezone set: <b>{escape(name)}</b> (your time now: {clock_time(now, name)}). "
        "Quiz times are shown in it from now on."
    )
