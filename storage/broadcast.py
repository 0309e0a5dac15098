"""Broadcast drafts, their frozen audiences and per-recipient delivery state."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from domain.broadcast import Progress

# Learners who can be messaged: they last wrote to this bot ($2; a bot can only message
# people who started it), not blocked, and actively enrolled in the course (for "all": in
# any course, or a learner by role who hasn't enrolled yet). Staff enrolled in a course
# are learners of it, so an admin taking the course gets its broadcasts too.
# A cohort ($COHORT, "slug:<code>" audiences): only its current members among those.
_AUDIENCE = """
SELECT u.id FROM users u
WHERE u.bot_id = $2 AND NOT u.is_blocked
  AND (($1::uuid IS NULL AND u.role = 'learner')
       OR EXISTS (SELECT 1 FROM enrollments e
            WHERE e.user_id = u.id AND ($1::uuid IS NULL OR e.course_id = $1)
              AND e.status <> 'suspended'))
  AND ($COHORT::uuid IS NULL OR EXISTS (SELECT 1 FROM cohort_members cm
            WHERE cm.cohort_id = $COHORT AND cm.user_id = u.id AND cm.left_at IS NULL))
"""


class PgBroadcastStore:
    """`bot_id`: the bot this process serves. A broadcast belongs to the bot its author
    wrote it in: that bot alone reaches its audience, edits the progress message in the
    author's chat, and resumes it after a restart."""

    def __init__(self, pool: asyncpg.Pool, *, bot_id: int) -> None:
        self._pool = pool
        self._bot_id = bot_id

    async def audience_size(self, course_id: UUID | None, cohort_id: UUID | None = None) -> int:
        return await self._pool.fetchval(
            f"SELECT count(*) FROM ({_AUDIENCE.replace('$COHORT', '$3')}) a",
            course_id,
            self._bot_id,
            cohort_id,
        )

    async def create(self, actor_id: int, audience: str, course_id: UUID | None, text: str) -> UUID:
        return await self._pool.fetchval(
            "INSERT INTO broadcasts (actor_id, audience, text, bot_id) "
            "VALUES ($1, $2, $3, $4) RETURNING id",
            actor_id,
            audience,
            text,
            self._bot_id,
        )

    async def begin(
        self, broadcast_id: UUID, actor_id: int, chat_id: int, message_id: int, now: datetime
    ) -> bool:
        """Draft → sending, with the audience as it is now, in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            audience = await conn.fetchval(
                """
                UPDATE broadcasts SET status = 'sending', started_at = $3, chat_id = $4,
                    message_id = $5
                WHERE id = $1 AND actor_id = $2 AND status = 'draft' AND bot_id = $6
                RETURNING audience
                """,
                broadcast_id,
                actor_id,
                now,
                chat_id,
                message_id,
                self._bot_id,
            )
            if audience is None:
                return False
            course_id = cohort_id = None
            if audience != "all":
                slug, _, code = audience.partition(":")
                course_id = await conn.fetchval("SELECT id FROM courses WHERE slug = $1", slug)
                if code:
                    cohort_id = await conn.fetchval(
                        "SELECT id FROM cohorts WHERE invite_code = $1", code
                    )
            await conn.execute(
                f"INSERT INTO broadcast_recipients (broadcast_id, user_id) "
                f"SELECT $3, id FROM ({_AUDIENCE.replace('$COHORT', '$4')}) a",
                course_id,
                self._bot_id,
                broadcast_id,
                cohort_id,
            )
            return True

    async def cancel(self, broadcast_id: UUID, actor_id: int) -> bool:
        cancelled = await self._pool.fetchval(
            "UPDATE broadcasts SET status = 'cancelled', finished_at = now() "
            "WHERE id = $1 AND actor_id = $2 AND status = 'draft' RETURNING true",
            broadcast_id,
            actor_id,
        )
        return bool(cancelled)

    async def author(self, broadcast_id: UUID) -> tuple[int, str] | None:
        """Who wrote the broadcast, and its audience (a course slug or 'all')."""
        row = await self._pool.fetchrow(
            "SELECT actor_id, audience FROM broadcasts WHERE id = $1", broadcast_id
        )
        return (row["actor_id"], row["audience"]) if row else None

    async def claim(
        self, broadcast_id: UUID, limit: int, now: datetime, lease_until: datetime
    ) -> list[int]:
        rows = await self._pool.fetch(
            """
            WITH next AS (
                SELECT user_id FROM broadcast_recipients
                WHERE broadcast_id = $1 AND status = 'pending'
                  AND (claimed_until IS NULL OR claimed_until <= $3)
                ORDER BY user_id LIMIT $2
                FOR UPDATE SKIP LOCKED
            )
            UPDATE broadcast_recipients r SET claimed_until = $4
            FROM next WHERE r.broadcast_id = $1 AND r.user_id = next.user_id
            RETURNING r.user_id
            """,
            broadcast_id,
            limit,
            now,
            lease_until,
        )
        return sorted(r["user_id"] for r in rows)

    async def mark(self, broadcast_id: UUID, user_id: int, status: str, now: datetime) -> None:
        await self._pool.execute(
            "UPDATE broadcast_recipients SET status = $3, sent_at = $4, claimed_until = NULL "
            "WHERE broadcast_id = $1 AND user_id = $2 AND status = 'pending'",
            broadcast_id,
            user_id,
            status,
            now,
        )

    async def defer(self, broadcast_id: UUID, user_id: int, until: datetime) -> None:
        await self._pool.execute(
            "UPDATE broadcast_recipients SET claimed_until = $3 "
            "WHERE broadcast_id = $1 AND user_id = $2 AND status = 'pending'",
            broadcast_id,
            user_id,
            until,
        )

    async def release(self, broadcast_id: UUID, user_ids: list[int]) -> None:
        await self._pool.execute(
            "UPDATE broadcast_recipients SET claimed_until = NULL "
            "WHERE broadcast_id = $1 AND user_id = ANY($2::bigint[]) AND status = 'pending'",
            broadcast_id,
            user_ids,
        )

    async def progress(self, broadcast_id: UUID) -> Progress | None:
        row = await self._pool.fetchrow(
            """
            SELECT b.id, b.status, b.chat_id, b.message_id,
                count(r.user_id) AS total,
                count(r.user_id) FILTER (WHERE r.status = 'sent') AS sent,
                count(r.user_id) FILTER (WHERE r.status = 'blocked') AS blocked,
                count(r.user_id) FILTER (WHERE r.status = 'failed') AS failed
            FROM broadcasts b LEFT JOIN broadcast_recipients r ON r.broadcast_id = b.id
            WHERE b.id = $1 GROUP BY b.id
            """,
            broadcast_id,
        )
        if row is None:
            return None
        return Progress(
            row["id"],
            row["status"],
            row["total"],
            row["sent"],
            row["blocked"],
            row["failed"],
            row["chat_id"],
            row["message_id"],
        )

    async def text(self, broadcast_id: UUID) -> str | None:
        return await self._pool.fetchval("SELECT text FROM broadcasts WHERE id = $1", broadcast_id)

    async def finish_if_done(self, broadcast_id: UUID, now: datetime) -> bool:
        done = await self._pool.fetchval(
            """
            UPDATE broadcasts SET status = 'done', finished_at = $2
            WHERE id = $1 AND status = 'sending' AND NOT EXISTS (
                SELECT 1 FROM broadcast_recipients
                WHERE broadcast_id = $1 AND status = 'pending')
            RETURNING true
            """,
            broadcast_id,
            now,
        )
        return bool(done)

    async def sending(self) -> list[UUID]:
        """This bot's broadcasts being sent (another bot's are its own to resume)."""
        rows = await self._pool.fetch(
            "SELECT id FROM broadcasts WHERE status = 'sending' AND bot_id = $1 "
            "ORDER BY started_at",
            self._bot_id,
        )
        return [r["id"] for r in rows]
