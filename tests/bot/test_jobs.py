"""Scheduled maintenance runs through the real job queue."""

from __future__ import annotations

import asyncpg
from telegram.ext import Application

from bot.jobs import prune_update_log


async def test_pruning_is_scheduled_and_forgets_old_update_ids(
    application: Application, pool: asyncpg.Pool
) -> None:
    [job] = application.job_queue.get_jobs_by_name("prune-update-log")
    assert job.callback is prune_update_log
    await pool.execute(
        "INSERT INTO processed_updates (update_id, processed_at) "
        "VALUES (1, now() - interval '3 days'), (2, now())"
    )

    await application.start()
    try:
        await job.run(application)
    finally:
        await application.stop()

    assert [r[0] for r in await pool.fetch("SELECT update_id FROM processed_updates")] == [2]
