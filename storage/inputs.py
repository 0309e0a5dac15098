"""What a private chat's next message answers (domain.inputs), in `conversation_state`.

The chat's row already holds its place (course, topic) and the live quiz question, so the
awaited input is one more column of it: `awaiting` (the kind) and `data -> 'input'`.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.inputs import Pending


class PgInputStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def pending(self, user_id: int) -> Pending | None:
        row = await self._pool.fetchrow(
            "SELECT awaiting, data -> 'input' AS input FROM conversation_state "
            "WHERE chat_id = $1 AND user_id = $1 AND awaiting IS NOT NULL",
            user_id,
        )
        if row is None:
            return None
        saved = row["input"] or {}
        since = saved.get("since")
        return Pending(
            row["awaiting"],
            saved.get("data") or {},
            datetime.fromisoformat(since) if since else None,
        )

    async def expect(self, user_id: int, pending: Pending) -> None:
        saved = {
            "data": dict(pending.data),
            "since": pending.since.isoformat() if pending.since else None,
        }
        await self._pool.execute(
            """
            INSERT INTO conversation_state (chat_id, user_id, awaiting, data)
            VALUES ($1, $1, $2, jsonb_build_object('input', $3::jsonb))
            ON CONFLICT (chat_id) DO UPDATE
                SET awaiting = EXCLUDED.awaiting, user_id = EXCLUDED.user_id,
                    data = conversation_state.data || EXCLUDED.data, updated_at = now()
            """,
            user_id,
            pending.kind,
            saved,
        )

    async def clear(self, user_id: int, kind: str | None) -> bool:
        cleared = await self._pool.fetchval(
            """
            UPDATE conversation_state
            SET awaiting = NULL, data = data - 'input', updated_at = now()
            WHERE chat_id = $1 AND awaiting IS NOT NULL
                AND ($2::text IS NULL OR awaiting = $2)
            RETURNING true
            """,
            user_id,
            kind,
        )
        return bool(cleared)
