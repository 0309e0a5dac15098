"""Quiz attempts, module gating and the cooldown release claims.

Each write is a compare-and-set on the state the domain computed its decision from, and a
whole step (an answer and, for the last one, the finish with its unlocks) is one
transaction: a replayed update or a second device finds nothing to change.

Over ~400 lines on purpose: most of it is the SQL of those compare-and-set statements,
which read best next to the one method that runs each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.learning.model import LearnerCourse
from domain.quiz.model import (
    Attempt,
    AttemptStatus,
    BankQuestion,
    CooldownKey,
    DueCooldown,
    Finish,
    LiveQuestion,
    ModuleQuizRecord,
    Question,
    QuizRules,
)
from domain.quiz.rules import remaining_attempts
from storage.content import PgContentStore
from storage.learning import LEARNER_COURSES, learner_course_from

_MODULE_QUIZ_COLUMNS = """
    c.id AS course_id, c.name AS course_name,
    c.quiz_pass_threshold, c.quiz_cooldown_hours, c.quiz_attempts_limit,
    c.quiz_question_count, c.quiz_requires_topics,
    m.module_no, m.title AS module_title,
    (SELECT max(module_no) FROM modules WHERE course_id = c.id) AS last_module_no,
    (SELECT title FROM modules WHERE course_id = c.id AND module_no = m.module_no + 1)
        AS next_module_title,
    e.status AS enrollment_status,
    (SELECT count(*) FROM quiz_questions q
        WHERE q.course_id = c.id AND q.module_no = m.module_no AND q.is_active) AS bank_size,
    (SELECT coalesce(jsonb_object_agg(t.topic_number, t.title), '{}'::jsonb) FROM topics t
        WHERE t.course_id = c.id AND t.module_no = m.module_no) AS topic_titles,
    (SELECT count(*) FROM topic_progress tp JOIN topics t ON t.id = tp.topic_id
        WHERE tp.user_id = $1 AND t.course_id = c.id AND t.module_no = m.module_no
          AND tp.is_completed) AS topics_completed,
    mp.unlocked_at IS NOT NULL AS unlocked,
    coalesce(mp.quiz_passed, false) AS quiz_passed,
    mp.best_score,
    coalesce(mp.quiz_attempts, 0) AS attempts_used,
    coalesce(mp.extra_attempts, 0) AS extra_attempts,
    mp.cooldown_until,
    a.id AS open_attempt, a.current_index, a.question_count
"""

_MODULE_QUIZ_ROWS = """
FROM courses c
JOIN modules m ON m.course_id = c.id AND m.module_no = $3
LEFT JOIN enrollments e ON e.course_id = c.id AND e.user_id = $1
LEFT JOIN module_progress mp
    ON mp.user_id = $1 AND mp.course_id = c.id AND mp.module_no = m.module_no
LEFT JOIN quiz_attempts a ON a.user_id = $1 AND a.course_id = c.id
    AND a.module_no = m.module_no AND a.status = 'in_progress'
