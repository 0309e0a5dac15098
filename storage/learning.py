"""Catalog, enrollments, personas and progress for the learner journey.

Over ~400 lines on purpose: most of it is the SQL of `LEARNER_COURSES`, the one statement
every course, module and topic screen is read with, and the writes built on it (visit,
complete, choose a persona) in the same round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.learning.model import (
    CourseInfo,
    Enrollment,
    EnrollOutcome,
    LearnerCourse,
    ModuleRecord,
    OpenTopic,
    Position,
    Prerequisite,
    TopicMark,
    TopicRecord,
)
from domain.paths import PathSummary
from domain.personas import Persona
from domain.ratings import shown_average
from storage.content import PgContentStore
from storage.paths import CATALOG_PATHS, paths_of

_COURSE_COLUMNS = """
    c.id, c.slug, c.name, c.description, c.category, c.level, c.price_cents, c.currency,
    (SELECT count(*) FROM modules m WHERE m.course_id = c.id) AS module_count,
    (SELECT count(*) FROM topics t WHERE t.course_id = c.id) AS topic_count,
    (SELECT jsonb_build_object(
        'sports', count(*) FILTER (WHERE coalesce(t.text_content_sports, '') <> ''),
        'cooking', count(*) FILTER (WHERE coalesce(t.text_content_cooking, '') <> ''),
        'adventure', count(*) FILTER (WHERE coalesce(t.text_content_adventure, '') <> ''))
     FROM topics t WHERE t.course_id = c.id) AS variant_counts,
    (SELECT jsonb_build_array(count(*), coalesce(sum(r.rating), 0)) FROM course_reviews r
     WHERE r.course_id = c.id AND r.hidden_at IS NULL) AS ratings,
    (SELECT coalesce(jsonb_agg(jsonb_build_array(q.id, q.slug, q.name, EXISTS (
            SELECT 1 FROM enrollments d WHERE d.user_id = $1 AND d.course_id = q.id
                AND d.status = 'completed'), q.is_published) ORDER BY p.position), '[]')
     FROM course_prerequisites p JOIN courses q ON q.id = p.required_id
     WHERE p.course_id = c.id) AS prerequisites
"""
# Every statement with _COURSE_COLUMNS has the learner's id as $1: a prerequisite's
# `completed` is theirs (NULL: no learner, none completed).


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
        variants={Persona(k): v for k, v in (row["variant_counts"] or {}).items()},
        ratings=row["ratings"][0],
        rating=shown_average(*row["ratings"]),
        requires=tuple(
            Prerequisite(UUID(id), slug, name, completed, published)
            for id, slug, name, completed, published in row["prerequisites"]
        ),
    )


_MODULES = """
    SELECT m.module_no, m.title, m.description,
        count(t.id) AS topics,
        count(tp.topic_id) FILTER (WHERE tp.is_completed) AS completed,
        coalesce(mp.unlocked_at IS NOT NULL, false) AS unlocked,
        coalesce(mp.quiz_passed, false) AS quiz_passed,
        EXISTS (SELECT 1 FROM quiz_questions q WHERE q.course_id = m.course_id
                AND q.module_no = m.module_no AND q.is_active) AS has_quiz,
        EXISTS (SELECT 1 FROM quiz_attempts a WHERE a.user_id = $1
                AND a.course_id = m.course_id AND a.module_no = m.module_no
                AND a.status = 'in_progress') AS quiz_running,
        mp.cooldown_until,
        (c.quiz_attempts_limit > 0 AND coalesce(mp.quiz_attempts, 0)
            >= c.quiz_attempts_limit + coalesce(mp.extra_attempts, 0)) AS out_of_attempts
    FROM modules m
    LEFT JOIN topics t ON t.course_id = m.course_id AND t.module_no = m.module_no
    LEFT JOIN topic_progress tp ON tp.topic_id = t.id AND tp.user_id = $1
    LEFT JOIN module_progress mp ON mp.course_id = m.course_id
        AND mp.module_no = m.module_no AND mp.user_id = $1
    WHERE m.course_id = c.id
    GROUP BY m.course_id, m.module_no, m.title, m.description, mp.unlocked_at, mp.quiz_passed,
        mp.cooldown_until, mp.quiz_attempts, mp.extra_attempts
