"""/remind and the buttons under a reminder: snooze, stop, and /remind's own."""

from __future__ import annotations

from datetime import time

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.views import reminders as views
from domain.errors import BadTime
from domain.users import User

BUTTONS = Buttons()


@command
async def remind(context: TutorContext, user: User, _u: Update) -> Reply:
    """`/remind` shows the setting; `/remind 19:00`, `usual`, `quiet 22:00-07:00`, `off`
    change it. Anything else changes nothing and names the forms."""
    reminders, tz = context.services.reminders, user.timezone
    args = context.args or []
    typed = " ".join(args)
    word = args[0].lower() if args else ""
    try:
        if not args:
            current = await reminders.setting(user.id, tz)
        elif word in ("off", "stop"):
            current = await reminders.stop(user.id, tz)
        elif word == "usual":
            current = await reminders.follow_usual(user.id, tz)
        elif word == "quiet":
            current = await reminders.set_quiet(user.id, " ".join(args[1:]), tz)
        else:
            current = await reminders.set_time(user.id, typed, tz)
    except BadTime:
        return Reply(views.bad_input(typed))
    return Reply(views.setting(current, reminders.now()))


@BUTTONS.on(press.RemindSnooze)
async def _snooze(context: TutorContext, user: User, _u: Update, _p: press.RemindSnooze) -> Reply:
    reminders = context.services.reminders
    current = await reminders.snooze(user.id, user.timezone)
    return Reply(toast=views.snoozed_toast(current, reminders.now()))


@BUTTONS.on(press.RemindStop)
async def _stop(context: TutorContext, user: User, _u: Update, _p: press.RemindStop) -> Reply:
    await context.services.reminders.stop(user.id, user.timezone)
    return Reply(toast=views.STOPPED_TOAST)


@BUTTONS.on(press.RemindUsual)
async def _usual(context: TutorContext, user: User, _u: Update, _p: press.RemindUsual) -> Reply:
    reminders = context.services.reminders
    current = await reminders.follow_usual(user.id, user.timezone)
    return Reply(views.setting(current, reminders.now()))


@BUTTONS.on(press.RemindAt)
async def _at(context: TutorContext, user: User, _u: Update, p: press.RemindAt) -> Reply:
    reminders = context.services.reminders
    minute = min(p.minute, 24 * 60 - 1)
    at = time(minute // 60, minute % 60)
    current = await reminders.set_time(user.id, f"{at:%H:%M}", user.timezone)
    return Reply(views.setting(current, reminders.now()))
