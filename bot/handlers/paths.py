"""Learning paths: a path's card, opened from the catalog."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply
from bot.views import paths as views
from domain.users import User

BUTTONS = Buttons()


@BUTTONS.on(press.PathCard)
async def _path(context: TutorContext, user: User, _u: Update, p: press.PathCard) -> Reply:
    return Reply(views.path_card(await context.services.paths.card(user.id, p.path)))