"""


def _marks(course: str) -> str:
    """A module's topics with the learner's marks; `course` is the SQL naming the course."""
    return f"""
        SELECT t.topic_number, t.title, coalesce(tp.is_completed, false) AS completed
        FROM topics t
        LEFT JOIN topic_progress tp ON tp.topic_id = t.id AND tp.user_id = $1
        WHERE t.course_id = {course} AND t.module_no = $3
    """


# $2 NULL: every enrollment; $3 NULL: no topic marks. The modules and marks subqueries
# refer to the row's own course, so one statement serves one course or all of them.
LEARNER_COURSES = f"""
    SELECT {_COURSE_COLUMNS}, c.updated_at AS version, e.enrolled_at, e.status, p.persona,
        (SELECT coalesce(jsonb_agg(to_jsonb(m) ORDER BY m.module_no), '[]')
         FROM ({_MODULES}) m) AS modules,
        (SELECT coalesce(jsonb_agg(to_jsonb(k) ORDER BY k.topic_number), '[]')
         FROM ({_marks("c.id")}) k) AS marks,
        (SELECT jsonb_build_array(t.module_no, t.topic_number)
         FROM topic_progress tp JOIN topics t ON t.id = tp.topic_id
         WHERE tp.user_id = $1 AND t.course_id = c.id
         ORDER BY tp.updated_at DESC LIMIT 1) AS last_topic,
        (SELECT coalesce(jsonb_agg(jsonb_build_array(t.module_no, t.topic_number, t.title)
                ORDER BY t.module_no, t.topic_number), '[]')
         FROM topics t
         JOIN module_progress mp ON mp.user_id = $1 AND mp.course_id = t.course_id
            AND mp.module_no = t.module_no AND mp.unlocked_at IS NOT NULL
         LEFT JOIN topic_progress tp ON tp.topic_id = t.id AND tp.user_id = $1
         WHERE t.course_id = c.id AND NOT coalesce(tp.is_completed, false)) AS unfinished
    FROM enrollments e JOIN courses c ON c.id = e.course_id
    LEFT JOIN topic_personalization p ON p.user_id = e.user_id AND p.course_id = c.id
    WHERE e.user_id = $1 AND ($2::uuid IS NULL OR e.course_id = $2)
    ORDER BY e.enrolled_at
"""


# A topic the learner may be on: enrolled (not suspended) and its module unlocked, the
# domain's own rules for opening a topic. Writes that ride on the state query are guarded
# by it, so a forged or stale button changes nothing. $4: the topic.
_OPEN_TOPIC = """
    open_topic AS (
        SELECT t.id, t.course_id FROM topics t
        JOIN enrollments e ON e.user_id = $1 AND e.course_id = t.course_id
            AND e.status <> 'suspended'
        JOIN module_progress mp ON mp.user_id = $1 AND mp.course_id = t.course_id
            AND mp.module_no = t.module_no AND mp.unlocked_at IS NOT NULL
        WHERE t.id = $4 AND t.course_id = $2 AND t.module_no = $3
    )
"""

# The visit (last position, and the chat's state for a restart) written in the statement
# that reads the learner's state. $5: chat, $6: page.
_VISIT_AND_READ = f"""
    WITH {_OPEN_TOPIC},
    visit AS (
        INSERT INTO topic_progress (user_id, topic_id, last_position)
        SELECT $1, id, $6 FROM open_topic
        ON CONFLICT (user_id, topic_id) DO UPDATE
            SET last_position = EXCLUDED.last_position, updated_at = now()
    ),
    chat AS (
        INSERT INTO conversation_state (chat_id, user_id, course_id, topic_id)
        SELECT $5, $1, course_id, id FROM open_topic
        ON CONFLICT (chat_id) DO UPDATE SET user_id = EXCLUDED.user_id,
            course_id = EXCLUDED.course_id, topic_id = EXCLUDED.topic_id, updated_at = now()
    )
    {LEARNER_COURSES}
"""

# Completion written in the statement that reads the state; the state is read as it was
# before (one snapshot), and `newly` says whether this statement completed the topic.
_COMPLETE_AND_READ = f"""
    WITH {_OPEN_TOPIC},
    done AS (
        INSERT INTO topic_progress AS tp (user_id, topic_id, is_completed, completed_at)
        SELECT $1, id, true, $5::timestamptz FROM open_topic
        ON CONFLICT (user_id, topic_id) DO UPDATE
            SET is_completed = true, completed_at = EXCLUDED.completed_at, updated_at = now()
            WHERE NOT tp.is_completed
        RETURNING true
    )
    SELECT s.*, EXISTS (SELECT 1 FROM done) AS newly FROM ({LEARNER_COURSES}) s
