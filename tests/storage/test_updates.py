"""Each update id is applied once, however often Telegram delivers it."""

from __future__ import annotations

import asyncio

import asyncpg

from storage.updates import PgUpdateLog


async def test_an_update_is_claimed_once_even_under_concurrency(pool: asyncpg.Pool) -> None:
    log = PgUpdateLog(pool)

    claims = await asyncio.gather(*(log.claim(1001) for _ in range(5)))

    assert claims.count(True) == 1
    assert await log.claim(1002) is True


async def test_prune_forgets_only_old_ids(pool: asyncpg.Pool) -> None:
    log = PgUpdateLog(pool)
    await log.claim(1)
    await log.claim(2)
    await pool.execute(
        "UPDATE processed_updates SET processed_at = now() - interval '3 days' WHERE update_id = 1"
    )

    assert await log.prune(older_than_hours=48) == 1
    assert await log.claim(1) is True
    assert await log.claim(2) is False
