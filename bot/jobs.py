"""Background jobs on PTB's job queue (APScheduler 3). The database is the source of truth,
so every job is safe to run on several replicas at once."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application

from bot.context import TutorContext

log = logging.getLogger(__name__)

UPDATE_LOG_RETENTION_HOURS = 48


async def prune_update_log(context: TutorContext) -> None:
    """Telegram re-delivers an update for at most 24 hours; older ids can go."""
    removed = await context.services.update_log.prune(UPDATE_LOG_RETENTION_HOURS)
    if removed:
        log.info("forgot %d processed update ids", removed)


def schedule(application: Application) -> None:
    if application.job_queue is None:
        return
    application.job_queue.run_repeating(
        prune_update_log,
        interval=timedelta(hours=1),
        first=timedelta(minutes=1),
        name="prune-update-log",
    )
