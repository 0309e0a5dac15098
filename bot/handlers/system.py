"""Cross-cutting update handling: answer failures politely (re-deliveries never get this
far: the inbox stores each update id once)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import TutorContext
from bot.inbox import note_failure
from bot.views.common import SORRY

log = logging.getLogger(__name__)


async def on_error(update: object, context: TutorContext) -> None:
    if note_failure(context.error):
        log.warning("update handling interrupted, will retry: %s", type(context.error).__name__)
        return
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
