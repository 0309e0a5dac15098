"""Cross-cutting update handling: drop re-deliveries, answer failures politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import TutorContext
from bot.views.common import SORRY

log = logging.getLogger(__name__)


async def drop_repeats(update: Update, context: TutorContext) -> None:
    """Runs before every handler: an update id seen before is acknowledged and ignored."""
    if not await context.services.update_log.claim(update.update_id):
        context.services.metrics.inc("tutorbot_updates_duplicate_total")
        raise ApplicationHandlerStop


async def on_error(update: object, context: TutorContext) -> None:
    log.error("update handling failed", exc_info=context.error)
    if "services" in context.application.bot_data:
        context.services.metrics.inc("tutorbot_handler_errors_total")
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(SORRY)
        elif update.effective_chat is not None and update.effective_chat.type == "private":
            await context.bot.send_message(update.effective_chat.id, SORRY)
    except TelegramError:
        log.warning("could not tell the user about the failure", exc_info=True)
