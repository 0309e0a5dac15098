"""Course ratings and reviews (domain.ratings): one statement per use case."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from domain.ratings import CourseReview, ReviewsAfter, Standing, Summary, shown_average

# The learner's standing in each course they may study (enrolled, not suspended, published).
_STANDING = """
    SELECT c.id AS course_id, c.name AS course_name, c.reviews_after,
        e.status = 'completed' AS completed,
        EXISTS (SELECT 1 FROM module_progress mp WHERE mp.user_id = e.user_id
                AND mp.course_id = c.id AND mp.module_no = 2 AND mp.unlocked_at IS NOT NULL)
            AS first_module_done
    FROM enrollments e JOIN courses c ON c.id = e.course_id AND c.is_published
    WHERE e.user_id = $1 AND e.status <> 'suspended'
"""

_REVIEW = """
    r.course_id, c.name AS course_name, r.rating, r.comment, r.updated_at
"""


def _standing(row: asyncpg.Record) -> Standing:
    return Standing(
        row["course_id"],
        row["course_name"],
        ReviewsAfter(row["reviews_after"]),
        row["completed"],
        row["first_module_done"],
    )


def _review(row: asyncpg.Record) -> CourseReview:
    return CourseReview(
        row["course_id"], row["course_name"], row["rating"], row["comment"], row["updated_at"]
    )


class PgRatingStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def standing(self, user_id: int, course_id: UUID) -> Standing | None:
        row = await self._pool.fetchrow(f"{_STANDING} AND c.id = $2", user_id, course_id)
        return _standing(row) if row else None

    async def rateable(self, user_id: int) -> list[Standing]:
        rows = await self._pool.fetch(f"{_STANDING} ORDER BY c.name", user_id)
        return [s for s in map(_standing, rows) if s.may_rate]

    async def rate(self, user_id: int, course_id: UUID, rating: int, at: datetime) -> CourseReview:
        row = await self._pool.fetchrow(
            f"""
            WITH saved AS (
                INSERT INTO course_reviews (user_id, course_id, rating, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $4)
                ON CONFLICT (user_id, course_id) DO UPDATE
                    SET rating = EXCLUDED.rating, updated_at = EXCLUDED.updated_at
                RETURNING *
            )
            SELECT {_REVIEW} FROM saved r JOIN courses c ON c.id = r.course_id
            """,
            user_id,
            course_id,
            rating,
            at,
        )
        return _review(row)

    async def comment(
        self, user_id: int, course_id: UUID, text: str, at: datetime
    ) -> CourseReview | None:
        row = await self._pool.fetchrow(
            f"""
            WITH saved AS (
                UPDATE course_reviews SET comment = $3, updated_at = $4
                WHERE user_id = $1 AND course_id = $2
                RETURNING *
            )
            SELECT {_REVIEW} FROM saved r JOIN courses c ON c.id = r.course_id
            """,
            user_id,
            course_id,
            text,
            at,
        )
        return _review(row) if row else None

    async def mine(self, user_id: int, course_id: UUID) -> CourseReview | None:
        row = await self._pool.fetchrow(
            f"SELECT {_REVIEW} FROM course_reviews r JOIN courses c ON c.id = r.course_id "
            "WHERE r.user_id = $1 AND r.course_id = $2",
            user_id,
            course_id,
        )
        return _review(row) if row else None

    async def latest(self, user_id: int) -> CourseReview | None:
        row = await self._pool.fetchrow(
            f"SELECT {_REVIEW} FROM course_reviews r JOIN courses c ON c.id = r.course_id "
            "WHERE r.user_id = $1 ORDER BY r.updated_at DESC LIMIT 1",
            user_id,
        )
        return _review(row) if row else None

    async def summary(self, course_id: UUID, listed: int) -> Summary:
        rows = await self._pool.fetch(
            f"""
            WITH visible AS (
                SELECT * FROM course_reviews WHERE course_id = $1 AND hidden_at IS NULL
            )
            SELECT s.*, k.* FROM (
                SELECT count(*) AS count, coalesce(sum(rating), 0) AS total FROM visible
            ) s LEFT JOIN LATERAL (
                SELECT {_REVIEW} FROM visible r JOIN courses c ON c.id = r.course_id
                WHERE r.comment IS NOT NULL ORDER BY r.updated_at DESC LIMIT $2
            ) k ON true
            """,
            course_id,
            listed,
        )
        count, total = rows[0]["count"], rows[0]["total"]
        recent = [_review(r) for r in rows if r["course_id"] is not None]
        return Summary(count, shown_average(count, total), recent)

    async def hide(self, user_id: int, course_id: UUID, reason: str, at: datetime) -> bool:
        status = await self._pool.execute(
            "UPDATE course_reviews SET hidden_at = $3, hidden_reason = $4 "
            "WHERE user_id = $1 AND course_id = $2 AND hidden_at IS NULL",
            user_id,
            course_id,
            at,
            reason,
        )
        return status.endswith(" 1")
