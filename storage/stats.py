"""Figures for /stats: three set-based queries whatever the number of courses and modules."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from domain.admin import CourseRef
from domain.stats import (
    STATUSES,
    CourseStats,
    Figures,
    ModuleFunnel,
    QuestionCount,
    Ratings,
)

# The courses in view: all of them when $1 is NULL.
_SCOPE = "scope AS (SELECT id FROM courses WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[]))"


def _in_cohort(user: str, param: int) -> str:
    """`user` is a current member of cohort $param, or $param is NULL (everyone)."""
    return (
        f"(${param}::uuid IS NULL OR EXISTS (SELECT 1 FROM cohort_members cm "
        f"WHERE cm.cohort_id = ${param} AND cm.user_id = {user} AND cm.left_at IS NULL))"
    )


# Learners per course and over all courses in view (the () grouping set: course_id NULL).
# Active since $2: enrolled, opened or completed a topic, started or finished a quiz
# attempt, or sent the tutor a question, in that course.
_FIGURES = f"""
WITH {_SCOPE},
active AS (
    SELECT e.user_id, e.course_id FROM enrollments e JOIN scope s ON s.id = e.course_id
    WHERE e.enrolled_at >= $2
    UNION
    SELECT tp.user_id, t.course_id FROM topic_progress tp
    JOIN topics t ON t.id = tp.topic_id JOIN scope s ON s.id = t.course_id
    WHERE tp.updated_at >= $2
    UNION
    SELECT a.user_id, a.course_id FROM quiz_attempts a JOIN scope s ON s.id = a.course_id
    WHERE a.started_at >= $2 OR a.finished_at >= $2
    UNION
    SELECT th.user_id, th.course_id FROM ai_mentor_thread_messages m
    JOIN ai_mentor_threads th ON th.id = m.thread_id JOIN scope s ON s.id = th.course_id
    WHERE m.role = 'learner' AND m.created_at >= $2
)
SELECT e.course_id,
    count(DISTINCT e.user_id) AS learners,
    count(DISTINCT e.user_id) FILTER (WHERE a.user_id IS NOT NULL) AS active,
    count(*) FILTER (WHERE e.status = 'active') AS status_active,
    count(*) FILTER (WHERE e.status = 'suspended') AS status_suspended,
    count(*) FILTER (WHERE e.status = 'completed') AS status_completed
FROM enrollments e
JOIN scope s ON s.id = e.course_id
LEFT JOIN active a ON a.user_id = e.user_id AND a.course_id = e.course_id
WHERE {_in_cohort("e.user_id", 3)}
GROUP BY GROUPING SETS ((e.course_id), ())
"""

# One row per module of every course in view (a course without modules: one row, no module).
_MODULES = f"""
WITH {_SCOPE},
enrolled AS (
    SELECT e.course_id, count(*) AS n FROM enrollments e JOIN scope s ON s.id = e.course_id
    WHERE {_in_cohort("e.user_id", 2)}
    GROUP BY e.course_id
),
progress AS (
    SELECT mp.course_id, mp.module_no,
        count(*) FILTER (WHERE mp.unlocked_at IS NOT NULL) AS unlocked,
        count(*) FILTER (WHERE mp.quiz_passed) AS passed
    FROM module_progress mp
    JOIN enrollments e ON e.user_id = mp.user_id AND e.course_id = mp.course_id
    JOIN scope s ON s.id = mp.course_id
    WHERE {_in_cohort("mp.user_id", 2)}
    GROUP BY mp.course_id, mp.module_no
),
topic_counts AS (
    SELECT t.course_id, t.module_no, count(*) AS topics FROM topics t
    JOIN scope s ON s.id = t.course_id
    GROUP BY t.course_id, t.module_no
),
learner_done AS (
    SELECT t.course_id, t.module_no, tp.user_id, count(*) AS done FROM topic_progress tp
    JOIN topics t ON t.id = tp.topic_id
    JOIN scope s ON s.id = t.course_id
    JOIN enrollments e ON e.user_id = tp.user_id AND e.course_id = t.course_id
    WHERE tp.is_completed AND {_in_cohort("tp.user_id", 2)}
    GROUP BY t.course_id, t.module_no, tp.user_id
),
done AS (
    SELECT d.course_id, d.module_no, count(*) AS n FROM learner_done d
    JOIN topic_counts c ON c.course_id = d.course_id AND c.module_no = d.module_no
    WHERE d.done >= c.topics
    GROUP BY d.course_id, d.module_no
),
attempts AS (
    SELECT a.course_id, a.module_no,
        count(*) FILTER (WHERE a.status = 'passed') AS passed,
        count(*) FILTER (WHERE a.status = 'failed') AS failed,
        count(*) FILTER (WHERE a.status = 'abandoned') AS abandoned
    FROM quiz_attempts a JOIN scope s ON s.id = a.course_id
    WHERE {_in_cohort("a.user_id", 2)}
    GROUP BY a.course_id, a.module_no
),
typed AS (
    SELECT u.course_id, u.module_no, sum(u.typed_count) AS n FROM module_prompt_usage u
    JOIN scope s ON s.id = u.course_id
    WHERE {_in_cohort("u.user_id", 2)}
    GROUP BY u.course_id, u.module_no
),
ratings AS (
    SELECT r.course_id, count(*) AS n, sum(r.rating) AS total,
        count(*) FILTER (WHERE r.comment IS NOT NULL) AS with_words
    FROM course_reviews r JOIN scope s ON s.id = r.course_id
    WHERE r.hidden_at IS NULL AND {_in_cohort("r.user_id", 2)}
    GROUP BY r.course_id
)
SELECT c.id, c.slug, c.name, m.module_no, m.title,
    coalesce(rt.n, 0) AS ratings, coalesce(rt.total, 0) AS rating_total,
    coalesce(rt.with_words, 0) AS reviews,
    count(m.module_no) OVER (PARTITION BY c.id) AS module_count,
    coalesce(en.n, 0) AS enrolled, coalesce(p.unlocked, 0) AS unlocked,
    coalesce(d.n, 0) AS topics_done, coalesce(p.passed, 0) AS quiz_passed,
    coalesce(a.passed, 0) AS attempts_passed, coalesce(a.failed, 0) AS attempts_failed,
    coalesce(a.abandoned, 0) AS attempts_abandoned, coalesce(ty.n, 0) AS typed
