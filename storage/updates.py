"""The processed-update log that makes Telegram's re-deliveries harmless."""

from __future__ import annotations

import asyncpg


class PgUpdateLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self, update_id: int) -> bool:
        """Record the update; False when some replica has already taken it."""
        inserted = await self._pool.fetchval(
            "INSERT INTO processed_updates (update_id) VALUES ($1) "
            "ON CONFLICT DO NOTHING RETURNING true",
            update_id,
        )
        return bool(inserted)

    async def prune(self, older_than_hours: int = 48) -> int:
        """Telegram keeps undelivered updates for 24 hours; older ids can never come back."""
        result = await self._pool.execute(
            "DELETE FROM processed_updates WHERE processed_at < now() - make_interval(hours => $1)",
            older_than_hours,
        )
        return int(result.split()[-1])
