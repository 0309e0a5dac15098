"""Course visibility and the progress export."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from domain.course_admin import Change, CourseRow, ProgressRow, Visibility

_COURSES = """
SELECT c.id, c.slug, c.name, c.is_published, c.archived_at,
    (SELECT count(*) FROM enrollments e WHERE e.course_id = c.id) AS learners
FROM courses c
"""


def _row(r: asyncpg.Record) -> CourseRow:
    if r["archived_at"] is not None:
        visibility = Visibility.ARCHIVED
    elif r["is_published"]:
        visibility = Visibility.PUBLISHED
    else:
        visibility = Visibility.DRAFT
    return CourseRow(r["id"], r["slug"], r["name"], visibility, r["learners"])


class PgCourseAdminStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def courses(self) -> list[CourseRow]:
        return [_row(r) for r in await self._pool.fetch(_COURSES + " ORDER BY c.name")]

    async def course(self, course_id: UUID) -> CourseRow | None:
        row = await self._pool.fetchrow(_COURSES + " WHERE c.id = $1", course_id)
        return _row(row) if row else None

    async def set_visibility(self, course_id: UUID, change: Change, now: datetime) -> None:
        published, archived = {
            Change.PUBLISH: (True, None),
            Change.UNPUBLISH: (False, None),
            Change.ARCHIVE: (False, now),
        }[change]
        await self._pool.execute(
            "UPDATE courses SET is_published = $2, archived_at = $3, updated_at = now() "
            "WHERE id = $1",
            course_id,
            published,
            archived,
        )

    async def progress_rows(
        self, course_id: UUID, cohort_id: UUID | None = None
    ) -> list[ProgressRow]:
        rows = await self._pool.fetch(
            """
            SELECT u.id, u.username, concat_ws(' ', u.first_name, u.last_name) AS name,
                e.status, p.persona, e.enrolled_at, e.completed_at, m.module_no,
                (SELECT count(*) FROM topics t WHERE t.course_id = $1
                    AND t.module_no = m.module_no) AS topics,
                (SELECT count(*) FROM topic_progress tp JOIN topics t ON t.id = tp.topic_id
                    WHERE tp.user_id = u.id AND t.course_id = $1
                      AND t.module_no = m.module_no AND tp.is_completed) AS done,
                coalesce(mp.quiz_passed, false) AS passed, mp.best_score,
                coalesce(mp.quiz_attempts, 0) AS attempts, coalesce(q.typed_count, 0) AS typed,
                k.name AS cohort
            FROM enrollments e
            JOIN users u ON u.id = e.user_id
            JOIN modules m ON m.course_id = e.course_id
            LEFT JOIN topic_personalization p ON p.user_id = u.id AND p.course_id = $1
            LEFT JOIN module_progress mp ON mp.user_id = u.id AND mp.course_id = $1
                AND mp.module_no = m.module_no
            LEFT JOIN module_prompt_usage q ON q.user_id = u.id AND q.course_id = $1
                AND q.module_no = m.module_no
            LEFT JOIN cohort_members cm ON cm.user_id = u.id AND cm.course_id = $1
                AND cm.left_at IS NULL
            LEFT JOIN cohorts k ON k.id = cm.cohort_id
            WHERE e.course_id = $1 AND ($2::uuid IS NULL OR cm.cohort_id = $2)
            ORDER BY e.enrolled_at, u.id, m.module_no
            """,
            course_id,
            cohort_id,
        )
        return [
            ProgressRow(
                r["id"],
                r["username"],
                r["name"],
                r["status"],
                r["persona"],
                r["enrolled_at"],
                r["completed_at"],
                r["module_no"],
                r["done"],
                r["topics"],
                r["passed"],
                float(r["best_score"]) if r["best_score"] is not None else None,
                r["attempts"],
                r["typed"],
                r["cohort"],
            )
            for r in rows
        ]
