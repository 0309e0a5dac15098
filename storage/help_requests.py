"""Requests for a human tutor (domain.help_requests): one statement per use case.

A request row read back always comes with the names a card shows (learner, course, topic,
claiming tutor) and the learner's progress in the course, so a card can be drawn from it
without another query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from domain.help_requests import (
    Asking,
    Exchange,
    HelpFigures,
    Progress,
    Request,
    Side,
    Status,
    percentile,
)

_NAME = "nullif(btrim(concat_ws(' ', {u}.first_name, {u}.last_name)), '')"

_PROGRESS = """
    (SELECT count(*) FROM topic_progress tp JOIN topics t ON t.id = tp.topic_id
        WHERE tp.user_id = {learner} AND t.course_id = {course} AND tp.is_completed)
        AS topics_done,
    (SELECT count(*) FROM topics t WHERE t.course_id = {course}) AS topics,
    (SELECT coalesce(max(mp.module_no), 0) FROM module_progress mp
        WHERE mp.user_id = {learner} AND mp.course_id = {course}
        AND mp.unlocked_at IS NOT NULL) AS module_reached,
    (SELECT count(*) FROM modules m WHERE m.course_id = {course}) AS modules,
    (SELECT count(*) FROM module_progress mp WHERE mp.user_id = {learner}
        AND mp.course_id = {course} AND mp.quiz_passed) AS quizzes_passed
"""

_REQUEST = f"""
    SELECT r.*, coalesce({_NAME.format(u="lu")}, 'Learner') AS learner_name,
        c.slug AS course_slug, c.name AS course_name, t.title AS topic_title,
        {_NAME.format(u="cu")} AS claimer_name,
        {_PROGRESS.format(learner="r.learner_id", course="r.course_id")}
    FROM help_requests r
    JOIN courses c ON c.id = r.course_id
    JOIN users lu ON lu.id = r.learner_id
    LEFT JOIN users cu ON cu.id = r.claimed_by
    LEFT JOIN topics t ON t.course_id = r.course_id AND t.module_no = r.module_no
        AND t.topic_number = r.topic_number
