"""Cohorts, their members and tutors (domain.cohorts)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from domain.admin import CourseRef
from domain.cohorts import Cohort, Membership

# A cohort's tutors by name, in the order they were added (k: the cohort).
_TUTORS = """ARRAY(SELECT concat_ws(' ', u.first_name, u.last_name) FROM cohort_tutors t
    JOIN users u ON u.id = t.user_id WHERE t.cohort_id = k.id
    ORDER BY t.added_at, u.id) AS tutors"""

_COHORT = f"""
SELECT k.id, k.course_id, c.slug, c.name AS course_name, k.name, k.invite_code,
    k.closed_at IS NOT NULL AS closed,
    (SELECT count(*) FROM cohort_members m
        WHERE m.cohort_id = k.id AND m.left_at IS NULL) AS members,
    {_TUTORS}
FROM cohorts k JOIN courses c ON c.id = k.course_id
"""


def _cohort(r: asyncpg.Record) -> Cohort:
    return Cohort(
        r["id"],
        r["course_id"],
        r["slug"],
        r["course_name"],
        r["name"],
        r["invite_code"],
        r["closed"],
        r["members"],
        tuple(r["tutors"]),
    )


class PgCohortStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(
        self, course: CourseRef, name: str, code: str, actor_id: int, now: datetime
    ) -> Cohort | None:
        created = await self._pool.fetchval(
            "INSERT INTO cohorts (course_id, name, invite_code, created_by, created_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (course_id, lower(name)) DO NOTHING "
            "RETURNING id",
            course.id,
            name,
            code,
            actor_id,
            now,
        )
        if created is None:
            return None
        return Cohort(created, course.id, course.slug, course.name, name, code, False)

    async def cohorts(self, course_id: UUID) -> list[Cohort]:
        rows = await self._pool.fetch(
            _COHORT + " WHERE k.course_id = $1 ORDER BY k.closed_at IS NOT NULL, k.created_at",
            course_id,
        )
        return [_cohort(r) for r in rows]

    async def find(self, course_id: UUID, ref: str) -> Cohort | None:
        row = await self._pool.fetchrow(
            _COHORT + " WHERE k.course_id = $1 AND (lower(k.name) = lower($2) "
            "OR k.invite_code = $2) ORDER BY lower(k.name) = lower($2) DESC LIMIT 1",
            course_id,
            ref,
        )
        return _cohort(row) if row else None

    async def by_code(self, code: str) -> Cohort | None:
        row = await self._pool.fetchrow(_COHORT + " WHERE k.invite_code = $1", code)
        return _cohort(row) if row else None

    async def close(self, cohort_id: UUID, now: datetime) -> bool:
        closed = await self._pool.fetchval(
            "UPDATE cohorts SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL RETURNING true",
            cohort_id,
            now,
        )
        return bool(closed)

    async def add_tutor(self, cohort_id: UUID, user_id: int) -> bool:
        added = await self._pool.fetchval(
            "INSERT INTO cohort_tutors (cohort_id, user_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING RETURNING true",
            cohort_id,
            user_id,
        )
        return bool(added)

    async def join(
        self, cohort: Cohort, user_id: int, now: datetime
    ) -> tuple[bool, str | None] | None:
        """One transaction: the open cohort is locked, the learner's other membership in
        the course ended, theirs in this one written once."""
        async with self._pool.acquire() as conn, conn.transaction():
            open_ = await conn.fetchval(
                "SELECT true FROM cohorts WHERE id = $1 AND closed_at IS NULL FOR SHARE",
                cohort.id,
            )
            if not open_:
                return None
            moved_from = await conn.fetchval(
                """
                WITH ended AS (
                    UPDATE cohort_members SET left_at = $4
                    WHERE user_id = $1 AND course_id = $2 AND cohort_id <> $3
                      AND left_at IS NULL
                    RETURNING cohort_id
                )
                SELECT k.name FROM ended JOIN cohorts k ON k.id = ended.cohort_id
                """,
                user_id,
                cohort.course_id,
                cohort.id,
                now,
            )
            newly = await conn.fetchval(
                """
                INSERT INTO cohort_members (cohort_id, course_id, user_id, joined_at)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (user_id, course_id) WHERE left_at IS NULL DO NOTHING
                RETURNING true
                """,
                cohort.id,
                cohort.course_id,
                user_id,
                now,
            )
            return bool(newly), moved_from

    async def memberships(self, user_id: int) -> list[Membership]:
        rows = await self._pool.fetch(
            f"""
            SELECT k.id, k.name, c.id AS course_id, c.name AS course_name, m.joined_at,
                {_TUTORS}
            FROM cohort_members m JOIN cohorts k ON k.id = m.cohort_id
            JOIN courses c ON c.id = m.course_id
            WHERE m.user_id = $1 AND m.left_at IS NULL
            ORDER BY c.name
            """,
            user_id,
        )
        return [
            Membership(
                r["id"],
                r["name"],
                r["course_id"],
                r["course_name"],
                r["joined_at"],
                tuple(r["tutors"]),
            )
            for r in rows
        ]

    async def leave(self, user_id: int, cohort_id: UUID, now: datetime) -> bool:
        left = await self._pool.fetchval(
            "UPDATE cohort_members SET left_at = $3 "
            "WHERE user_id = $1 AND cohort_id = $2 AND left_at IS NULL RETURNING true",
            user_id,
            cohort_id,
            now,
        )
        return bool(left)