FROM scope s
JOIN courses c ON c.id = s.id
LEFT JOIN modules m ON m.course_id = c.id
LEFT JOIN enrolled en ON en.course_id = c.id
LEFT JOIN progress p ON p.course_id = c.id AND p.module_no = m.module_no
LEFT JOIN done d ON d.course_id = c.id AND d.module_no = m.module_no
LEFT JOIN attempts a ON a.course_id = c.id AND a.module_no = m.module_no
LEFT JOIN typed ty ON ty.course_id = c.id AND ty.module_no = m.module_no
LEFT JOIN ratings rt ON rt.course_id = c.id
ORDER BY c.slug, m.module_no
"""

# Learners' own (typed) questions, normalised: trimmed and lower case. (Collapsing inner
# whitespace with regexp_replace made this query ~4x slower for little gain.)
_TOP_QUESTIONS = f"""
WITH {_SCOPE}
SELECT q.text, count(*) AS n
FROM (
    SELECT lower(btrim(m.content)) AS text
    FROM ai_mentor_thread_messages m
    JOIN ai_mentor_threads th ON th.id = m.thread_id
    JOIN scope s ON s.id = th.course_id
    WHERE m.role = 'learner' AND m.typed AND {_in_cohort("th.user_id", 3)}
) q
WHERE q.text <> ''
GROUP BY q.text
ORDER BY n DESC, q.text
LIMIT $2
"""


def _figures(row: asyncpg.Record | None) -> Figures:
    if row is None:
        return Figures.none()
    by_status = {status: row[f"status_{status}"] for status in STATUSES}
    return Figures(row["learners"], row["active"], by_status)


class PgStatsStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def figures(
        self,
        courses: frozenset[UUID] | None,
        since: datetime,
        top: int,
        cohort: UUID | None = None,
    ) -> tuple[Figures, tuple[CourseStats, ...], tuple[QuestionCount, ...]]:
        """Active = enrolled, opened or completed a topic, started or finished a quiz
        attempt, or asked the tutor in the course since `since` (see domain.stats).
        `cohort`: only its current members are counted."""
        scope = list(courses) if courses is not None else None
        async with self._pool.acquire() as conn:
            head = await conn.fetch(_FIGURES, scope, since, cohort)
            modules = await conn.fetch(_MODULES, scope, cohort)
            questions = await conn.fetch(_TOP_QUESTIONS, scope, top, cohort)
        per_course = {r["course_id"]: r for r in head if r["course_id"] is not None}
        totals = next((r for r in head if r["course_id"] is None), None)
        refs: dict[UUID, CourseRef] = {}
        rated: dict[UUID, Ratings] = {}
        lines: dict[UUID, list[ModuleFunnel]] = {}
        for r in modules:
            if r["id"] not in refs:
                refs[r["id"]] = CourseRef(r["id"], r["slug"], r["name"], r["module_count"])
                rated[r["id"]] = Ratings(r["ratings"], int(r["rating_total"]), r["reviews"])
                lines[r["id"]] = []
            if r["module_no"] is not None:
                lines[r["id"]].append(
                    ModuleFunnel(
                        r["module_no"],
                        r["title"],
                        r["enrolled"],
                        r["unlocked"],
                        r["topics_done"],
                        r["quiz_passed"],
                        r["attempts_passed"],
                        r["attempts_failed"],
                        r["attempts_abandoned"],
                        int(r["typed"]),
                    )
                )
        stats = tuple(
            CourseStats(
                ref,
                _figures(per_course.get(course_id)),
                tuple(lines[course_id]),
                rated[course_id],
            )
            for course_id, ref in refs.items()
        )
        top_questions = tuple(QuestionCount(r["text"], r["n"]) for r in questions)
        return _figures(totals), stats, top_questions