WHERE c.id = $2 AND c.is_published
"""

_MODULE_QUIZ = f"SELECT c.updated_at AS version, {_MODULE_QUIZ_COLUMNS} {_MODULE_QUIZ_ROWS}"

# A module's screen: the learner's state in the course (as the learning store reads it) and
# the module quiz's record, side by side in one row; the quiz's columns are NULL when the
# course is not published.
_MODULE_WITH_QUIZ = f"""
SELECT s.*, q.* FROM ({LEARNER_COURSES}) s
LEFT JOIN (SELECT {_MODULE_QUIZ_COLUMNS} {_MODULE_QUIZ_ROWS}) q ON true
"""

_KEYS = "unnest($1::bigint[], $2::uuid[], $3::int[]) AS k (user_id, course_id, module_no)"


def _attempt(row: asyncpg.Record) -> Attempt:
    return Attempt(
        id=row["id"],
        user_id=row["user_id"],
        course_id=row["course_id"],
        module_no=row["module_no"],
        questions=tuple(Question.from_json(q) for q in row["question_set"]),
        answers={int(k): tuple(v) for k, v in row["answers"].items()},
        current_index=row["current_index"],
        correct_count=row["correct_count"],
        status=AttemptStatus(row["status"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def _key_arrays(keys: Iterable[CooldownKey]) -> tuple[list[int], list[UUID], list[int]]:
    keys = list(keys)
    return [k.user_id for k in keys], [k.course_id for k in keys], [k.module_no for k in keys]


class PgQuizStore:
    def __init__(
        self, pool: asyncpg.Pool, content: PgContentStore | None = None, *, bot_id: int
    ) -> None:
        """`bot_id`: the bot this process serves. It announces the cooldowns of the people
        who last wrote to it, and keys once-per-update effects (update ids are per bot)."""
        self._pool = pool
        self._content = content or PgContentStore(pool)
        self._bot_id = bot_id

    async def module_quiz(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> ModuleQuizRecord | None:
        row = await self._pool.fetchrow(_MODULE_QUIZ, user_id, course_id, module_no)
        return self._module_quiz(row) if row is not None else None

    async def module_with_quiz(
        self, user_id: int, course_id: UUID, module_no: int
    ) -> tuple[LearnerCourse | None, ModuleQuizRecord | None]:
        """The learner's state in the course with this module's marks, and the module's
        quiz record: what a module screen shows, in one round trip."""
        row = await self._pool.fetchrow(_MODULE_WITH_QUIZ, user_id, course_id, module_no)
        if row is None:
            return None, None
        state = learner_course_from(row, self._content)
        return state, self._module_quiz(row) if row["course_id"] is not None else None

    def _module_quiz(self, row: asyncpg.Record) -> ModuleQuizRecord:
        self._content.observe(row["course_id"], row["version"])
        return ModuleQuizRecord(
            version=row["version"],
            course_id=row["course_id"],
            course_name=row["course_name"],
            module_no=row["module_no"],
            module_title=row["module_title"],
            last_module_no=row["last_module_no"],
            next_module_title=row["next_module_title"],
            enrollment_status=row["enrollment_status"],
            rules=QuizRules(
                pass_threshold=row["quiz_pass_threshold"],
                cooldown_hours=row["quiz_cooldown_hours"],
                attempts_limit=row["quiz_attempts_limit"],
                question_count=row["quiz_question_count"],
                requires_topics=row["quiz_requires_topics"],
            ),
            bank_size=row["bank_size"],
            topic_titles={int(k): v for k, v in row["topic_titles"].items()},
            topics_completed=row["topics_completed"],
            unlocked=row["unlocked"],
            quiz_passed=row["quiz_passed"],
            best_score=float(row["best_score"]) if row["best_score"] is not None else None,
            attempts_used=row["attempts_used"],
            extra_attempts=row["extra_attempts"],
            cooldown_until=row["cooldown_until"],
            open_attempt=row["open_attempt"],
            open_attempt_index=row["current_index"] or 0,
            open_attempt_total=row["question_count"] or 0,
        )

    async def question_bank(self, course_id: UUID, module_no: int) -> list[BankQuestion]:
        """Kept with the course's structure: it changes only when the course is imported."""
        return await self._content.derived(
            course_id, ("question bank", module_no), lambda: self._bank(course_id, module_no)
        )

    async def _bank(self, course_id: UUID, module_no: int) -> list[BankQuestion]:
        rows = await self._pool.fetch(
            """
            SELECT q.key, q.topic_pair_index, q.question_text, q.explanation,
                array_agg(o.option_text ORDER BY o.position) AS texts,
                array_agg(o.is_correct ORDER BY o.position) AS correct
            FROM quiz_questions q JOIN quiz_options o ON o.question_id = q.id
            WHERE q.course_id = $1 AND q.module_no = $2 AND q.is_active
            GROUP BY q.id ORDER BY q.position, q.key
            """,
            course_id,
            module_no,
        )
        return [
            BankQuestion(
                r["key"],
                r["topic_pair_index"],
                r["question_text"],
                r["explanation"],
                tuple(zip(r["texts"], r["correct"], strict=True)),
            )
            for r in rows
        ]

    async def start_attempt(
        self,
        user_id: int,
        course_id: UUID,
        module_no: int,
        questions: Sequence[Question],
        *,
        attempts_used: int,
        now: datetime,
        version: datetime | None = None,
        live_at: tuple[int, int] | None = None,
    ) -> UUID | None:
        """Count the attempt and open it, only if nothing moved since the rules were checked
        (`version`: the course's as read, so a re-import since refuses it). `live_at`: the
        chat and message that will show its first question, the chat's live copy.

        One statement, so atomic without BEGIN / COMMIT: if another attempt is already
        running, the insert's unique violation undoes the count as well."""
        try:
            return await self._pool.fetchval(
                """
                WITH counted AS (
                    UPDATE module_progress SET quiz_attempts = quiz_attempts + 1,
                        cooldown_until = NULL, cooldown_notified_at = NULL,
                        cooldown_claimed_until = NULL, updated_at = now()
                    WHERE user_id = $1 AND course_id = $2 AND module_no = $3
                      AND quiz_attempts = $4 AND NOT quiz_passed AND unlocked_at IS NOT NULL
                      AND (cooldown_until IS NULL OR cooldown_until <= $5)
                      AND EXISTS (SELECT 1 FROM courses c WHERE c.id = $2 AND c.is_published
                                  AND ($8::timestamptz IS NULL OR c.updated_at = $8))
                      AND EXISTS (SELECT 1 FROM enrollments e WHERE e.user_id = $1
                                  AND e.course_id = $2 AND e.status <> 'suspended')
                    RETURNING user_id
                )
                , started AS (
                    INSERT INTO quiz_attempts (user_id, course_id, module_no, question_set,
                        question_count, started_at)
                    SELECT $1, $2, $3, $6, $7, $5 FROM counted
                    RETURNING id
                ), live AS (
                    INSERT INTO conversation_state (chat_id, user_id, data)
                    SELECT $9, $1, jsonb_build_object('live_question', jsonb_build_object(
                        'attempt', id, 'index', 0, 'message', $10::bigint))
                    FROM started WHERE $9::bigint IS NOT NULL
                    ON CONFLICT (chat_id) DO UPDATE
                        SET data = conversation_state.data || EXCLUDED.data, updated_at = now()
                )
                SELECT id FROM started
                """,
                user_id,
                course_id,
                module_no,
                attempts_used,
                now,
                [q.to_json() for q in questions],
                len(questions),
                version,
                live_at[0] if live_at else None,
                live_at[1] if live_at else None,
            )
        except asyncpg.UniqueViolationError:
            return None

    async def attempt(self, user_id: int, attempt_id: UUID) -> Attempt | None:
        row = await self._pool.fetchrow(
            "SELECT * FROM quiz_attempts WHERE id = $1 AND user_id = $2", attempt_id, user_id
        )
        return _attempt(row) if row else None

    async def move_live_question(
        self, chat_id: int, user_id: int, live: LiveQuestion
    ) -> LiveQuestion | None:
        """The chat's live question moves to `live`; returns where it was (one statement,
        and a chat's updates are handled one after another, so no one moves it between)."""
        before = await self._pool.fetchval(
            """
            WITH before AS (
                SELECT data -> 'live_question' AS live FROM conversation_state
                WHERE chat_id = $1
            )
            INSERT INTO conversation_state (chat_id, user_id, data)
            VALUES ($1, $2, jsonb_build_object('live_question', jsonb_build_object(
                'attempt', $3::uuid, 'index', $4::int, 'message', $5::bigint)))
            ON CONFLICT (chat_id) DO UPDATE
                SET data = conversation_state.data || EXCLUDED.data, updated_at = now()
            RETURNING (SELECT live FROM before)
            """,
            chat_id,
            user_id,
            live.attempt_id,
            live.index,
            live.message_id,
        )
        if before is None:
            return None
        return LiveQuestion(UUID(before["attempt"]), before["index"], before["message"])

    async def open_attempts(self, user_id: int) -> list[Attempt]:
        rows = await self._pool.fetch(
            "SELECT * FROM quiz_attempts WHERE user_id = $1 AND status = 'in_progress' "
            "ORDER BY started_at DESC",
            user_id,
        )
        return [_attempt(r) for r in rows]

    async def record_answer(
        self,
        attempt: Attempt,
        index: int,
        choice: Sequence[int],
        correct: bool,
        finish: Finish | None,
        now: datetime,
        request_id: int | None = None,
        decided_from: ModuleQuizRecord | None = None,
    ) -> bool:
        """One statement either way, so atomic without BEGIN / COMMIT. The last answer also
        finishes the attempt with its consequences, guarded by what the finish was decided
        from (`decided_from`): a re-imported course, a suspended enrollment or attempts
        granted since then refuse the write."""
        answer = (str(index), list(choice), int(correct), request_id)
        if finish is None:
            return await self._pool.fetchval(
                _RECORD_ANSWER, attempt.id, attempt.user_id, index, *answer, self._bot_id
            )
        return await self._pool.fetchval(
            _ANSWER_AND_FINISH,
            *_finish_args(attempt, finish, now, index, decided_from),
            *answer,
            self._bot_id,
        )

    async def answered_by(self, request_id: int) -> bool:
        """Whether this update already recorded a quiz answer."""
        return await self._pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM update_effects WHERE bot_id = $2 AND update_id = $1 "
            "AND effect = 'quiz answer')",
            request_id,
            self._bot_id,
        )

    async def finish_attempt(
        self,
        attempt: Attempt,
        finish: Finish,
        now: datetime,
        decided_from: ModuleQuizRecord | None = None,
    ) -> bool:
        """Finish as computed from `attempt`; refused if an answer landed since it was read."""
        return await self._pool.fetchval(
            _JUST_FINISH, *_finish_args(attempt, finish, now, attempt.current_index, decided_from)
        )

    async def claim_due_cooldowns(
        self, now: datetime, claim_until: datetime, limit: int
    ) -> list[DueCooldown]:
        """Due and unannounced cooldowns nobody else holds, of people who last wrote to
        this bot (only it can message them); held until `claim_until`."""
        rows = await self._pool.fetch(
            """
            WITH due AS (
                SELECT p.user_id, p.course_id, p.module_no FROM module_progress p
                JOIN users b ON b.id = p.user_id AND b.bot_id = $4
                WHERE p.cooldown_until <= $1 AND p.cooldown_notified_at IS NULL
                  AND (p.cooldown_claimed_until IS NULL OR p.cooldown_claimed_until <= $1)
                ORDER BY p.cooldown_until
                LIMIT $3
                FOR UPDATE OF p SKIP LOCKED
            )
            UPDATE module_progress mp SET cooldown_claimed_until = $2
            FROM due
            JOIN courses c ON c.id = due.course_id
            JOIN modules m ON m.course_id = due.course_id AND m.module_no = due.module_no
            JOIN users u ON u.id = due.user_id
            LEFT JOIN enrollments e ON e.user_id = due.user_id AND e.course_id = due.course_id
            WHERE mp.user_id = due.user_id AND mp.course_id = due.course_id
              AND mp.module_no = due.module_no
            RETURNING mp.user_id, mp.course_id, mp.module_no, mp.cooldown_until,
                c.name AS course_name, m.title AS module_title,
                (coalesce(e.status = 'active', false) AND c.is_published
                    AND NOT u.is_blocked AND NOT mp.quiz_passed) AS active,
                c.quiz_attempts_limit, mp.extra_attempts, mp.quiz_attempts
            """,
            now,
            claim_until,
            limit,
            self._bot_id,
        )
        return [
            DueCooldown(
                user_id=r["user_id"],
                course_id=r["course_id"],
                module_no=r["module_no"],
                course_name=r["course_name"],
                module_title=r["module_title"],
                cooldown_until=r["cooldown_until"],
                active=r["active"],
                attempts_left=remaining_attempts(
                    r["quiz_attempts_limit"], r["extra_attempts"], r["quiz_attempts"]
                ),
            )
            for r in rows
        ]

    async def mark_cooldowns_notified(self, keys: Iterable[CooldownKey], now: datetime) -> None:
        await self._pool.execute(
            f"""
            UPDATE module_progress mp SET cooldown_notified_at = $4,
                cooldown_claimed_until = NULL, updated_at = now()
            FROM {_KEYS}
            WHERE mp.user_id = k.user_id AND mp.course_id = k.course_id
              AND mp.module_no = k.module_no
            """,
            *_key_arrays(keys),
            now,
        )

    async def retry_cooldowns_later(self, keys: Iterable[CooldownKey], at: datetime) -> None:
        await self._pool.execute(
            f"""
            UPDATE module_progress mp SET cooldown_claimed_until = $4
            FROM {_KEYS}
            WHERE mp.user_id = k.user_id AND mp.course_id = k.course_id
              AND mp.module_no = k.module_no AND mp.cooldown_notified_at IS NULL
            """,
            *_key_arrays(keys),
            at,
        )

    async def next_cooldown_due(self) -> datetime | None:
        """When this bot next has a cooldown to announce."""
        return await self._pool.fetchval(
            "SELECT min(greatest(p.cooldown_until, p.cooldown_claimed_until)) "
            "FROM module_progress p JOIN users b ON b.id = p.user_id AND b.bot_id = $1 "
            "WHERE p.cooldown_until IS NOT NULL AND p.cooldown_notified_at IS NULL",
            self._bot_id,
        )


