"""Catalog, enrollments, personas and progress for the learner journey."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.learning import (
    CourseInfo,
    Enrollment,
    EnrollOutcome,
    ModuleRecord,
    Position,
    TopicMark,
    TopicRecord,
)
from domain.personas import Persona

_COURSE_COLUMNS = """
    c.id, c.slug, c.name, c.description, c.category, c.level, c.price_cents, c.currency,
    (SELECT count(*) FROM modules m WHERE m.course_id = c.id) AS module_count,
    (SELECT count(*) FROM topics t WHERE t.course_id = c.id) AS topic_count
"""


def _course(row: asyncpg.Record) -> CourseInfo:
    return CourseInfo(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        description=row["description"],
        category=row["category"],
        level=row["level"],
        price_cents=row["price_cents"],
        currency=row["currency"],
        modules=row["module_count"],
        topics=row["topic_count"],
    )


class PgLearningStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def published_courses(self) -> list[CourseInfo]:
        rows = await self._pool.fetch(
            f"SELECT {_COURSE_COLUMNS} FROM courses c WHERE c.is_published ORDER BY c.name"
        )
        return [_course(r) for r in rows]

    async def course(self, course_id: UUID) -> CourseInfo | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COURSE_COLUMNS} FROM courses c WHERE c.id = $1 AND c.is_published",
            course_id,
        )
        return _course(row) if row else None

    async def course_by_slug(self, slug: str) -> CourseInfo | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COURSE_COLUMNS} FROM courses c WHERE c.slug = $1 AND c.is_published", slug
        )
        return _course(row) if row else None

    async def enrollments(self, user_id: int) -> list[Enrollment]:
        rows = await self._pool.fetch(
            f"""
            SELECT {_COURSE_COLUMNS}, e.status, p.persona
            FROM enrollments e JOIN courses c ON c.id = e.course_id
            LEFT JOIN topic_personalization p ON p.user_id = e.user_id AND p.course_id = c.id
            WHERE e.user_id = $1 ORDER BY e.enrolled_at
            """,
            user_id,
        )
        return [_enrollment(r) for r in rows]

    async def enrollment(self, user_id: int, course_id: UUID) -> Enrollment | None:
        row = await self._pool.fetchrow(
            f"""
            SELECT {_COURSE_COLUMNS}, e.status, p.persona
            FROM enrollments e JOIN courses c ON c.id = e.course_id
            LEFT JOIN topic_personalization p ON p.user_id = e.user_id AND p.course_id = c.id
            WHERE e.user_id = $1 AND e.course_id = $2
            """,
            user_id,
            course_id,
        )
        return _enrollment(row) if row else None

    async def ensure_enrollment(self, user_id: int, course_id: UUID) -> EnrollOutcome:
        """Seed 000's ensureEnrollment: never duplicates, never revives a suspension."""
        async with self._pool.acquire() as conn, conn.transaction():
            created = await conn.fetchval(
                "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING RETURNING true",
                user_id,
                course_id,
            )
            if not created:
                status = await conn.fetchval(
                    "SELECT status FROM enrollments WHERE user_id = $1 AND course_id = $2",
                    user_id,
                    course_id,
                )
                if status == "suspended":
                    return EnrollOutcome.SUSPENDED
            await conn.execute(
                "INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at) "
                "VALUES ($1, $2, 1, now()) ON CONFLICT DO NOTHING",
                user_id,
                course_id,
            )
            return EnrollOutcome.ENROLLED if created else EnrollOutcome.ALREADY

    async def set_persona(self, user_id: int, course_id: UUID, persona: Persona) -> None:
        await self._pool.execute(
            """
            INSERT INTO topic_personalization (user_id, course_id, persona) VALUES ($1, $2, $3)
            ON CONFLICT (user_id, course_id) DO UPDATE
                SET persona = EXCLUDED.persona, updated_at = now()
            """,
            user_id,
            course_id,
            persona.value,
        )

    async def modules(self, user_id: int, course_id: UUID) -> list[ModuleRecord]:
        rows = await self._pool.fetch(
            """
            SELECT m.module_no, m.title, m.description,
                count(t.id) AS topics,
                count(tp.topic_id) FILTER (WHERE tp.is_completed) AS completed,
                coalesce(mp.unlocked_at IS NOT NULL, false) AS unlocked,
                coalesce(mp.quiz_passed, false) AS quiz_passed,
                EXISTS (SELECT 1 FROM quiz_questions q WHERE q.course_id = m.course_id
                        AND q.module_no = m.module_no AND q.is_active) AS has_quiz
            FROM modules m
            LEFT JOIN topics t ON t.course_id = m.course_id AND t.module_no = m.module_no
            LEFT JOIN topic_progress tp ON tp.topic_id = t.id AND tp.user_id = $1
            LEFT JOIN module_progress mp ON mp.course_id = m.course_id
                AND mp.module_no = m.module_no AND mp.user_id = $1
            WHERE m.course_id = $2
            GROUP BY m.course_id, m.module_no, m.title, m.description, mp.unlocked_at,
                mp.quiz_passed
            ORDER BY m.module_no
            """,
            user_id,
            course_id,
        )
        return [
            ModuleRecord(
                r["module_no"],
                r["title"],
                r["description"],
                r["topics"],
                r["completed"],
                r["unlocked"],
                r["quiz_passed"],
                r["has_quiz"],
            )
            for r in rows
        ]

    async def topic_marks(self, user_id: int, course_id: UUID, module_no: int) -> list[TopicMark]:
        rows = await self._pool.fetch(
            """
            SELECT t.topic_number, t.title, coalesce(tp.is_completed, false) AS completed
            FROM topics t
            LEFT JOIN topic_progress tp ON tp.topic_id = t.id AND tp.user_id = $1
            WHERE t.course_id = $2 AND t.module_no = $3 ORDER BY t.topic_number
            """,
            user_id,
            course_id,
            module_no,
        )
        return [TopicMark(r["topic_number"], r["title"], r["completed"]) for r in rows]

    async def topic(self, course_id: UUID, module_no: int, number: int) -> TopicRecord | None:
        row = await self._pool.fetchrow(
            "SELECT * FROM topics WHERE course_id = $1 AND module_no = $2 AND topic_number = $3",
            course_id,
            module_no,
            number,
        )
        if row is None:
            return None
        return TopicRecord(
            id=row["id"],
            module_no=row["module_no"],
            number=row["topic_number"],
            title=row["title"],
            text=row["text_content"],
            variants={
                Persona.SPORTS: row["text_content_sports"],
                Persona.COOKING: row["text_content_cooking"],
                Persona.ADVENTURE: row["text_content_adventure"],
            },
            ppt_url=row["ppt_url"],
            video_url=row["video_url"],
        )

    async def record_visit(self, user_id: int, topic_id: UUID, chat_id: int, page: int) -> None:
        """The last position and the chat's state move together, so a restart resumes here."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """
                INSERT INTO topic_progress (user_id, topic_id, last_position) VALUES ($1, $2, $3)
                ON CONFLICT (user_id, topic_id) DO UPDATE
                    SET last_position = EXCLUDED.last_position, updated_at = now()
                """,
                user_id,
                topic_id,
                page,
            )
            await conn.execute(
                """
                INSERT INTO conversation_state (chat_id, user_id, course_id, topic_id)
                SELECT $1, $2, course_id, id FROM topics WHERE id = $3
                ON CONFLICT (chat_id) DO UPDATE SET user_id = EXCLUDED.user_id,
                    course_id = EXCLUDED.course_id, topic_id = EXCLUDED.topic_id,
                    updated_at = now()
                """,
                chat_id,
                user_id,
                topic_id,
            )

    async def complete_topic(self, user_id: int, topic_id: UUID) -> bool:
        newly = await self._pool.fetchval(
            """
            INSERT INTO topic_progress AS tp (user_id, topic_id, is_completed, completed_at)
            VALUES ($1, $2, true, now())
            ON CONFLICT (user_id, topic_id) DO UPDATE
                SET is_completed = true, completed_at = now(), updated_at = now()
                WHERE NOT tp.is_completed
            RETURNING true
            """,
            user_id,
            topic_id,
        )
        return bool(newly)

    async def last_position(self, user_id: int, course_id: UUID) -> Position | None:
        row = await self._pool.fetchrow(
            """
            SELECT t.module_no, t.topic_number FROM topic_progress tp
            JOIN topics t ON t.id = tp.topic_id
            WHERE tp.user_id = $1 AND t.course_id = $2
            ORDER BY tp.updated_at DESC LIMIT 1
            """,
            user_id,
            course_id,
        )
        return Position(row["module_no"], row["topic_number"]) if row else None

    async def unlock_module(self, user_id: int, course_id: UUID, module_no: int) -> bool:
        """Open the module for the learner; False when the course has no such module."""
        opened = await self._pool.fetchval(
            """
            INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at)
            SELECT $1, $2, $3, now() WHERE EXISTS
                (SELECT 1 FROM modules WHERE course_id = $2 AND module_no = $3)
            ON CONFLICT (user_id, course_id, module_no) DO UPDATE
                SET unlocked_at = coalesce(module_progress.unlocked_at, now()), updated_at = now()
            RETURNING true
            """,
            user_id,
            course_id,
            module_no,
        )
        return bool(opened)

    async def complete_enrollment(self, user_id: int, course_id: UUID) -> None:
        await self._pool.execute(
            "UPDATE enrollments SET status = 'completed', completed_at = now(), updated_at = now() "
            "WHERE user_id = $1 AND course_id = $2 AND status = 'active'",
            user_id,
            course_id,
        )


def _enrollment(row: asyncpg.Record) -> Enrollment:
    persona = Persona(row["persona"]) if row["persona"] else None
    return Enrollment(_course(row), row["status"], persona)
