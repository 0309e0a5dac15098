"""/rate and the rating buttons; staff's /hide_review."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.views import admin as admin_views
from bot.views import ratings as views
from domain.admin import Action
from domain.users import User

BUTTONS = Buttons()


@command
async def rate_command(context: TutorContext, user: User, update: Update) -> Reply:
    """`/rate` offers the courses to rate; `/rate words` puts words to the latest rating."""
    ratings, message = context.services.ratings, update.effective_message
    assert message is not None and message.text is not None  # a command is a text message
    _, *text = message.text.split(maxsplit=1)
    if text:
        return Reply(views.rated(await ratings.comment_latest(user.id, text[0])))
    rateable = await ratings.rateable(user.id)
    if len(rateable) == 1:
        return Reply(views.rate_screen(*await ratings.offer(user.id, rateable[0].course_id)))
    return Reply(views.choose(rateable))


@BUTTONS.on(press.RateMenu)
async def _menu(context: TutorContext, user: User, _u: Update, p: press.RateMenu) -> Reply:
    return Reply(views.rate_screen(*await context.services.ratings.offer(user.id, p.course)))


@BUTTONS.on(press.Rate)
async def _rate(context: TutorContext, user: User, _u: Update, p: press.Rate) -> Reply:
    review = await context.services.ratings.rate(user.id, p.course, p.stars)
    return Reply(views.rated(review), f"Rated {views.stars(review.rating)}")


@BUTTONS.on(press.CourseReviews)
async def _reviews(context: TutorContext, user: User, _u: Update, p: press.CourseReviews) -> Reply:
    course, _ = await context.services.learning.course_card(user.id, p.course)
    found = await context.services.ratings.summary(p.course)
    return Reply(views.summary(course.name, course.id, found))


@command
async def hide_review(context: TutorContext, user: User, _u: Update) -> Reply:
    args = context.args or []
    if len(args) < 3:
        await context.services.admin.require(user.id, Action.HIDE_REVIEW, " ".join(args)[:64])
        return Reply(admin_views.usage("hide_review"))
    done = await context.services.ratings.hide(user.id, args[0], args[1], " ".join(args[2:]))
    return Reply(admin_views.done(done.message, changed=done.changed))
