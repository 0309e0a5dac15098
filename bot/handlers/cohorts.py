"""Cohorts: the staff commands (/cohort_new, /cohorts, /cohort_tutor, /cohort_close) and
the learner's /cohort with its "Leave" buttons. Joining is the invite deep link, handled
by /start (bot/handlers/learning.py)."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.views import admin as admin_views
from bot.views import cohorts as views
from domain.admin import Action as StaffAction
from domain.users import User

BUTTONS = Buttons()


def _bot_username(context: TutorContext) -> str:
    return context.bot.username or "your_bot"


@command
async def cohort_new(context: TutorContext, user: User, update: Update) -> Reply:
    """`/cohort_new slug name…`: the name is the rest of the line (spaces folded)."""
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=2) if message else []
    await context.services.admin.require(user.id, StaffAction.COHORTS, " ".join(parts[1:])[:64])
    if len(parts) < 3:
        return Reply(admin_views.usage("cohort_new"))
    cohort = await context.services.cohorts.create(user.id, parts[1], parts[2])
    return Reply(views.created(cohort, _bot_username(context)))


@command
async def cohorts_command(context: TutorContext, user: User, _u: Update) -> Reply:
    args = context.args or []
    await context.services.admin.require(user.id, StaffAction.COHORTS, " ".join(args)[:64])
    if len(args) != 1:
        return Reply(admin_views.usage("cohorts"))
    course, cohorts = await context.services.cohorts.list(user.id, args[0])
    return Reply(views.listing(course, cohorts, _bot_username(context)))


@command
async def cohort_close(context: TutorContext, user: User, _u: Update) -> Reply:
    args = context.args or []
    await context.services.admin.require(user.id, StaffAction.COHORTS, " ".join(args)[:64])
    if len(args) < 2:
        return Reply(admin_views.usage("cohort_close"))
    cohort, changed = await context.services.cohorts.close(user.id, args[0], " ".join(args[1:]))
    return Reply(views.closed(cohort, changed))


@command
async def cohort_tutor(context: TutorContext, user: User, _u: Update) -> Reply:
    """`/cohort_tutor slug cohort… @user|id`: the person is the last word."""
    args = context.args or []
    target = " ".join(args[-1:] + args[:-1])[:64]
    await context.services.admin.require(user.id, StaffAction.COHORT_TUTOR, target)
    if len(args) < 3:
        return Reply(admin_views.usage("cohort_tutor"))
    cohort, person, added = await context.services.cohorts.add_tutor(
        user.id, args[0], " ".join(args[1:-1]), args[-1]
    )
    return Reply(views.tutor_added(cohort, person, added))


@command
async def cohort_command(context: TutorContext, user: User, _u: Update) -> Reply:
    return Reply(views.mine(await context.services.cohorts.mine(user.id)))


@BUTTONS.on(press.MyCohorts)
async def _mine(context: TutorContext, user: User, _u: Update, _p: press.MyCohorts) -> Reply:
    return Reply(views.mine(await context.services.cohorts.mine(user.id)))


@BUTTONS.on(press.CohortLeave)
async def _leave(context: TutorContext, user: User, _u: Update, p: press.CohortLeave) -> Reply:
    membership = await context.services.cohorts.membership(user.id, p.cohort)
    return Reply(views.confirm_leave(membership))


@BUTTONS.on(press.CohortLeaveConfirm)
async def _leave_confirmed(
    context: TutorContext, user: User, _u: Update, p: press.CohortLeaveConfirm
) -> Reply:
    left = await context.services.cohorts.leave(user.id, p.cohort)
    return Reply(views.left(left), "You left the cohort")
