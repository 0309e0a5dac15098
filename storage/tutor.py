"""The tutor's records: where a question lands, the typed-prompt quota, conversation threads
and curated suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from domain.personas import Persona
from domain.tutor import Answer, AskContext, RunningQuiz, Suggestion, Turn
from storage.content import PgContentStore, suggestion_record

# Where a question lands, in one round trip: the course given, else the chat's course (its
# last topic), else the learner's only course; the module whose quota it uses (the chat's
# topic's module while it is open, else the furthest unlocked one) and that quota's usage;
# and a quiz of that course still running, during which the tutor does not answer.
_CONTEXT = """
WITH state AS (
    SELECT s.course_id, t.module_no, t.topic_number
    FROM conversation_state s LEFT JOIN topics t ON t.id = s.topic_id
    WHERE s.chat_id = $2 AND s.user_id = $1 AND s.course_id IS NOT NULL
),
active AS (
    SELECT e.course_id FROM enrollments e
    JOIN courses c ON c.id = e.course_id AND c.is_published
    WHERE e.user_id = $1 AND e.status <> 'suspended'
),
chosen AS (
    SELECT course_id, $4::int AS module_no, NULL::int AS topic_number, 1 AS preference
        FROM active WHERE course_id = $3
    UNION ALL
    SELECT a.course_id, st.module_no, st.topic_number, 2
        FROM active a JOIN state st USING (course_id) WHERE $3::uuid IS NULL
    UNION ALL
    SELECT course_id, NULL, NULL, 3
        FROM active WHERE $3::uuid IS NULL AND (SELECT count(*) FROM active) = 1
    ORDER BY preference LIMIT 1
),
placed AS (
    SELECT ch.*, bound.max_module,
        CASE WHEN ch.module_no <= bound.max_module THEN ch.module_no ELSE bound.max_module END
            AS quota_module
    FROM chosen ch
    CROSS JOIN LATERAL (
        SELECT max(mp.module_no) AS max_module FROM module_progress mp
        WHERE mp.user_id = $1 AND mp.course_id = ch.course_id AND mp.unlocked_at IS NOT NULL
    ) bound
    WHERE bound.max_module IS NOT NULL
)
SELECT p.course_id, p.module_no AS chat_module, p.topic_number, p.max_module, p.quota_module,
    c.slug, c.name, c.typed_prompt_quota, pz.persona, m.title AS module_title,
    coalesce(u.typed_count, 0) AS used, coalesce(u.granted, 0) AS granted,
    (SELECT coalesce(jsonb_object_agg(t.module_no || '.' || t.topic_number, t.title),
        '{}'::jsonb) FROM topics t WHERE t.course_id = c.id) AS topic_titles,
    quiz.id AS quiz_attempt, quiz.module_no AS quiz_module
FROM placed p
JOIN courses c ON c.id = p.course_id
LEFT JOIN topic_personalization pz ON pz.user_id = $1 AND pz.course_id = c.id
LEFT JOIN modules m ON m.course_id = c.id AND m.module_no = p.quota_module
LEFT JOIN module_prompt_usage u
    ON u.user_id = $1 AND u.course_id = c.id AND u.module_no = p.quota_module
LEFT JOIN LATERAL (
    SELECT a.id, a.module_no FROM quiz_attempts a
    WHERE a.user_id = $1 AND a.course_id = c.id AND a.status = 'in_progress'
    ORDER BY a.started_at DESC LIMIT 1
) quiz ON true
"""


# One statement: the request's effect key ($4 of bot $12: once per update), the module's
# open thread, and the question with its answer. The thread upsert locks its row until the statement
# commits, so two exchanges in one thread are written one after the other and a question
# is always followed by its own answer.
_RECORD_EXCHANGE = """
WITH effect AS (
    INSERT INTO update_effects (bot_id, update_id, effect)
    SELECT $12, $4, 'exchange' WHERE $4::bigint IS NOT NULL
    ON CONFLICT DO NOTHING RETURNING true
),
thread AS (
    INSERT INTO ai_mentor_threads (user_id, course_id, module_no)
    SELECT $1, $2, $3 WHERE $4::bigint IS NULL OR EXISTS (SELECT 1 FROM effect)
    ON CONFLICT (user_id, course_id, module_no) WHERE closed_at IS NULL
    DO UPDATE SET started_at = ai_mentor_threads.started_at
    RETURNING id
)
INSERT INTO ai_mentor_thread_messages
    (thread_id, role, content, citations, tokens_used, model, typed, teaching)