"""


# The home screen: the learner's courses (part 0, rows of LEARNER_COURSES) and then the
# catalog (part 1, the same columns with no enrollment) in one statement.
_HOME = f"""
    SELECT * FROM (
        SELECT 0 AS part, row_number() OVER (ORDER BY s.enrolled_at) AS ord, s.*
        FROM ({LEARNER_COURSES}) s
        UNION ALL
        SELECT 1, row_number() OVER (ORDER BY c.name), {_COURSE_COLUMNS}, c.updated_at,
            NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM courses c WHERE c.is_published
    ) home ORDER BY part, ord
"""
HOME = _HOME  # statements built on it: storage/goals.py reads the streak with it


# The persona written in the statement that reads the state (which, one snapshot, still
# shows the one before: `chosen` says whether it was written). $4: the persona.
_PERSONA_AND_READ = f"""
    WITH chosen AS (
        INSERT INTO topic_personalization (user_id, course_id, persona)
        SELECT user_id, course_id, $4 FROM enrollments
        WHERE user_id = $1 AND course_id = $2 AND status <> 'suspended'
          AND ($4::study_persona = 'normal' OR EXISTS (  -- only a persona with variants
              SELECT 1 FROM topics t WHERE t.course_id = $2 AND coalesce(CASE $4::study_persona
                  WHEN 'sports' THEN t.text_content_sports
                  WHEN 'cooking' THEN t.text_content_cooking
                  WHEN 'adventure' THEN t.text_content_adventure END, '') <> ''))
        ON CONFLICT (user_id, course_id) DO UPDATE
            SET persona = EXCLUDED.persona, updated_at = now()
        RETURNING persona
    )
    SELECT s.*, (SELECT persona FROM chosen) AS chosen FROM ({LEARNER_COURSES}) s
"""


_CATALOG = f"""
    SELECT {_COURSE_COLUMNS}, EXISTS (
        SELECT 1 FROM enrollments e WHERE e.user_id = $1 AND e.course_id = c.id
            AND e.status <> 'suspended') AS enrolled, {{paths}}
    FROM courses c WHERE c.is_published AND ($2::uuid IS NULL OR c.id = $2)
    ORDER BY c.name