# Compare-and-set on the question the learner was shown: a repeat or a second device loses.
# The answer, and (given $7, the update carrying it, of bot $8) a note that this update recorded it:
# handled again after a failure, the update finds its answer stored and replies with it.
_RECORD_ANSWER = """
    WITH answered AS (
        UPDATE quiz_attempts SET
            answers = answers || jsonb_build_object($4::text, $5::jsonb),
            current_index = current_index + 1,
            correct_count = correct_count + $6
        WHERE id = $1 AND user_id = $2 AND status = 'in_progress' AND current_index = $3
        RETURNING true
    ),
    noted AS (
        INSERT INTO update_effects (bot_id, update_id, effect)
        SELECT $8, $7, 'quiz answer' FROM answered WHERE $7::bigint IS NOT NULL
        ON CONFLICT DO NOTHING
    )
    SELECT EXISTS (SELECT 1 FROM answered)
"""

# Finishing an attempt and what follows from it (best score, pass, cooldown, the next
# module unlocked, the course completed) in one statement. `finished` is a compare-and-set
# on the attempt as the finish was computed from it ($1 attempt, $2 learner, $3 the question
# it is at), guarded by the facts the finish was decided from: $11 the course's version,
# $12 the attempts granted. $4 status, $5 score, $6 now, $7 passed, $8 cooldown until,
# $9 the module to unlock, $10 whether the course is completed.
_FINISH = """
    WITH finished AS ({finished}),
    scored AS (
        UPDATE module_progress mp SET
            best_score = greatest(mp.best_score, $5),
            quiz_passed = mp.quiz_passed OR $7,
            passed_at = CASE WHEN $7 THEN coalesce(mp.passed_at, $6) ELSE mp.passed_at END,
            cooldown_until = $8, cooldown_notified_at = NULL, cooldown_claimed_until = NULL,
            updated_at = now()
        FROM finished f
        WHERE mp.user_id = f.user_id AND mp.course_id = f.course_id
          AND mp.module_no = f.module_no
    ),
    unlocked AS (
        INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at)
        SELECT f.user_id, f.course_id, $9, $6 FROM finished f
        WHERE EXISTS (SELECT 1 FROM modules m
                      WHERE m.course_id = f.course_id AND m.module_no = $9::int)
        ON CONFLICT (user_id, course_id, module_no) DO UPDATE
            SET unlocked_at = coalesce(module_progress.unlocked_at, EXCLUDED.unlocked_at),
                updated_at = now()
    ),
    completed AS (
        UPDATE enrollments e SET status = 'completed', completed_at = $6, updated_at = now()
        FROM finished f
        WHERE $10 AND e.user_id = f.user_id AND e.course_id = f.course_id
          AND e.status = 'active'
    ){effects}
    SELECT EXISTS (SELECT 1 FROM finished)
"""

