"""Staff roles, interventions on learners' records, learner reports and the audit log."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from domain.admin import (
    Action,
    CourseRef,
    EnrollmentLine,
    LearnerReport,
    ModuleLine,
    Person,
    Staff,
)
from domain.users import Role


def _person(row: asyncpg.Record) -> Person:
    name = " ".join(p for p in (row["first_name"], row["last_name"]) if p) or "—"
    return Person(row["id"], name, row["username"], Role(row["role"]))


class PgAdminStore:
    def __init__(self, pool: asyncpg.Pool, *, bot_id: int) -> None:
        """`bot_id`: the bot whose updates this process handles; once-per-update effects
        are keyed by it, since update ids are only unique within one bot."""
        self._pool = pool
        self._bot_id = bot_id

    async def staff(self, user_id: int) -> Staff:
        row = await self._pool.fetchrow(
            """
            SELECT coalesce((SELECT role FROM users WHERE id = $1), 'learner') AS role,
                coalesce(array_agg(t.course_id) FILTER (WHERE t.course_id IS NOT NULL), '{}')
                    AS courses
            FROM (SELECT 1) one LEFT JOIN course_tutors t ON t.user_id = $1
            """,
            user_id,
        )
        return Staff(user_id, Role(row["role"]), frozenset(row["courses"]))

    async def find_person(self, ref: str) -> Person | None:
        if ref.lstrip("-").isdecimal() and len(ref) <= 19:
            row = await self._pool.fetchrow("SELECT * FROM users WHERE id = $1", int(ref))
        else:
            row = await self._pool.fetchrow(
                "SELECT * FROM users WHERE lower(username) = lower($1) "
                "ORDER BY updated_at DESC LIMIT 1",
                ref.removeprefix("@"),
            )
        return _person(row) if row else None

    async def course(self, slug: str) -> CourseRef | None:
        row = await self._pool.fetchrow(
            "SELECT c.id, c.slug, c.name, (SELECT count(*) FROM modules m "
            "WHERE m.course_id = c.id) AS modules FROM courses c WHERE c.slug = $1",
            slug,
        )
        return CourseRef(row["id"], row["slug"], row["name"], row["modules"]) if row else None

    async def set_role(self, user_id: int, role: Role) -> None:
        await self._pool.execute(
            "UPDATE users SET role = $2, updated_at = now() WHERE id = $1", user_id, role.value
        )

    async def grant_prompts(
        self, user_id: int, course: CourseRef, module: int, n: int, request_id: int | None = None
    ) -> int:
        return await self._grant_once(
            "module_prompt_usage", "granted", user_id, course, module, n, request_id
        )

    async def grant_attempts(
        self, user_id: int, course: CourseRef, module: int, n: int, request_id: int | None = None
    ) -> int:
        return await self._grant_once(
            "module_progress", "extra_attempts", user_id, course, module, n, request_id
        )

    async def _grant_once(
        self,
        table: str,
        column: str,
        user_id: int,
        course: CourseRef,
        module: int,
        n: int,
        request_id: int | None,
    ) -> int:
        """Add `n` to a per-module allowance; the total after. A request already applied
        (the same update handled again) adds nothing and gets the current total."""
        return await self._pool.fetchval(
            f"""
            WITH seen AS (
                SELECT 1 FROM update_effects
                WHERE bot_id = $6 AND update_id = $5 AND effect = '{column}'
            ),
            added AS (
                INSERT INTO {table} AS t (user_id, course_id, module_no, {column})
                SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM seen)
                ON CONFLICT (user_id, course_id, module_no) DO UPDATE
                    SET {column} = t.{column} + EXCLUDED.{column}, updated_at = now()
                RETURNING {column}
            ),
            mark AS (
                INSERT INTO update_effects (bot_id, update_id, effect)
                SELECT $6, $5, '{column}' FROM added WHERE $5::bigint IS NOT NULL
            )
            SELECT {column} FROM added
            UNION ALL
            SELECT {column} FROM {table}
            WHERE EXISTS (SELECT 1 FROM seen)
              AND user_id = $1 AND course_id = $2 AND module_no = $3
            """,
            user_id,
            course.id,
            module,
            n,
            request_id,
            self._bot_id,
        )

    async def release_cooldown(
        self, user_id: int, course: CourseRef, module: int, now: datetime
    ) -> bool:
        """The cooldown ends now and is left unannounced: the scheduler tells the learner,
        once, exactly as when a cooldown runs out by itself."""
        released = await self._pool.fetchval(
            """
            UPDATE module_progress SET cooldown_until = $4, cooldown_notified_at = NULL,
                cooldown_claimed_until = NULL, updated_at = now()
            WHERE user_id = $1 AND course_id = $2 AND module_no = $3
              AND cooldown_until > $4
            RETURNING true
            """,
            user_id,
            course.id,
            module,
            now,
        )
        return bool(released)

    async def set_enrollment_status(
        self, user_id: int, course: CourseRef, status: str
    ) -> str | None:
        """Sets the status (never over a completed one) and returns the status it had
        before, None without an enrollment: the reply tells a change from a no-op."""
        return await self._pool.fetchval(
            """
            WITH before AS (
                SELECT status FROM enrollments WHERE user_id = $1 AND course_id = $2
                FOR UPDATE
            ), changed AS (
                UPDATE enrollments SET status = $3::enrollment_status, updated_at = now()
                WHERE user_id = $1 AND course_id = $2 AND status <> $3::enrollment_status
                  AND status <> 'completed'
            )
            SELECT status::text FROM before
            """,
            user_id,
            course.id,
            status,
        )

    async def report(self, person: Person, courses: frozenset[UUID] | None) -> LearnerReport:
        rows = await self._pool.fetch(
            """
            SELECT c.id, c.slug, c.name, c.typed_prompt_quota, c.quiz_attempts_limit,
                (SELECT count(*) FROM modules x WHERE x.course_id = c.id) AS module_count,
                e.status, p.persona, m.module_no,
                mp.unlocked_at IS NOT NULL AS unlocked, coalesce(mp.quiz_passed, false) AS passed,
                mp.best_score, coalesce(mp.quiz_attempts, 0) AS attempts,
                coalesce(mp.extra_attempts, 0) AS extra, mp.cooldown_until,
                coalesce(u.typed_count, 0) AS typed, coalesce(u.granted, 0) AS granted,
                (SELECT count(*) FROM topics t WHERE t.course_id = c.id
                    AND t.module_no = m.module_no) AS topics,
                (SELECT count(*) FROM topic_progress tp JOIN topics t ON t.id = tp.topic_id
                    WHERE tp.user_id = $1 AND t.course_id = c.id AND t.module_no = m.module_no
                      AND tp.is_completed) AS done,
                EXISTS (SELECT 1 FROM quiz_questions q WHERE q.course_id = c.id
                    AND q.module_no = m.module_no AND q.is_active) AS has_quiz,
                EXISTS (SELECT 1 FROM quiz_attempts a WHERE a.user_id = $1
                    AND a.course_id = c.id AND a.module_no = m.module_no
                    AND a.status = 'in_progress') AS quiz_running
            FROM enrollments e
            JOIN courses c ON c.id = e.course_id
            JOIN modules m ON m.course_id = c.id
            LEFT JOIN topic_personalization p ON p.user_id = $1 AND p.course_id = c.id
            LEFT JOIN module_progress mp ON mp.user_id = $1 AND mp.course_id = c.id
                AND mp.module_no = m.module_no
            LEFT JOIN module_prompt_usage u ON u.user_id = $1 AND u.course_id = c.id
                AND u.module_no = m.module_no
            WHERE e.user_id = $1 AND ($2::uuid[] IS NULL OR c.id = ANY($2::uuid[]))
            ORDER BY e.enrolled_at, m.module_no
            """,
            person.id,
            list(courses) if courses is not None else None,
        )
        lines: dict[UUID, EnrollmentLine] = {}
        modules: dict[UUID, list[ModuleLine]] = {}
        for r in rows:
            if r["id"] not in lines:
                course = CourseRef(r["id"], r["slug"], r["name"], r["module_count"])
                lines[r["id"]] = EnrollmentLine(
                    course,
                    r["status"],
                    r["persona"],
                    r["typed_prompt_quota"],
                    r["quiz_attempts_limit"],
                    (),
                )
                modules[r["id"]] = []
            modules[r["id"]].append(
                ModuleLine(
                    r["module_no"],
                    r["unlocked"],
                    r["passed"],
                    float(r["best_score"]) if r["best_score"] is not None else None,
                    r["attempts"],
                    r["extra"],
                    r["cooldown_until"],
                    r["typed"],
                    r["granted"],
                    r["done"],
                    r["topics"],
                    r["has_quiz"],
                    r["quiz_running"],
                )
            )
        quiz = await self._pool.fetchrow(
            "SELECT c.slug, a.module_no FROM quiz_attempts a JOIN courses c ON c.id = a.course_id "
            "WHERE a.user_id = $1 AND a.status = 'in_progress' "
            "AND ($2::uuid[] IS NULL OR c.id = ANY($2::uuid[])) LIMIT 1",
            person.id,
            list(courses) if courses is not None else None,
        )
        return LearnerReport(
            person,
            tuple(
                EnrollmentLine(
                    line.course,
                    line.status,
                    line.persona,
                    line.typed_quota,
                    line.attempts_limit,
                    tuple(modules[course_id]),
                )
                for course_id, line in lines.items()
            ),
            (quiz["slug"], quiz["module_no"]) if quiz else None,
        )

    async def audit(
        self, actor_id: int, action: Action, target: str, outcome: str, detail: dict
    ) -> None:
        await self._pool.execute(
            "INSERT INTO admin_audit (actor_id, action, target, outcome, detail) "
            "VALUES ($1, $2, $3, $4, $5)",
            actor_id,
            action.value,
            target,
            outcome,
            detail,
        )
