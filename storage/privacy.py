"""What /mydata reads and /deleteme erases: every table that holds rows about a person.

`EXPORT` (one query per table, rows as `to_jsonb` so new columns are exported by themselves)
and `ERASURE` (what happens to each table's rows, the why is in domain.privacy) must name
every user-keyed table; tests/storage/test_privacy.py finds those in the schema (foreign keys
to `users`, and columns such as `user_id`, `actor_id`, `chat_id`, `chat_key`) and fails when
a migration adds one that is missing here.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.privacy import PERSON_ACTIONS, ErasureRequest, Outcome, Sections


def _by_course(table: str, order: str) -> str:
    return (
        f"SELECT to_jsonb(t) || jsonb_build_object('course_slug', c.slug) FROM {table} t "
        f"JOIN courses c ON c.id = t.course_id WHERE t.user_id = $1 ORDER BY c.slug, {order}"
    )


def _by_topic(table: str) -> str:
    """Rows keyed by a topic, with the course, module, number and title it has now."""
    return f"""
        SELECT to_jsonb(t) || jsonb_build_object('course_slug', c.slug, 'module_no',
            tp.module_no, 'topic_number', tp.topic_number, 'topic_title', tp.title)
        FROM {table} t JOIN topics tp ON tp.id = t.topic_id
        JOIN courses c ON c.id = tp.course_id
        WHERE t.user_id = $1 ORDER BY c.slug, tp.module_no, tp.topic_number
    """


# An audit row is about the person when it records a command on a person whose first
# argument names them: their id, or their (current) username with or without the "@".
_ABOUT_THEM = """
t.action = ANY($2::text[]) AND lower(split_part(btrim(t.target), ' ', 1)) IN (
    SELECT $1::bigint::text
    UNION ALL SELECT lower(u.username) FROM users u WHERE u.id = $1 AND u.username <> ''
    UNION ALL SELECT '@' || lower(u.username) FROM users u WHERE u.id = $1 AND u.username <> ''
)
"""

# table -> the query of its rows about user $1 ($2: the person-naming staff actions).
EXPORT: dict[str, str] = {
    "users": "SELECT to_jsonb(t) FROM users t WHERE t.id = $1",
    "course_tutors": _by_course("course_tutors", "t.created_at"),
    "enrollments": _by_course("enrollments", "t.enrolled_at"),
    "topic_personalization": _by_course("topic_personalization", "t.created_at"),
    "module_progress": _by_course("module_progress", "t.module_no"),
    "topic_progress": _by_topic("topic_progress"),
    "quiz_attempts": _by_course("quiz_attempts", "t.started_at"),
    "module_prompt_usage": _by_course("module_prompt_usage", "t.module_no"),
    "ai_mentor_threads": _by_course("ai_mentor_threads", "t.started_at"),
    "certificates": _by_course("certificates", "t.issued_at"),
    "certificate_names": "SELECT to_jsonb(t) FROM certificate_names t WHERE t.user_id = $1",
    "ai_mentor_thread_messages": """
        SELECT to_jsonb(t) FROM ai_mentor_thread_messages t
        JOIN ai_mentor_threads th ON th.id = t.thread_id
        WHERE th.user_id = $1 ORDER BY t.id
    """,
    "conversation_state": (
        "SELECT to_jsonb(t) FROM conversation_state t WHERE t.user_id = $1 OR t.chat_id = $1"
    ),
    "admin_audit": f"""
        SELECT to_jsonb(t) FROM admin_audit t
        WHERE t.actor_id = $1 OR ({_ABOUT_THEM}) ORDER BY t.id
    """,
    "broadcasts": (
        "SELECT to_jsonb(t) FROM broadcasts t WHERE t.actor_id = $1 OR t.chat_id = $1 "
        "ORDER BY t.created_at"
    ),
    "broadcast_recipients": """
        SELECT to_jsonb(t) || jsonb_build_object('audience', b.audience, 'text', b.text)
        FROM broadcast_recipients t JOIN broadcasts b ON b.id = t.broadcast_id
        WHERE t.user_id = $1 ORDER BY b.created_at
    """,
    "erasure_requests": "SELECT to_jsonb(t) FROM erasure_requests t WHERE t.user_id = $1",
    "notes": _by_course("notes", "t.created_at"),
    "bookmarks": _by_topic("bookmarks"),
    "review_cards": _by_course("review_cards", "t.created_at, t.source"),
    "review_log": _by_course("review_log", "t.reviewed_at"),
    "review_asks": _by_course("review_asks", "t.seq"),
    "reminders": "SELECT to_jsonb(t) FROM reminders t WHERE t.user_id = $1",
    "course_reviews": _by_course("course_reviews", "t.created_at"),
    "daily_goals": "SELECT to_jsonb(t) FROM daily_goals t WHERE t.user_id = $1",
    "course_goals": _by_course("course_goals", "t.target_date"),
    "help_requests": """
        SELECT to_jsonb(t) || jsonb_build_object('course_slug', c.slug) FROM help_requests t
        JOIN courses c ON c.id = t.course_id
        WHERE t.learner_id = $1 OR t.claimed_by = $1 ORDER BY t.id
    """,
    "help_messages": """
        SELECT to_jsonb(t) FROM help_messages t JOIN help_requests r ON r.id = t.request_id
        WHERE r.learner_id = $1 OR t.author_id = $1 ORDER BY t.id
    """,
    "help_posts": "SELECT to_jsonb(t) FROM help_posts t WHERE t.chat_id = $1",
    "staff_groups": "SELECT to_jsonb(t) FROM staff_groups t WHERE t.linked_by = $1",
    "cohorts": _by_course("cohorts", "t.created_at").replace("t.user_id", "t.created_by"),
    "cohort_members": """
        SELECT to_jsonb(t) || jsonb_build_object('course_slug', c.slug, 'cohort', k.name)
        FROM cohort_members t JOIN cohorts k ON k.id = t.cohort_id
        JOIN courses c ON c.id = t.course_id
        WHERE t.user_id = $1 ORDER BY t.joined_at, t.id
    """,
    "cohort_tutors": """
        SELECT to_jsonb(t) || jsonb_build_object('course_slug', c.slug, 'cohort', k.name)
        FROM cohort_tutors t JOIN cohorts k ON k.id = t.cohort_id
        JOIN courses c ON c.id = k.course_id
        WHERE t.user_id = $1 ORDER BY t.added_at
    """,
    # Each update as a person reads it (when, what kind, what they typed or pressed, and
    # whether it was handled), not Telegram's raw JSON: those repeat the sender's profile
    # and the bot's whole message and keyboard under every button press, which made the
    # inbox half of a one-session export. Nothing the person sent is left out.
    "update_inbox": """
        SELECT jsonb_strip_nulls(jsonb_build_object(
            'update_id', t.update_id,
            'received_at', t.received_at,
            'kind', t.kind,
            'text', coalesce(m->>'text', m->>'caption'),
            'attachment', (SELECT k FROM unnest(ARRAY['document', 'photo', 'video', 'voice',
                    'audio', 'sticker', 'animation', 'video_note', 'location', 'contact'])
                    AS k WHERE m ? k LIMIT 1),
            'file_name', m->'document'->>'file_name',
            'pressed', (SELECT b->>'text'
                FROM jsonb_array_elements(coalesce(
                    q->'message'->'reply_markup'->'inline_keyboard', '[]')) AS r(row),
                    jsonb_array_elements(r.row) AS b
                WHERE b->>'callback_data' = q->>'data' LIMIT 1),
            'on_message', q->'message'->>'message_id',
            'processed_at', t.processed_at,
            'failed', nullif(t.failed, false),
            'content', CASE WHEN t.payload - 'update_id' = '{}'::jsonb THEN 'erased' END
        ))
        FROM update_inbox t,
            LATERAL (SELECT coalesce(t.payload->'message', t.payload->'edited_message',
                t.payload->'channel_post') AS m, t.payload->'callback_query' AS q) x
        WHERE t.chat_key = $1 ORDER BY t.update_id
    """,
}

# table -> what erasing a person does to its rows about them.
ERASURE: dict[str, str] = {
    "users": "deleted (with it, by cascade, whatever below is not kept)",
    "course_tutors": "deleted",
    "topic_personalization": "deleted",
    "ai_mentor_threads": "deleted",
    "ai_mentor_thread_messages": "deleted",
    "conversation_state": "deleted",
    "erasure_requests": "deleted (the confirmation is consumed)",
    "notes": "deleted",
    "bookmarks": "deleted",
    "review_cards": "deleted",
    "review_log": "deleted",
    "review_asks": "deleted",
    "reminders": "deleted",
    "course_reviews": "deleted (the course's average no longer counts it)",
    "daily_goals": "deleted",
    "certificate_names": "deleted",
    "certificates": "kept for verifiers without the name or the link to the person: the "
    "page says the holder erased their data",
    "course_goals": "deleted",
    "help_requests": "a learner's deleted, with everything said in them (/stats' answer "
    "times no longer count them); a tutor's claim on others' cleared",
    "help_messages": "deleted: in their own requests, and what they wrote as a tutor",
    "help_posts": "deleted (the bot's messages in their chat no longer lead to a request)",
    "staff_groups": "kept, without who linked it",
    "cohort_members": "deleted (the memberships; progress is kept as for enrollments)",
    "cohort_tutors": "deleted",
    "cohorts": "kept: created with staff rights, no longer naming who created them",
    "enrollments": "moved to the pseudonym, times cut to the day",
    "module_progress": "moved to the pseudonym, times cut to the day, cooldowns dropped",
    "topic_progress": "moved to the pseudonym, times cut to the day",
    "quiz_attempts": "finished ones moved to the pseudonym without answers; a running one deleted",
    "module_prompt_usage": "moved to the pseudonym",
    "broadcast_recipients": "deliveries moved to the pseudonym; pending ones deleted",
    "admin_audit": "refused commands moved to the pseudonym, the name in rows about them "
    "replaced; commands carried out with staff rights kept",
    "broadcasts": "kept: sent with staff rights",
    "update_inbox": "content emptied; processed rows no longer name the chat",
}

_PERSON_ACTIONS = sorted(action.value for action in PERSON_ACTIONS)
ERASED_NAME = "(erased)"

# Rows counted by /stats and the progress export (they need a user row: a pseudonym).
_ANYTHING_COUNTED = """
SELECT EXISTS (SELECT 1 FROM enrollments WHERE user_id = $1)
    OR EXISTS (SELECT 1 FROM module_progress WHERE user_id = $1)
    OR EXISTS (SELECT 1 FROM topic_progress WHERE user_id = $1)
    OR EXISTS (SELECT 1 FROM quiz_attempts WHERE user_id = $1 AND status <> 'in_progress')
    OR EXISTS (SELECT 1 FROM module_prompt_usage WHERE user_id = $1)