_DECIDED_FROM = """
    a.id = $1 AND a.user_id = $2 AND a.status = 'in_progress' AND a.current_index = $3
    AND c.id = a.course_id AND ($11::timestamptz IS NULL OR c.updated_at = $11)
    AND mp.user_id = a.user_id AND mp.course_id = a.course_id AND mp.module_no = a.module_no
    AND ($12::int IS NULL OR mp.extra_attempts = $12)
    AND EXISTS (SELECT 1 FROM enrollments e WHERE e.user_id = a.user_id
                AND e.course_id = a.course_id AND e.status <> 'suspended')
"""

_JUST_FINISH = _FINISH.format(
    effects="",
    finished=f"""
    UPDATE quiz_attempts a SET status = $4, score = $5, finished_at = $6
    FROM courses c, module_progress mp
    WHERE {_DECIDED_FROM}
    RETURNING a.user_id, a.course_id, a.module_no
""",
)

# The last answer: $13 the question's key, $14 the choice, $15 1 if right, $16 the update
# (of bot $17).
_ANSWER_AND_FINISH = _FINISH.format(
    effects=""",
    noted AS (
        INSERT INTO update_effects (bot_id, update_id, effect)
        SELECT $17, $16, 'quiz answer' FROM finished WHERE $16::bigint IS NOT NULL
        ON CONFLICT DO NOTHING
    )""",
    finished=f"""
    UPDATE quiz_attempts a SET
        answers = a.answers || jsonb_build_object($13::text, $14::jsonb),
        current_index = a.current_index + 1,
        correct_count = a.correct_count + $15,
        status = $4, score = $5, finished_at = $6
    FROM courses c, module_progress mp
    WHERE {_DECIDED_FROM}
    RETURNING a.user_id, a.course_id, a.module_no
""",
)


def _finish_args(
    attempt: Attempt,
    finish: Finish,
    now: datetime,
    at_index: int,
    decided_from: ModuleQuizRecord | None,
) -> tuple[object, ...]:
    return (
        attempt.id,
        attempt.user_id,
        at_index,
        finish.status.value,
        finish.score,
        now,
        finish.status is AttemptStatus.PASSED,
        finish.cooldown_until,
        finish.unlock_module,
        finish.complete_course,
        decided_from.version if decided_from else None,
        decided_from.extra_attempts if decided_from else None,
    )