"""


def _request(row: asyncpg.Record) -> Request:
    exchange = None
    if row["ai_question"] is not None:
        exchange = Exchange(row["ai_question"], row["ai_answer"] or "")
    return Request(
        id=row["id"],
        learner_id=row["learner_id"],
        learner_name=row["learner_name"],
        course_id=row["course_id"],
        course_slug=row["course_slug"],
        course_name=row["course_name"],
        module_no=row["module_no"],
        topic_number=row["topic_number"],
        topic_title=row["topic_title"],
        question=row["question"],
        exchange=exchange,
        progress=_progress(row),
        status=Status(row["status"]),
        claimed_by=row["claimed_by"],
        claimer_name=row["claimer_name"],
        created_at=row["created_at"],
        first_response_at=row["first_response_at"],
        escalated_at=row["escalated_at"],
        resolved_at=row["resolved_at"],
        rating=row["rating"],
        staff_chat_id=row["staff_chat_id"],
        thread_id=row["thread_id"],
    )


def _progress(row: asyncpg.Record) -> Progress:
    return Progress(
        row["topics_done"],
        row["topics"],
        row["module_reached"],
        row["modules"],
        row["quizzes_passed"],
    )


class PgHelpStore:
    def __init__(self, pool: asyncpg.Pool, *, bot_id: int) -> None:
        self._pool = pool
        self._bot_id = bot_id

    async def asking(
        self, learner_id: int, course_id: UUID, day_start: datetime, update_id: int | None
    ) -> Asking | None:
        row = await self._pool.fetchrow(
            f"""
            SELECT c.id, c.slug, c.name, coalesce({_NAME.format(u="u")}, 'Learner') AS name_,
                {_PROGRESS.format(learner="$1", course="$2")},
                (SELECT count(*) FROM help_requests r WHERE r.learner_id = $1
                    AND r.status <> 'resolved'
                    AND r.source_update IS DISTINCT FROM $4) AS open_requests,
                (SELECT count(*) FROM help_requests r WHERE r.course_id = $2
                    AND r.created_at >= $3
                    AND r.source_update IS DISTINCT FROM $4) AS course_today,
                last.question AS ai_question, last.answer AS ai_answer
            FROM courses c
            JOIN enrollments e ON e.course_id = c.id AND e.user_id = $1
                AND e.status <> 'suspended'
            JOIN users u ON u.id = $1
            LEFT JOIN LATERAL (
                SELECT q.content AS question, (
                    SELECT a.content FROM ai_mentor_thread_messages a
                    WHERE a.thread_id = q.thread_id AND a.id > q.id AND a.role = 'tutor'
                    ORDER BY a.id LIMIT 1) AS answer
                FROM ai_mentor_threads th
                JOIN ai_mentor_thread_messages q ON q.thread_id = th.id AND q.role = 'learner'
                WHERE th.user_id = $1 AND th.course_id = $2
                ORDER BY q.id DESC LIMIT 1
            ) last ON true
            WHERE c.id = $2 AND c.is_published
            """,
            learner_id,
            course_id,
            day_start,
            update_id,
        )
        if row is None:
            return None
        exchange = None
        if row["ai_question"] is not None:
            exchange = Exchange(row["ai_question"], row["ai_answer"] or "")
        return Asking(
            learner_id=learner_id,
            learner_name=row["name_"],
            course_id=row["id"],
            course_slug=row["slug"],
            course_name=row["name"],
            progress=_progress(row),
            last_exchange=exchange,
            open_requests=row["open_requests"],
            course_today=row["course_today"],
        )

    async def create(
        self,
        asking: Asking,
        question: str,
        place: tuple[int, int] | None,
        exchange: Exchange | None,
        now: datetime,
        update_id: int | None,
    ) -> Request:
        request_id = await self._pool.fetchval(
            """
            WITH made AS (
                INSERT INTO help_requests (bot_id, learner_id, course_id, module_no,
                    topic_number, question, ai_question, ai_answer, created_at, source_update)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (bot_id, source_update) DO NOTHING
                RETURNING id
            )
            SELECT id FROM made
            UNION ALL
            SELECT id FROM help_requests WHERE bot_id = $1 AND source_update = $10
                AND NOT EXISTS (SELECT 1 FROM made)
            """,
            self._bot_id,
            asking.learner_id,
            asking.course_id,
            place[0] if place else None,
            place[1] if place else None,
            question,
            exchange.question if exchange else None,
            exchange.answer if exchange else None,
            now,
            update_id,
        )
        made = await self.request(request_id)
        assert made is not None
        return made

    async def request(self, request_id: int) -> Request | None:
        row = await self._pool.fetchrow(f"{_REQUEST} WHERE r.id = $1", request_id)
        return _request(row) if row else None

    async def by_thread(self, chat_id: int, thread_id: int) -> Request | None:
        row = await self._pool.fetchrow(
            f"{_REQUEST} WHERE r.staff_chat_id = $1 AND r.thread_id = $2", chat_id, thread_id
        )
        return _request(row) if row else None

    async def by_post(self, chat_id: int, message_id: int) -> Request | None:
        row = await self._pool.fetchrow(
            f"{_REQUEST} WHERE r.id = (SELECT request_id FROM help_posts "
            "WHERE chat_id = $1 AND message_id = $2)",
            chat_id,
            message_id,
        )
        return _request(row) if row else None

    async def claim(self, request_id: int, tutor_id: int, now: datetime) -> Request | None:
        await self._pool.execute(
            "UPDATE help_requests SET status = 'claimed', claimed_by = $2, claimed_at = $3 "
            "WHERE id = $1 AND status = 'open'",
            request_id,
            tutor_id,
            now,
        )
        return await self.request(request_id)

    async def add_message(
        self,
        request: Request,
        author_id: int,
        side: Side,
        body: str,
        media: str | None,
        drafted: bool,
        now: datetime,
        update_id: int | None,
    ) -> tuple[Request, bool]:
        # One statement writes the message and, for a tutor's first, stamps the request;
        # the request is read back after it (a statement doesn't see its own updates).
        added = await self._pool.fetchval(
            """
            WITH added AS (
                INSERT INTO help_messages (request_id, author_id, side, body, media, drafted,
                    created_at, bot_id, source_update)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT (bot_id, source_update) DO NOTHING
                RETURNING request_id
            ), stamped AS (
                UPDATE help_requests SET
                    first_response_at = coalesce(first_response_at, $7),
                    status = CASE WHEN status = 'open' THEN 'claimed' ELSE status END,
                    claimed_by = coalesce(claimed_by, $2),
                    claimed_at = coalesce(claimed_at, $7)
                WHERE id = (SELECT request_id FROM added) AND $3 = 'tutor'
                RETURNING id
            )
            SELECT EXISTS (SELECT 1 FROM added) OR EXISTS (SELECT 1 FROM stamped)
            """,
            request.id,
            author_id,
            side.value,
            body,
            media,
            drafted,
            now,
            self._bot_id,
            update_id,
        )
        after = await self.request(request.id) if added and side is Side.TUTOR else request
        return after or request, bool(added)

    async def resolve(self, request_id: int, by: Side, now: datetime) -> Request | None:
        done = await self._pool.fetchval(
            "UPDATE help_requests SET status = 'resolved', resolved_at = $2, resolved_by = $3 "
            "WHERE id = $1 AND status <> 'resolved' RETURNING id",
            request_id,
            now,
            by.value,
        )
        return await self.request(request_id) if done else None

    async def rate(self, request_id: int, learner_id: int, stars: int) -> bool:
        done = await self._pool.fetchval(
            "UPDATE help_requests SET rating = $3 WHERE id = $1 AND learner_id = $2 "
            "AND status = 'resolved' AND rating IS DISTINCT FROM $3 RETURNING true",
            request_id,
            learner_id,
            stars,
        )
        return bool(done)

    async def add_posts(self, request_id: int, posts: Sequence[tuple[int, int, str]]) -> None:
        await self._pool.executemany(
            "INSERT INTO help_posts (chat_id, message_id, request_id, kind) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(chat, message, request_id, kind) for chat, message, kind in posts],
        )

    async def posts(self, request_id: int, kind: str) -> list[tuple[int, int]]:
        rows = await self._pool.fetch(
            "SELECT chat_id, message_id FROM help_posts WHERE request_id = $1 AND kind = $2 "
            "ORDER BY chat_id, message_id",
            request_id,
            kind,
        )
        return [(row["chat_id"], row["message_id"]) for row in rows]

    async def set_topic(self, request_id: int, chat_id: int | None, thread_id: int | None) -> None:
        await self._pool.execute(
            "UPDATE help_requests SET staff_chat_id = $2, thread_id = $3 WHERE id = $1",
            request_id,
            chat_id,
            thread_id,
        )

    async def staff_group(self) -> int | None:
        return await self._pool.fetchval(
            "SELECT chat_id FROM staff_groups WHERE bot_id = $1", self._bot_id
        )

    async def link_group(self, chat_id: int, title: str, by: int, now: datetime) -> int | None:
        return await self._pool.fetchval(
            """
            WITH before AS (SELECT chat_id FROM staff_groups WHERE bot_id = $1)
            INSERT INTO staff_groups (bot_id, chat_id, title, linked_by, linked_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (bot_id) DO UPDATE SET chat_id = EXCLUDED.chat_id,
                title = EXCLUDED.title, linked_by = EXCLUDED.linked_by,
                linked_at = EXCLUDED.linked_at
            RETURNING (SELECT chat_id FROM before WHERE chat_id <> $2)
            """,
            self._bot_id,
            chat_id,
            title[:128],
            by,
            now,
        )

    async def unlink_group(self, chat_id: int) -> bool:
        done = await self._pool.fetchval(
            "DELETE FROM staff_groups WHERE bot_id = $1 AND chat_id = $2 RETURNING true",
            self._bot_id,
            chat_id,
        )
        return bool(done)

    async def tutors(self, course_id: UUID) -> list[int]:
        rows = await self._pool.fetch(
            "SELECT t.user_id FROM course_tutors t JOIN users u ON u.id = t.user_id "
            "WHERE t.course_id = $1 AND u.role IN ('tutor', 'admin') AND NOT u.is_blocked "
            "ORDER BY t.created_at",
            course_id,
        )
        return [row["user_id"] for row in rows]

    async def admins(self) -> list[int]:
        rows = await self._pool.fetch(
            "SELECT id FROM users WHERE role = 'admin' AND NOT is_blocked AND id > 0 ORDER BY id"
        )
        return [row["id"] for row in rows]

    async def escalate(self, asked_before: datetime, now: datetime, limit: int) -> list[Request]:
        ids = await self._pool.fetch(
            """
            WITH due AS (
                SELECT id FROM help_requests
                WHERE bot_id = $1 AND status <> 'resolved' AND first_response_at IS NULL
                    AND escalated_at IS NULL AND created_at <= $2
                ORDER BY created_at LIMIT $4
                FOR UPDATE SKIP LOCKED
            )
            UPDATE help_requests r SET escalated_at = $3 FROM due WHERE r.id = due.id
            RETURNING r.id
            """,
            self._bot_id,
            asked_before,
            now,
            limit,
        )
        if not ids:
            return []
        rows = await self._pool.fetch(
            f"{_REQUEST} WHERE r.id = ANY($1::bigint[]) ORDER BY r.created_at",
            [row["id"] for row in ids],
        )
        return [_request(row) for row in rows]

    async def figures(self, courses: frozenset[UUID] | None, since: datetime | None) -> HelpFigures:
        row = await self._pool.fetchrow(
            """
            SELECT count(*) AS asked,
                count(*) FILTER (WHERE status <> 'resolved') AS open,
                count(*) FILTER (WHERE status = 'resolved') AS resolved,
                count(*) FILTER (WHERE escalated_at IS NOT NULL) AS escalated,
                coalesce(array_agg(extract(epoch FROM first_response_at - created_at))
                    FILTER (WHERE first_response_at IS NOT NULL), '{}') AS waits,
                count(rating) AS ratings, avg(rating)::float AS rating_average
            FROM help_requests
            WHERE ($1::uuid[] IS NULL OR course_id = ANY($1::uuid[]))
                AND ($2::timestamptz IS NULL OR created_at >= $2)
            """,
            None if courses is None else list(courses),
            since,
        )
        waits = [timedelta(seconds=float(w)) for w in row["waits"]]
        return HelpFigures(
            asked=row["asked"],
            open=row["open"],
            resolved=row["resolved"],
            escalated=row["escalated"],
            first_response_p50=percentile(waits, 0.5),
            first_response_p90=percentile(waits, 0.9),
            ratings=row["ratings"],
            rating_average=row["rating_average"],
        )
