"""Notes and bookmarks (domain.notes): one statement per use case."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from domain.notes import NOTES_PER_LEARNER, Found, Note, TopicRef

# A topic the learner may open (enrolled, not suspended, module unlocked), as a note names it.
_OPENABLE = """
    SELECT t.id AS topic_id, t.course_id, c.name AS course_name, t.module_no,
        t.topic_number, t.title
    FROM topics t
    JOIN courses c ON c.id = t.course_id AND c.is_published
    JOIN enrollments e ON e.user_id = $1 AND e.course_id = t.course_id
        AND e.status <> 'suspended'
    JOIN module_progress mp ON mp.user_id = $1 AND mp.course_id = t.course_id
        AND mp.module_no = t.module_no AND mp.unlocked_at IS NOT NULL
"""

_NOTE_COLUMNS = """
    n.id, n.course_id, c.name AS course_name, n.topic_id, n.module_no, n.topic_number,
    n.topic_title AS title, n.body, n.created_at
"""


def _topic(row: asyncpg.Record) -> TopicRef:
    return TopicRef(
        course_id=row["course_id"],
        course_name=row["course_name"],
        module_no=row["module_no"],
        topic_number=row["topic_number"],
        title=row["title"],
        topic_id=row["topic_id"],
    )


def _note(row: asyncpg.Record) -> Note:
    return Note(id=row["id"], topic=_topic(row), body=row["body"], created_at=row["created_at"])


class PgNoteStore:
    def __init__(self, pool: asyncpg.Pool, *, cap: int = NOTES_PER_LEARNER) -> None:
        self._pool = pool
        self._cap = cap

    async def chat_topic(self, user_id: int, chat_id: int) -> TopicRef | None:
        row = await self._pool.fetchrow(
            f"{_OPENABLE} JOIN conversation_state s ON s.topic_id = t.id "
            "WHERE s.chat_id = $2 AND s.user_id = $1",
            user_id,
            chat_id,
        )
        return _topic(row) if row else None

    async def open_topic(
        self, user_id: int, course_id: UUID, module_no: int, topic_number: int
    ) -> TopicRef | None:
        row = await self._pool.fetchrow(
            f"{_OPENABLE} WHERE t.course_id = $2 AND t.module_no = $3 AND t.topic_number = $4",
            user_id,
            course_id,
            module_no,
            topic_number,
        )
        return _topic(row) if row else None

    async def add(
        self, user_id: int, topic: TopicRef, body: str, source: tuple[int, int], at: datetime
    ) -> Note | None:
        """The cap is checked in the insert itself; two notes racing at the cap may both
        land (one over), which is harmless and cheaper than a lock per learner."""
        row = await self._pool.fetchrow(
            f"""
            WITH added AS (
                INSERT INTO notes (user_id, course_id, topic_id, module_no, topic_number,
                    topic_title, body, chat_id, message_id, created_at)
                SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
                WHERE (SELECT count(*) FROM notes WHERE user_id = $1) < $11
                ON CONFLICT (user_id, chat_id, message_id) DO NOTHING
                RETURNING *
            ),
            kept AS (
                SELECT * FROM added
                UNION ALL
                SELECT * FROM notes
                WHERE user_id = $1 AND chat_id = $8 AND message_id = $9
            )
            SELECT {_NOTE_COLUMNS} FROM kept n JOIN courses c ON c.id = n.course_id LIMIT 1
            """,
            user_id,
            topic.course_id,
            topic.topic_id,
            topic.module_no,
            topic.topic_number,
            topic.title,
            body,
            *source,
            at,
            self._cap,
        )
        return _note(row) if row else None

    async def find(
        self, user_id: int, words: list[str], topic_id: UUID | None, limit: int
    ) -> Found:
        """`strpos` on the case-folded text rather than LIKE: a learner's `%` or `_` is a
        character to find, not a pattern."""
        rows = await self._pool.fetch(
            f"""
            SELECT {_NOTE_COLUMNS}, count(*) OVER () AS total
            FROM notes n JOIN courses c ON c.id = n.course_id
            WHERE n.user_id = $1 AND ($2::uuid IS NULL OR n.topic_id = $2)
              AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) w
                              WHERE strpos(lower(n.body), w) = 0)
            ORDER BY n.created_at DESC, n.id DESC LIMIT $4
            """,
            user_id,
            topic_id,
            words,
            limit,
        )
        return Found([_note(r) for r in rows], rows[0]["total"] if rows else 0)

    async def delete(self, user_id: int, note_id: int) -> TopicRef | None:
        row = await self._pool.fetchrow(
            """
            WITH gone AS (
                DELETE FROM notes WHERE id = $2 AND user_id = $1
                RETURNING course_id, topic_id, module_no, topic_number, topic_title AS title
            )
            SELECT g.*, c.name AS course_name FROM gone g JOIN courses c ON c.id = g.course_id
            """,
            user_id,
            note_id,
        )
        return _topic(row) if row else None

    async def toggle_bookmark(self, user_id: int, topic_id: UUID, at: datetime) -> bool:
        """One statement either way: delete it if it is there, else add it."""
        return await self._pool.fetchval(
            """
            WITH removed AS (
                DELETE FROM bookmarks WHERE user_id = $1 AND topic_id = $2 RETURNING 1
            ),
            added AS (
                INSERT INTO bookmarks (user_id, topic_id, created_at)
                SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM removed)
                ON CONFLICT DO NOTHING RETURNING 1
            )
            SELECT EXISTS (SELECT 1 FROM added)
            """,
            user_id,
            topic_id,
            at,
        )

    async def bookmarks(self, user_id: int) -> list[TopicRef]:
        rows = await self._pool.fetch(
            """
            SELECT t.id AS topic_id, t.course_id, c.name AS course_name, t.module_no,
                t.topic_number, t.title
            FROM bookmarks b JOIN topics t ON t.id = b.topic_id
            JOIN courses c ON c.id = t.course_id
            WHERE b.user_id = $1
            ORDER BY c.name, t.module_no, t.topic_number
            """,
            user_id,
        )
        return [_topic(r) for r in rows]