"""


class PgLearningStore:
    def __init__(self, pool: asyncpg.Pool, content: PgContentStore | None = None) -> None:
        self._pool = pool
        self._content = content or PgContentStore(pool)

    async def catalog(
        self, user_id: int, course_id: UUID | None = None
    ) -> list[tuple[CourseInfo, bool]]:
        """Published courses (or one of them), each with whether the learner is enrolled
        (a suspended enrollment does not count): the catalog and a course card in one read."""
        rows = await self._pool.fetch(_CATALOG.format(paths="NULL AS paths"), user_id, course_id)
        return [(_course(r), r["enrolled"]) for r in rows]

    async def shelf(self, user_id: int) -> tuple[list[tuple[CourseInfo, bool]], list[PathSummary]]:
        """The catalog and the learning paths, in the catalog's one statement."""
        rows = await self._pool.fetch(_CATALOG.format(paths=CATALOG_PATHS), user_id, None)
        return [(_course(r), r["enrolled"]) for r in rows], paths_of(
            rows[0]["paths"] if rows else []
        )

    async def home(self, user_id: int) -> tuple[list[LearnerCourse], list[CourseInfo]]:
        """Every enrollment of the learner with its progress, and the published courses."""
        return self.home_of(await self._pool.fetch(_HOME, user_id, None, None))

    def home_of(self, rows: list[asyncpg.Record]) -> tuple[list[LearnerCourse], list[CourseInfo]]:
        """Rows of `HOME` (or of a statement built on it): the learner's, the catalog."""
        mine = [self._learner_course(r) for r in rows if r["part"] == 0]
        return mine, [_course(r) for r in rows if r["part"] == 1]

    def learner_courses_of(self, rows: list[asyncpg.Record]) -> list[LearnerCourse]:
        """Rows of `LEARNER_COURSES` (or of a statement built on it)."""
        return [self._learner_course(row) for row in rows]

    async def course_by_slug(self, slug: str, user_id: int | None = None) -> CourseInfo | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COURSE_COLUMNS} FROM courses c WHERE c.slug = $2 AND c.is_published",
            user_id,
            slug,
        )
        return _course(row) if row else None

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

    async def ensure_enrollment(
        self, user_id: int, course_id: UUID
    ) -> tuple[EnrollOutcome, Enrollment] | None:
        """Seed 000's ensureEnrollment in one statement: never duplicates, never revives a
        suspension, opens module 1; None when no published course has that id. A learner
        not enrolled yet is enrolled only with every prerequisite completed (GATED, and
        nothing written, otherwise), the rule of domain.prerequisites."""
        row = await self._pool.fetchrow(
            f"""
            WITH course AS (
                SELECT id FROM courses WHERE id = $2 AND is_published AND (
                    EXISTS (SELECT 1 FROM enrollments WHERE user_id = $1 AND course_id = $2)
                    OR NOT EXISTS (
                        SELECT 1 FROM course_prerequisites p WHERE p.course_id = $2
                        AND NOT EXISTS (SELECT 1 FROM enrollments d WHERE d.user_id = $1
                            AND d.course_id = p.required_id AND d.status = 'completed')))
            ),
            created AS (
                INSERT INTO enrollments (user_id, course_id) SELECT $1, id FROM course
                ON CONFLICT DO NOTHING RETURNING status
            ),
            opened AS (
                INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at)
                SELECT $1, id, 1, now() FROM course WHERE NOT EXISTS (
                    SELECT 1 FROM enrollments WHERE user_id = $1 AND course_id = $2
                        AND status = 'suspended')
                ON CONFLICT DO NOTHING
            )
            SELECT {_COURSE_COLUMNS}, EXISTS (SELECT 1 FROM created) AS created,
                coalesce((SELECT status FROM created), e.status) AS status, p.persona
            FROM courses c
            LEFT JOIN enrollments e ON e.user_id = $1 AND e.course_id = c.id
            LEFT JOIN topic_personalization p ON p.user_id = $1 AND p.course_id = c.id
            WHERE c.id = $2 AND c.is_published
            """,
            user_id,
            course_id,
        )
        if row is None:
            return None
        if row["created"]:
            outcome = EnrollOutcome.ENROLLED
        elif row["status"] is None:
            outcome = EnrollOutcome.GATED
        elif row["status"] == "suspended":
            outcome = EnrollOutcome.SUSPENDED
        else:
            outcome = EnrollOutcome.ALREADY
        return outcome, _enrollment(row)

    async def choose_persona(
        self, user_id: int, course_id: UUID, persona: Persona
    ) -> LearnerCourse | None:
        """The persona saved (only for an enrolled learner not suspended) and the learner's
        state in the course read in the same round trip, showing the persona chosen."""
        row = await self._pool.fetchrow(_PERSONA_AND_READ, user_id, course_id, None, persona.value)
        if row is None:
            return None
        state = self._learner_course(row)
        if row["chosen"] is None:
            return state
        return replace(state, enrollment=replace(state.enrollment, persona=persona))

    async def learner_course(
        self, user_id: int, course_id: UUID, module_no: int | None
    ) -> LearnerCourse | None:
        """Enrollment, persona, every module's progress and (given a module) its topics'
        marks: what a course, module or topic screen needs, in one round trip."""
        rows = await self._pool.fetch(LEARNER_COURSES, user_id, course_id, module_no)
        return self._learner_course(rows[0]) if rows else None

    async def visit_topic(
        self, user_id: int, chat_id: int, course_id: UUID, topic: TopicRecord, page: int
    ) -> LearnerCourse | None:
        """The topic's module state, with the visit recorded in the same round trip when
        the learner may be on that topic."""
        rows = await self._pool.fetch(
            _VISIT_AND_READ, user_id, course_id, topic.module_no, topic.id, chat_id, page
        )
        return self._learner_course(rows[0]) if rows else None

    async def complete_and_read(
        self, user_id: int, course_id: UUID, topic: TopicRecord, at: datetime
    ) -> tuple[LearnerCourse | None, bool]:
        """The state before completing the topic (at `at`), and whether this call
        completed it."""
        rows = await self._pool.fetch(
            _COMPLETE_AND_READ, user_id, course_id, topic.module_no, topic.id, at
        )
        if not rows:
            return None, False
        return self._learner_course(rows[0]), rows[0]["newly"]

    async def learner_courses(self, user_id: int) -> list[LearnerCourse]:
        """Every enrollment of the learner with its modules' progress, in one round trip."""
        rows = await self._pool.fetch(LEARNER_COURSES, user_id, None, None)
        return [self._learner_course(row) for row in rows]

    def _learner_course(self, row: asyncpg.Record) -> LearnerCourse:
        return learner_course_from(row, self._content)

    async def topic_marks(self, user_id: int, course_id: UUID, module_no: int) -> list[TopicMark]:
        rows = await self._pool.fetch(
            _marks("$2") + " ORDER BY t.topic_number", user_id, course_id, module_no
        )
        return [TopicMark(r["topic_number"], r["title"], r["completed"]) for r in rows]

    async def topic(self, course_id: UUID, module_no: int, number: int) -> TopicRecord | None:
        return await self._content.topic(course_id, module_no, number)

    async def record_visit(self, user_id: int, topic_id: UUID, chat_id: int, page: int) -> None:
        """The last position and the chat's state move together (one statement), so a
        restart resumes here."""
        await self._pool.execute(
            """
            WITH visit AS (
                INSERT INTO topic_progress (user_id, topic_id, last_position) VALUES ($1, $2, $3)
                ON CONFLICT (user_id, topic_id) DO UPDATE
                    SET last_position = EXCLUDED.last_position, updated_at = now()
            )
            INSERT INTO conversation_state (chat_id, user_id, course_id, topic_id)
            SELECT $4, $1, course_id, id FROM topics WHERE id = $2
            ON CONFLICT (chat_id) DO UPDATE SET user_id = EXCLUDED.user_id,
                course_id = EXCLUDED.course_id, topic_id = EXCLUDED.topic_id, updated_at = now()
            """,
            user_id,
            topic_id,
            page,
            chat_id,
        )

    async def complete_topic(self, user_id: int, topic_id: UUID, at: datetime) -> bool:
        newly = await self._pool.fetchval(
            """
            INSERT INTO topic_progress AS tp (user_id, topic_id, is_completed, completed_at)
            VALUES ($1, $2, true, $3)
            ON CONFLICT (user_id, topic_id) DO UPDATE
                SET is_completed = true, completed_at = EXCLUDED.completed_at, updated_at = now()
                WHERE NOT tp.is_completed
            RETURNING true
            """,
            user_id,
            topic_id,
            at,
        )
        return bool(newly)

    async def unlock_module(
        self, user_id: int, course_id: UUID, module_no: int, at: datetime
    ) -> bool:
        """Open the module for the learner at `at`; False when it was open already or the
        course has no such module."""
        opened = await self._pool.fetchval(
            """
            INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at)
            SELECT $1, $2, $3, $4 WHERE EXISTS
                (SELECT 1 FROM modules WHERE course_id = $2 AND module_no = $3)
            ON CONFLICT (user_id, course_id, module_no) DO UPDATE
                SET unlocked_at = EXCLUDED.unlocked_at, updated_at = now()
                WHERE module_progress.unlocked_at IS NULL
            RETURNING true
            """,
            user_id,
            course_id,
            module_no,
            at,
        )
        return bool(opened)

    async def complete_enrollment(self, user_id: int, course_id: UUID, at: datetime) -> bool:
        """Complete the active enrollment at `at` (the service's clock, as the quiz path
        writes it); False when it was not active (completed already, or suspended)."""
        completed = await self._pool.fetchval(
            "UPDATE enrollments SET status = 'completed', completed_at = $3, updated_at = now() "
            "WHERE user_id = $1 AND course_id = $2 AND status = 'active' RETURNING true",
            user_id,
            course_id,
            at,
        )
        return bool(completed)


