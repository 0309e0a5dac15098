"""Certificates (domain.certificates): one statement per use case."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from domain.certificates import Certificate

# The score summary is written at issue, from the learner's quiz results in the course.
_ISSUE = """
    WITH score AS (
        SELECT count(*) FILTER (WHERE mp.quiz_passed) AS quizzes,
            round(avg(mp.best_score) FILTER (WHERE mp.quiz_passed)) AS average
        FROM module_progress mp WHERE mp.user_id = $1 AND mp.course_id = $2
    ), modules AS (
        SELECT count(DISTINCT module_no) AS modules FROM topics WHERE course_id = $2
    )
    INSERT INTO certificates (code, user_id, course_id, holder_name, course_name, score,
        issued_at)
    SELECT $3, $1, c.id,
        coalesce((SELECT name FROM certificate_names WHERE user_id = $1), $4), c.name,
        CASE WHEN s.quizzes = 0
            THEN format('%s modules, every topic completed', m.modules)
            ELSE format('%s modules, %s quizzes passed, average best score %s%%',
                m.modules, s.quizzes, s.average)
        END,
        $5
    FROM courses c, score s, modules m WHERE c.id = $2
    ON CONFLICT (user_id, course_id) WHERE revoked_at IS NULL AND user_id IS NOT NULL
        DO NOTHING
    RETURNING *
"""


def _certificate(row: asyncpg.Record) -> Certificate:
    return Certificate(
        row["code"],
        row["user_id"],
        row["course_id"],
        row["course_name"],
        row["holder_name"],
        row["score"],
        row["issued_at"],
        row["revoked_at"],
        row["revoked_reason"],
    )


class PgCertificateStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def issue(
        self, user_id: int, course_id: UUID, code: str, default_name: str, at: datetime
    ) -> Certificate | None:
        row = await self._pool.fetchrow(_ISSUE, user_id, course_id, code, default_name, at)
        return _certificate(row) if row else None

    async def set_name(self, user_id: int, name: str, at: datetime) -> None:
        await self._pool.execute(
            "INSERT INTO certificate_names (user_id, name, updated_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (user_id) DO UPDATE SET name = EXCLUDED.name, "
            "updated_at = EXCLUDED.updated_at",
            user_id,
            name,
            at,
        )

    async def chosen_name(self, user_id: int) -> str | None:
        return await self._pool.fetchval(
            "SELECT name FROM certificate_names WHERE user_id = $1", user_id
        )

    async def mine(self, user_id: int) -> list[Certificate]:
        rows = await self._pool.fetch(
            "SELECT * FROM certificates WHERE user_id = $1 "
            "ORDER BY revoked_at IS NOT NULL, issued_at DESC, code",
            user_id,
        )
        return [_certificate(r) for r in rows]

    async def find(self, code: str) -> Certificate | None:
        row = await self._pool.fetchrow("SELECT * FROM certificates WHERE code = $1", code)
        return _certificate(row) if row else None

    async def revoke(self, code: str, reason: str, at: datetime) -> Certificate | None:
        row = await self._pool.fetchrow(
            "UPDATE certificates SET revoked_at = $2, revoked_reason = $3 "
            "WHERE code = $1 AND revoked_at IS NULL RETURNING *",
            code,
            at,
            reason,
        )
        return _certificate(row) if row else None
