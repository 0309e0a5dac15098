"""/goal: the daily goal, its streak and the course target dates, and their buttons."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.views import goals as views
from domain.users import User

BUTTONS = Buttons()


@command
async def goal(context: TutorContext, user: User, update: Update) -> Reply:
    """`/goal` shows the goal, today's progress, the streak and the target dates;
    `/goal by 2027-03-01` sets the date to finish the current course by."""
    goals, message = context.services.goals, update.effective_message
    assert message is not None  # a command is a message
    args = context.args or []
    if args and args[0].lower() == "by":
        text = " ".join(args[1:])
        target = await goals.set_target(user.id, message.chat_id, text, user.timezone)
        return Reply(views.target_set(target, goals.today(user.timezone)))
    return await _overview(context, user)


@BUTTONS.on(press.Goal)
async def _goal(context: TutorContext, user: User, _u: Update, _p: press.Goal) -> Reply:
    return await _overview(context, user)


@BUTTONS.on(press.SetGoal)
async def _set(context: TutorContext, user: User, _u: Update, p: press.SetGoal) -> Reply:
    today = await context.services.goals.set_goal(user.id, p.kind, p.target, user.timezone)
    toast = f"🎯 Daily goal: {views.amount(today.goal.kind, today.goal.target)} a day"
    return await _overview(context, user, toast)


@BUTTONS.on(press.GoalOff)
async def _off(context: TutorContext, user: User, _u: Update, _p: press.GoalOff) -> Reply:
    await context.services.goals.clear_goal(user.id)
    return await _overview(context, user, "Daily goal turned off")


@BUTTONS.on(press.DropTarget)
async def _drop(context: TutorContext, user: User, _u: Update, p: press.DropTarget) -> Reply:
    await context.services.goals.clear_target(user.id, p.course)
    return await _overview(context, user, "Target date dropped")


async def _overview(context: TutorContext, user: User, toast: str | None = None) -> Reply:
    overview = await context.services.goals.overview(user.id, user.timezone)
    return Reply(views.goal_screen(overview, user.timezone), toast)