"""

# $1: the person, $2: their pseudonym. Exact times could single them out; days can't.
_MOVE_TO_PSEUDONYM = (
    """UPDATE enrollments SET user_id = $2, enrolled_at = date_trunc('day', enrolled_at),
        updated_at = date_trunc('day', updated_at),
        completed_at = date_trunc('day', completed_at)
    WHERE user_id = $1""",
    """UPDATE module_progress SET user_id = $2, unlocked_at = date_trunc('day', unlocked_at),
        passed_at = date_trunc('day', passed_at), cooldown_until = NULL,
        cooldown_notified_at = NULL, cooldown_claimed_until = NULL,
        created_at = date_trunc('day', created_at), updated_at = date_trunc('day', updated_at)
    WHERE user_id = $1""",
    """UPDATE topic_progress SET user_id = $2, completed_at = date_trunc('day', completed_at),
        created_at = date_trunc('day', created_at), updated_at = date_trunc('day', updated_at)
    WHERE user_id = $1""",
    """UPDATE quiz_attempts SET user_id = $2, answers = '{}'::jsonb,
        started_at = date_trunc('day', started_at), finished_at = date_trunc('day', finished_at)
    WHERE user_id = $1 AND status <> 'in_progress'""",
    """UPDATE module_prompt_usage SET user_id = $2, updated_at = date_trunc('day', updated_at)
    WHERE user_id = $1""",
)


def _pseudonym() -> int:
    """A negative id: Telegram user ids are positive, so it can never be a real person's."""
    return -(secrets.randbits(62) + 1)


