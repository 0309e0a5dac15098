"""/stats [course-slug [cohort]]: figures and a funnel chart for admins and for tutors of a course.

Authorised and audited before the argument is read, like every staff command; the chart is
drawn in a worker thread so the event loop keeps serving other chats meanwhile.
"""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update

from bot.context import TutorContext
from bot.handlers.base import Reply, command
from bot.handlers.render import show
from bot.views import help_requests as help_views
from bot.views import stats as views
from domain.users import Role, User


@command
async def stats_command(context: TutorContext, user: User, update: Update) -> Reply | None:
    message = update.effective_message
    if message is None:
        return None
    args = context.args or []
    stats = context.services.stats
    await stats.require(user.id, " ".join(args)[:64])
    cohort = " ".join(args[1:]) or None
    report = await stats.report(user.id, args[0] if args else None, cohort)
    extra: list[str] = []
    if cohort is None:  # requests for tutors aren't told apart by cohort
        everything = report.course is None and report.role is Role.ADMIN
        scope = None if everything else frozenset(c.course.id for c in report.courses)
        extra = help_views.figures_lines(await context.services.help.figures(scope))
    await show(update, views.text(report, extra=extra))
    png = await asyncio.to_thread(views.chart, report)
    if png is not None:
        await message.reply_photo(
            InputFile(png, filename="funnel.png"), caption="Completion funnel per module"
        )
    return None