def learner_course_from(row: asyncpg.Record, content: PgContentStore) -> LearnerCourse:
    """A row of `LEARNER_COURSES` (or of a statement built on it) as the domain's state."""
    content.observe(row["id"], row["version"])
    last = row["last_topic"]
    return LearnerCourse(
        _enrollment(row),
        tuple(_module(m) for m in row["modules"]),
        tuple(TopicMark(k["topic_number"], k["title"], k["completed"]) for k in row["marks"]),
        Position(*last) if last else None,
        tuple(OpenTopic(*u) for u in row["unfinished"]),
    )


def _module(r: Mapping[str, Any]) -> ModuleRecord:
    return ModuleRecord(
        r["module_no"],
        r["title"],
        r["description"],
        r["topics"],
        r["completed"],
        r["unlocked"],
        r["quiz_passed"],
        r["has_quiz"],
        r["quiz_running"],
        _timestamp(r["cooldown_until"]),
        r["out_of_attempts"],
    )


def _timestamp(value: str | None) -> datetime | None:
    """A timestamptz that came through jsonb (as ISO text)."""
    return datetime.fromisoformat(value) if value is not None else None


def _enrollment(row: asyncpg.Record) -> Enrollment:
    persona = Persona(row["persona"]) if row["persona"] else None
    return Enrollment(_course(row), row["status"], persona)