class PgPrivacyStore:
    """`bot_id`: the bot handling the erasure; `through_update` is one of its updates."""

    def __init__(self, pool: asyncpg.Pool, *, bot_id: int) -> None:
        self._pool = pool
        self._bot_id = bot_id

    async def export(self, user_id: int) -> Sections:
        """Every section from one consistent snapshot."""
        sections: Sections = {}
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            for table, query in EXPORT.items():
                args = (user_id, _PERSON_ACTIONS) if "$2" in query else (user_id,)
                sections[table] = [row[0] for row in await conn.fetch(query, *args)]
        return sections

    async def request_erasure(self, user_id: int, request: ErasureRequest) -> None:
        await self._pool.execute(
            """
            INSERT INTO erasure_requests (user_id, id, requested_at) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO UPDATE SET id = EXCLUDED.id,
                requested_at = EXCLUDED.requested_at
            """,
            user_id,
            request.id,
            request.requested_at,
        )

    async def cancel_erasure(self, user_id: int, request_id: UUID) -> bool:
        cancelled = await self._pool.fetchval(
            "DELETE FROM erasure_requests WHERE user_id = $1 AND id = $2 RETURNING true",
            user_id,
            request_id,
        )
        return bool(cancelled)

    async def erase(
        self, user_id: int, request_id: UUID, not_before: datetime, through_update: int | None
    ) -> Outcome:
        """Everything in one transaction, starting by consuming the confirmation: a second
        press finds it gone and changes nothing."""
        async with self._pool.acquire() as conn, conn.transaction():
            consumed = await conn.fetchval(
                "DELETE FROM erasure_requests WHERE user_id = $1 AND id = $2 "
                "AND requested_at > $3 RETURNING true",
                user_id,
                request_id,
                not_before,
            )
            if not consumed:
                stale = await conn.fetchval(
                    "SELECT true FROM erasure_requests WHERE user_id = $1 AND id = $2",
                    user_id,
                    request_id,
                )
                return Outcome.EXPIRED if stale else Outcome.NOT_PENDING
            await conn.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user_id)
            pseudonym = _pseudonym()
            await self._anonymise_audit(conn, user_id, pseudonym)
            if await conn.fetchval(_ANYTHING_COUNTED, user_id):
                await conn.execute(
                    "INSERT INTO users (id, first_name, is_blocked, created_at, updated_at) "
                    "VALUES ($1, $2, true, date_trunc('day', now()), date_trunc('day', now()))",
                    pseudonym,
                    ERASED_NAME,
                )
                for statement in _MOVE_TO_PSEUDONYM:
                    await conn.execute(statement, user_id, pseudonym)
            await conn.execute(
                "DELETE FROM broadcast_recipients WHERE user_id = $1 AND status = 'pending'",
                user_id,
            )
            await conn.execute(
                "UPDATE broadcast_recipients SET user_id = $2, claimed_until = NULL, "
                "sent_at = date_trunc('day', sent_at) WHERE user_id = $1",
                user_id,
                pseudonym,
            )
            await conn.execute(
                "DELETE FROM conversation_state WHERE user_id = $1 OR chat_id = $1", user_id
            )
            await conn.execute("DELETE FROM help_messages WHERE author_id = $1", user_id)
            await conn.execute("DELETE FROM help_posts WHERE chat_id = $1", user_id)
            # Their messages and button presses as Telegram sent them. The ids stay (the
            # inbox recognises re-deliveries by them until it prunes them); the update being
            # handled keeps its chat until it is marked done, later ones are not handled yet
            # (whichever bot they were sent to).
            await conn.execute(
                """
                UPDATE update_inbox SET payload = jsonb_build_object('update_id', update_id),
                    last_error = NULL,
                    chat_key = CASE WHEN processed_at IS NULL THEN chat_key END
                WHERE chat_key = $1
                  AND (processed_at IS NOT NULL OR (bot_id = $3 AND update_id <= $2))
                """,
                user_id,
                through_update,
                self._bot_id,
            )
            await conn.execute(
                "UPDATE certificates SET holder_name = NULL, holder_erased = true, "
                "user_id = NULL WHERE user_id = $1",
                user_id,
            )
            await conn.execute("DELETE FROM users WHERE id = $1", user_id)
        return Outcome.ERASED

    async def _anonymise_audit(
        self, conn: asyncpg.Connection, user_id: int, pseudonym: int
    ) -> None:
        await conn.execute(
            f"UPDATE admin_audit t SET target = regexp_replace(t.target, '^\\s*\\S+', $3) "
            f"WHERE {_ABOUT_THEM}",
            user_id,
            _PERSON_ACTIONS,
            ERASED_NAME,
        )
        await conn.execute(
            "UPDATE admin_audit SET actor_id = $2 WHERE actor_id = $1 AND outcome = 'denied'",
            user_id,
            pseudonym,
        )
