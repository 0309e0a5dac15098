"""/courses_admin (publish, unpublish, archive) and /export <slug> (progress as CSV)."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.callbacks import Action
from bot.context import TutorContext
from bot.handlers.admin import show_plain
from bot.handlers.profile import profile_of
from bot.handlers.render import show
from bot.views import admin as admin_views
from bot.views import course_admin as views
from bot.views.refusals import refusal_text
from domain.admin import Action as StaffAction
from domain.course_admin import Change
from domain.errors import AccessDenied
from domain.users import User
from domain.wording import count

CHANGES = {"p": Change.PUBLISH, "u": Change.UNPUBLISH, "a": Change.ARCHIVE}


async def courses_command(update: Update, context: TutorContext) -> None:
    user = await context.services.users.register(profile_of(update.effective_user))
    try:
        courses = await context.services.course_admin.overview(user.id)
    except AccessDenied as refused:
        await show_plain(update, refusal_text(refused))
        return
    await show(update, views.overview(courses))


async def export_command(update: Update, context: TutorContext) -> None:
    user = await context.services.users.register(profile_of(update.effective_user))
    args = context.args or []
    service = context.services.course_admin
    try:
        await context.services.admin.require(user.id, StaffAction.EXPORT, " ".join(args)[:64])
        if len(args) != 1:
            await show(update, admin_views.usage("export"))
            return
        name, data, learners = await service.export(user.id, args[0])
    except AccessDenied as refused:
        await show_plain(update, refusal_text(refused))
        return
    assert update.effective_message is not None
    await update.effective_message.reply_document(
        InputFile(data, filename=name), caption=f"{count(learners, 'learner')}, one row per module."
    )


async def _visibility(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    assert a.course is not None and a.op is not None
    now = context.services.quizzes.now()
    courses = await context.services.course_admin.change(user.id, a.course, CHANGES[a.op], now)
    await show(update, views.overview(courses))
    return f"Course {CHANGES[a.op].value}ed"


BUTTONS = {"course_visibility": _visibility}
