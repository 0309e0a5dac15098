"""Cross-cutting update handling: answer failures politely (re-deliveries never get this
far: the inbox stores each update id once)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import TutorContext
from bot.handlers.render import send
from bot.transport.inbox import is_transient, note_failure
from bot.views.common import SORRY
from bot.views.screen import plain
from storage.database import is_missing_user

log = logging.getLogger(__name__)


async def on_error(update: object, context: TutorContext) -> None:
    error = context.error
    if note_failure(error, retry=_forgot_erased_user(update, context, error)):
        log.warning("update handling interrupted, will retry: %s", type(error).__name__)
        return
    if update is None and error is not None and is_transient(error):
        # A background job (its next run retries) met the database or Telegram away.
        log.warning("job interrupted: %s", type(error).__name__)
        return
    log.error("update handling failed", exc_info=error)
    if "services" in context.application.bot_data:
        context.services.metrics.inc("tutorbot_handler_errors_total")
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(SORRY)
        elif update.effective_chat is not None and update.effective_chat.type == "private":
            await send(context.bot, update.effective_chat.id, plain(SORRY))
    except TelegramError:
        log.warning("could not tell the user about the failure", exc_info=True)


def _forgot_erased_user(update: object, context: TutorContext, error: Exception | None) -> bool:
    """The learner's user row is gone (/deleteme handled by another replica) while this
    process still remembered their profile and skipped writing it: forget the profile, so
    the retry writes the row again and the update goes through like a new learner's."""
    if error is None or not is_missing_user(error) or not isinstance(update, Update):
        return False
    if update.effective_user is None or "services" not in context.application.bot_data:
        return False
    context.services.users.forget(update.effective_user.id)
    return True
