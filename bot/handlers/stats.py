"""/stats [course-slug]: figures and a funnel chart for admins and for tutors of a course.

Authorised and audited before the argument is read, like every staff command; the chart is
drawn in a worker thread so the event loop keeps serving other chats meanwhile.
"""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update

from bot.context import TutorContext
from bot.handlers.admin import show_plain
from bot.handlers.profile import profile_of
from bot.handlers.render import show
from bot.views import admin as admin_views
from bot.views import stats as views
from bot.views.refusals import refusal_text
from domain.errors import AccessDenied


async def stats_command(update: Update, context: TutorContext) -> None:
    message = update.effective_message
    if message is None:
        return
    user = await context.services.users.register(profile_of(update.effective_user))
    args = context.args or []
    stats = context.services.stats
    try:
        await stats.require(user.id, " ".join(args)[:64])
        if len(args) > 1:
            await show(update, admin_views.usage("stats"))
            return
        report = await stats.report(user.id, args[0] if args else None)
    except AccessDenied as refused:
        await show_plain(update, refusal_text(refused))
        return
    await show(update, views.text(report))
    png = await asyncio.to_thread(views.chart, report)
    if png is not None:
        await message.reply_photo(
            InputFile(png, filename="funnel.png"), caption="Completion funnel per module"
        )