SELECT thread.id, m.role, m.content, m.citations, m.tokens_used, m.model, $5, m.teaching
FROM thread, (VALUES
    (1, 'learner', $6::text, '[]'::jsonb, NULL::int, NULL::text, NULL::text),
    (2, 'tutor', $7::text, $8::jsonb, $9::int, $10::text, $11::text)
) AS m (turn, role, content, citations, tokens_used, model, teaching)
ORDER BY m.turn
"""


class PgTutorStore:
    def __init__(
        self, pool: asyncpg.Pool, content: PgContentStore | None = None, *, bot_id: int
    ) -> None:
        """`bot_id`: the bot whose updates this process handles; once-per-update effects
        are keyed by it, since update ids are only unique within one bot."""
        self._pool = pool
        self._content = content or PgContentStore(pool)
        self._bot_id = bot_id

    async def ask_context(self, user_id: int, chat_id: int) -> AskContext | None:
        return await self._context(user_id, chat_id, None, None)

    async def context_for_course(
        self, user_id: int, course_id: UUID, module_no: int | None
    ) -> AskContext | None:
        return await self._context(user_id, None, course_id, module_no)

    async def _context(
        self, user_id: int, chat_id: int | None, course_id: UUID | None, module_no: int | None
    ) -> AskContext | None:
        row = await self._pool.fetchrow(_CONTEXT, user_id, chat_id, course_id, module_no)
        if row is None:
            return None
        module = row["quota_module"]
        topic = None
        if row["topic_number"] is not None and row["chat_module"] == module:
            topic = (module, row["topic_number"])
        return AskContext(
            user_id=user_id,
            course_id=row["course_id"],
            course_slug=row["slug"],
            course_name=row["name"],
            module_no=module,
            module_title=row["module_title"] or "",
            max_module=row["max_module"],
            persona=Persona(row["persona"]) if row["persona"] else Persona.NORMAL,
            quota=row["typed_prompt_quota"] + row["granted"],
            used=row["used"],
            topic_titles={
                (int(module_no), int(topic_no)): title
                for key, title in row["topic_titles"].items()
                for module_no, topic_no in [key.split(".")]
            },
            topic=topic,
            quiz_running=(
                RunningQuiz(row["quiz_attempt"], row["quiz_module"])
                if row["quiz_attempt"] is not None
                else None
            ),
        )

    async def reserve_prompt(
        self, context: AskContext, request_id: int | None = None
    ) -> int | None:
        """One typed prompt, only while some are left: the count after, or None. A request
        (update) that already reserved one gets the current count and uses nothing more."""
        return await self._pool.fetchval(
            """
            WITH seen AS (
                SELECT 1 FROM update_effects
                WHERE bot_id = $5 AND update_id = $4 AND effect = 'prompt'
            ),
            quota AS (SELECT typed_prompt_quota AS base FROM courses WHERE id = $2),
            used AS (
                INSERT INTO module_prompt_usage AS u (user_id, course_id, module_no, typed_count)
                SELECT $1, $2, $3, 1 FROM quota
                WHERE NOT EXISTS (SELECT 1 FROM seen)
                  AND (quota.base > 0 OR EXISTS (SELECT 1 FROM module_prompt_usage
                       WHERE user_id = $1 AND course_id = $2 AND module_no = $3))
                ON CONFLICT (user_id, course_id, module_no) DO UPDATE
                    SET typed_count = u.typed_count + 1, updated_at = now()
                    WHERE u.typed_count < (SELECT base FROM quota) + u.granted
                RETURNING typed_count
            ),
            mark AS (
                INSERT INTO update_effects (bot_id, update_id, effect)
                SELECT $5, $4, 'prompt' FROM used WHERE $4::bigint IS NOT NULL
            )
            SELECT typed_count FROM used
            UNION ALL
            SELECT typed_count FROM module_prompt_usage
            WHERE EXISTS (SELECT 1 FROM seen)
              AND user_id = $1 AND course_id = $2 AND module_no = $3
            """,
            context.user_id,
            context.course_id,
            context.module_no,
            request_id,
            self._bot_id,
        )

    async def counted(self, request_id: int) -> bool:
        """Has this request (update) already used one of the module's typed prompts?"""
        return await self._pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM update_effects WHERE bot_id = $2 AND update_id = $1 "
            "AND effect = 'prompt')",
            request_id,
            self._bot_id,
        )

    async def refund_prompt(self, context: AskContext, request_id: int | None = None) -> None:
        await self._pool.execute(
            """
            WITH gone AS (
                DELETE FROM update_effects
                WHERE bot_id = $5 AND update_id = $4 AND effect = 'prompt'
                RETURNING 1
            )
            UPDATE module_prompt_usage SET typed_count = typed_count - 1, updated_at = now()
            WHERE user_id = $1 AND course_id = $2 AND module_no = $3 AND typed_count > 0
              AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM gone))
            """,
            context.user_id,
            context.course_id,
            context.module_no,
            request_id,
            self._bot_id,
        )

    async def recent_turns(self, context: AskContext, limit: int) -> list[Turn]:
        rows = await self._pool.fetch(
            """
            SELECT m.role, m.content, m.teaching FROM ai_mentor_thread_messages m
            JOIN ai_mentor_threads t ON t.id = m.thread_id
            WHERE t.user_id = $1 AND t.course_id = $2 AND t.module_no = $3
              AND t.closed_at IS NULL
            ORDER BY m.id DESC LIMIT $4
            """,
            context.user_id,
            context.course_id,
            context.module_no,
            limit * 2,
        )
        turns: list[Turn] = []
        pending: str | None = None
        for row in reversed(rows):
            if row["role"] == "learner":
                pending = row["content"]
            elif pending is not None:
                turns.append(Turn(pending, row["content"], row["teaching"]))
                pending = None
        return turns[-limit:]

    async def record_exchange(
        self, context: AskContext, answer: Answer, *, typed: bool, request_id: int | None = None
    ) -> None:
        """Store the question and its answer in the module's open thread, once per request."""
        citations = [
            {"n": p.number, "citation": p.citation, "module": p.module_no, "topic": p.topic_number}
            for p in answer.cited
        ]
        await self._pool.execute(
            _RECORD_EXCHANGE,
            context.user_id,
            context.course_id,
            context.module_no,
            request_id,
            typed,
            answer.question,
            answer.text,
            citations,
            answer.tokens,
            answer.model,
            answer.mode,
            self._bot_id,
        )

    async def new_thread(self, context: AskContext) -> None:
        await self._pool.execute(
            """
            UPDATE ai_mentor_threads SET closed_at = now()
            WHERE user_id = $1 AND course_id = $2 AND module_no = $3 AND closed_at IS NULL
            """,
            context.user_id,
            context.course_id,
            context.module_no,
        )

    async def quiz_questions(self, course_id: UUID, max_module: int) -> list[str]:
        async def load() -> list[tuple[int, str]]:
            rows = await self._pool.fetch(
                "SELECT module_no, question_text FROM quiz_questions "
                "WHERE course_id = $1 AND is_active ORDER BY module_no, position",
                course_id,
            )
            return [(r["module_no"], r["question_text"]) for r in rows]

        questions = await self._content.derived(course_id, "quiz-texts", load)
        return [text for module_no, text in questions if module_no <= max_module]

    async def variant_texts(
        self, course_id: UUID, persona: Persona, topics: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], str]:
        if persona is Persona.NORMAL or not topics:
            return {}
        column = f"text_content_{persona.value}"  # a member of the enum, never user text
        rows = await self._pool.fetch(
            f"""
            SELECT t.module_no, t.topic_number, t.{column} AS text FROM topics t
            JOIN unnest($2::int[], $3::int[]) AS wanted (module_no, topic_number)
                USING (module_no, topic_number)
            WHERE t.course_id = $1 AND t.{column} IS NOT NULL
            """,
            course_id,
            [m for m, _ in topics],
            [t for _, t in topics],
        )
        return {(r["module_no"], r["topic_number"]): r["text"] for r in rows}

    async def suggestions(
        self, course_id: UUID, *, topic: tuple[int, int] | None, parent: UUID | None
    ) -> list[Suggestion]:
        """Active suggestions: a topic's (plus course-wide ones), or a suggestion's follow-ups."""
        if parent is not None:
            rows = await self._pool.fetch(
                "SELECT * FROM topic_prompt_suggestions WHERE parent_id = $1 AND is_active "
                "ORDER BY position",
                parent,
            )
            return [suggestion_record(r) for r in rows]
        return await self._content.suggestions(course_id, topic)

    async def suggestion(self, suggestion_id: UUID) -> Suggestion | None:
        row = await self._pool.fetchrow(
            "SELECT * FROM topic_prompt_suggestions WHERE id = $1 AND is_active", suggestion_id
        )
        return suggestion_record(row) if row else None

    async def cache_suggestion_answer(self, suggestion_id: UUID, answer: Answer) -> None:
        citations = [{"n": p.number, "citation": p.citation} for p in answer.cited]
        await self._pool.execute(
            """
            UPDATE topic_prompt_suggestions SET generated_answer = $2, generated_citations = $3
            WHERE id = $1 AND generated_answer IS NULL AND answer IS NULL
            """,
            suggestion_id,
            answer.text,
            citations,
        )
