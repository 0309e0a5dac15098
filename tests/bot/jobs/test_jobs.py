"""Scheduled maintenance runs through the real job queue."""

from __future__ import annotations

import asyncpg
from telegram.ext import Application

from bot.jobs.schedule import prune_inbox


async def test_pruning_is_scheduled_and_forgets_old_processed_updates_only(
    application: Application, pool: asyncpg.Pool
) -> None:
    [job] = application.job_queue.get_jobs_by_name("prune-inbox")
    assert job.callback is prune_inbox
    await pool.execute(
        """
        INSERT INTO update_inbox (bot_id, update_id, chat_key, kind, payload, processed_at)
        VALUES
            (123456, 1, 7, 'message', '{}', now() - interval '3 days'),
            (123456, 2, 7, 'message', '{}', now()),
            (123456, 3, 8, 'message', '{}', NULL)
        """
    )
    await pool.execute(
        "INSERT INTO update_effects (bot_id, update_id, effect, created_at) "
        "VALUES (123456, 1, 'prompt', now() - interval '3 days'), (123456, 2, 'prompt', now())"
    )

    await application.start()
    try:
        await job.run(application)
    finally:
        await application.stop()

    remaining = await pool.fetch("SELECT update_id FROM update_inbox ORDER BY update_id")
    assert [r[0] for r in remaining] == [2, 3]  # a waiting update is never pruned
    assert [r[0] for r in await pool.fetch("SELECT update_id FROM update_effects")] == [2]
