"""/timezone: the learner's clock, so quiz reopening times read right for them."""

from __future__ import annotations

from html import escape

from telegram import Update

from bot.context import TutorContext
from bot.handlers.base import Reply, command
from bot.timezones import Ambiguous, Found, resolve
from bot.views.clock import clock_time
from bot.views.screen import Screen
from domain.users import User

USAGE = (
    "Send /timezone and your city or zone, e.g. <code>/timezone Berlin</code>, "
    "<code>/timezone America/New_York</code> or <code>/timezone UTC+2</code>. "
    "<code>/timezone UTC</code> resets it."
)


@command
async def timezone_command(context: TutorContext, user: User, _u: Update) -> Reply:
    now = context.services.quizzes.now()
    if not context.args:
        current = user.timezone or "UTC"
        return Reply(
            Screen(
                f"Your timezone: <b>{escape(current)}</b> (your time now: "
                f"{clock_time(now, current)}).\n\n{USAGE}"
            )
        )
    found = resolve(" ".join(context.args))
    if isinstance(found, Ambiguous):
        options = ", ".join(f"<code>{escape(name)}</code>" for name in found.candidates)
        return Reply(
            Screen(
                f"“{escape(' '.join(context.args)[:64])}” could be several time zones: {options}. "
                f"Send the one you mean, e.g. <code>/timezone {escape(found.candidates[0])}</code>."
            )
        )
    if not isinstance(found, Found):
        return Reply(Screen(f"I don't know the timezone “{escape(found.text)}”.\n\n{USAGE}"))
    await context.services.users.set_timezone(user.id, found.name)
    await context.services.reminders.moved(user.id, found.name)
    note = (
        " A fixed offset doesn't change with daylight saving time; a city does "
        "(e.g. <code>/timezone Berlin</code>)."
        if found.fixed
        else ""
    )
    return Reply(
        Screen(
            f"Timezone set: <b>{escape(found.label)}</b> (your time now: "
            f"{clock_time(now, found.name)}). Quiz times are shown in it from now on.{note}"
        )
    )
