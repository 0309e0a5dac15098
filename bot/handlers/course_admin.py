"""/courses_admin (publish, unpublish, archive) and /export <slug> [cohort] (progress as CSV)."""

from __future__ import annotations

from telegram import InputFile, Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.views import admin as admin_views
from bot.views import course_admin as views
from domain.admin import Action as StaffAction
from domain.course_admin import Change
from domain.users import User
from domain.wording import count

CHANGES = {"p": Change.PUBLISH, "u": Change.UNPUBLISH, "a": Change.ARCHIVE}

BUTTONS = Buttons()


@command
async def courses_command(context: TutorContext, user: User, _u: Update) -> Reply:
    return Reply(views.overview(await context.services.course_admin.overview(user.id)))


@command
async def export_command(context: TutorContext, user: User, update: Update) -> Reply | None:
    args = context.args or []
    await context.services.admin.require(user.id, StaffAction.EXPORT, " ".join(args)[:64])
    if not args:
        return Reply(admin_views.usage("export"))
    cohort = " ".join(args[1:]) or None
    name, data, learners = await context.services.course_admin.export(user.id, args[0], cohort)
    if update.effective_message is not None:
        caption = f"{count(learners, 'learner')}, one row per module."
        await update.effective_message.reply_document(
            InputFile(data, filename=name), caption=caption
        )
    return None


@BUTTONS.on(press.CourseVisibility)
async def _visibility(
    context: TutorContext, user: User, _u: Update, p: press.CourseVisibility
) -> Reply:
    now = context.services.quizzes.now()
    courses = await context.services.course_admin.change(user.id, p.course, CHANGES[p.op], now)
    return Reply(views.overview(courses), f"Course {CHANGES[p.op].value}ed")
