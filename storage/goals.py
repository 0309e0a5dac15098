"""Daily goals, streaks and course target dates (domain.goals): one statement a use case.

The per-day totals are grouped by the learner's local date in SQL (`AT TIME ZONE` the
zone the service passes), from the day the goal was set and at most `LOOKBACK_DAYS` back,
so a streak costs one read of a bounded range whatever the learner's history. Home and
/progress read the goal inside their own statement (an uncorrelated subquery: evaluated
once), so showing the streak costs them no round trip.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from domain.goals import (
    LOOKBACK_DAYS,
    REVIEW_MINUTES_AT_MOST,
    WORDS_PER_MINUTE,
    CourseTarget,
    DailyGoal,
    GoalKind,
    GoalRecord,
)
from domain.learning.model import CourseInfo, LearnerCourse
from storage.learning import HOME, LEARNER_COURSES, PgLearningStore


def _goal(source: str, user: str, tz: str, now: str) -> str:
    """The goal of `source` (aliased g) as jsonb with its amounts per local day ('days').

    Minutes are an estimate: a completed topic is its plain text read at
    `WORDS_PER_MINUTE` (at least one minute), a review its measured answer time, capped."""
    return f"""
    SELECT jsonb_build_object('kind', g.kind, 'target', g.target, 'set_at', g.set_at,
        'days', (SELECT coalesce(jsonb_object_agg(d.day, d.amount), '{{}}') FROM (
            SELECT (a.at AT TIME ZONE {tz})::date AS day,
                CASE WHEN g.kind = 'minutes' THEN floor(sum(a.ms) / 60000)::int
                    ELSE count(*)::int END AS amount
            FROM (
                SELECT tp.completed_at AS at, 60000 * greatest(1, ceil(coalesce(array_length(
                    regexp_split_to_array(btrim(t.text_content), '\\s+'), 1), 0)
                    / {WORDS_PER_MINUTE}.0)) AS ms
                FROM topic_progress tp JOIN topics t ON t.id = tp.topic_id
                WHERE g.kind <> 'reviews' AND tp.user_id = g.user_id AND tp.is_completed
                    AND tp.completed_at >= s.since
                UNION ALL
                SELECT r.reviewed_at, least(coalesce(r.duration_ms, 0),
                    {REVIEW_MINUTES_AT_MOST * 60000})
                FROM review_log r
                WHERE g.kind <> 'topics' AND r.user_id = g.user_id AND r.reviewed_at >= s.since
            ) a GROUP BY 1
        ) d))
    FROM {source}
    CROSS JOIN LATERAL (SELECT (greatest((g.set_at AT TIME ZONE {tz})::date,
        ({now} AT TIME ZONE {tz})::date - {LOOKBACK_DAYS})::timestamp AT TIME ZONE {tz}) AS since
    ) s
    WHERE g.user_id = {user}
    """


def _targets(source: str, user: str) -> str:
    """The target dates of `source` (aliased g) of courses the learner is in, as jsonb."""
    return f"""
    SELECT coalesce(jsonb_agg(jsonb_build_object(
        'course_id', g.course_id, 'course_name', c.name, 'target_date', g.target_date,
        'started_on', g.started_on, 'started_done', g.started_done,
        'total', (SELECT count(*) FROM topics t WHERE t.course_id = g.course_id),
        'done', (SELECT count(*) FROM topic_progress tp JOIN topics t ON t.id = tp.topic_id
                 WHERE tp.user_id = g.user_id AND t.course_id = g.course_id AND tp.is_completed)
    ) ORDER BY g.target_date, c.name), '[]')
    FROM {source} JOIN courses c ON c.id = g.course_id
    JOIN enrollments e ON e.user_id = g.user_id AND e.course_id = g.course_id
        AND e.status <> 'suspended'
    WHERE g.user_id = {user}
    """


_GOAL = _goal("daily_goals g", "$1", "$2::text", "$3::timestamptz")
_TARGETS = _targets("course_goals g", "$1")

# The learner's current course: the chat's, else the one with the latest progress, else
# the latest enrollment (active ones of published courses only). $2: the chat.
_CURRENT_COURSE = """
    SELECT e.course_id FROM enrollments e
    JOIN courses c ON c.id = e.course_id AND c.is_published
    LEFT JOIN conversation_state s ON s.chat_id = $2 AND s.user_id = $1
        AND s.course_id = e.course_id
    WHERE e.user_id = $1 AND e.status = 'active'
    ORDER BY s.chat_id IS NOT NULL DESC,
        (SELECT max(tp.updated_at) FROM topic_progress tp JOIN topics t ON t.id = tp.topic_id
         WHERE tp.user_id = $1 AND t.course_id = e.course_id) DESC NULLS LAST,
        e.enrolled_at DESC
    LIMIT 1
"""


# How bot/timezones.py stores a fixed offset ("UTC+05:30"). PostgreSQL reads that text
# as a POSIX zone, whose offsets count west of Greenwich: it must not be passed as is.
_FIXED = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")


def posix_zone(offset: timedelta) -> str:
    """A fixed offset as the POSIX zone PostgreSQL reads right: `<+0530>-05:30`."""
    minutes = int(offset.total_seconds()) // 60
    hours, rest = divmod(abs(minutes), 60)
    east, west = ("+", "-") if minutes >= 0 else ("-", "+")
    return f"<{east}{hours:02d}{rest:02d}>{west}{hours:02d}:{rest:02d}"


def sql_zone(timezone: str | None, now: datetime, known: frozenset[str]) -> str:
    """The learner's zone as `AT TIME ZONE` takes it. A zone newer than the server's tz
    database (`known`: its names) is read at its offset now rather than failing Home."""
    if not timezone:
        return "UTC"
    fixed = _FIXED.match(timezone)
    if fixed is not None:
        sign, hours, minutes = fixed.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        return posix_zone(-offset if sign == "-" else offset)
    if timezone in known:
        return timezone
    try:
        offset = now.astimezone(ZoneInfo(timezone)).utcoffset() or timedelta(0)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return "UTC"
    return posix_zone(offset)


def _record(value: str | None) -> GoalRecord | None:
    if value is None:
        return None
    goal = json.loads(value) if isinstance(value, str) else value
    return GoalRecord(
        DailyGoal(GoalKind(goal["kind"]), goal["target"]),
        datetime.fromisoformat(goal["set_at"]),
        {date.fromisoformat(day): amount for day, amount in goal["days"].items()},
    )


def _target_list(value: object) -> list[CourseTarget]:
    rows = json.loads(value) if isinstance(value, str) else value or []
    return [
        CourseTarget(
            UUID(r["course_id"]),
            r["course_name"],
            date.fromisoformat(r["target_date"]),
            date.fromisoformat(r["started_on"]),
            r["started_done"],
            r["done"],
            r["total"],
        )
        for r in rows  # type: ignore[union-attr]
    ]


class PgGoalStore:
    def __init__(self, pool: asyncpg.Pool, learning: PgLearningStore) -> None:
        self._pool = pool
        self._learning = learning  # reads Home's and /progress's rows
        self._zones: frozenset[str] | None = None  # the server's zone names, read once

    async def _zone(self, timezone: str | None, now: datetime) -> str:
        if self._zones is None and timezone and not _FIXED.match(timezone):
            names = await self._pool.fetchval("SELECT array_agg(name) FROM pg_timezone_names")
            self._zones = frozenset(names or ())
        return sql_zone(timezone, now, self._zones or frozenset())

    async def goal(
        self, user_id: int, timezone: str | None, now: datetime
    ) -> tuple[GoalRecord | None, list[CourseTarget]]:
        row = await self._pool.fetchrow(
            f"SELECT ({_GOAL}) AS goal, ({_TARGETS}) AS targets",
            user_id,
            await self._zone(timezone, now),
            now,
        )
        assert row is not None  # a SELECT without FROM has its one row
        return _record(row["goal"]), _target_list(row["targets"])

    async def set_goal(
        self, user_id: int, goal: DailyGoal, timezone: str | None, now: datetime
    ) -> GoalRecord:
        saved = await self._pool.fetchval(
            f"""
            WITH saved AS (
                INSERT INTO daily_goals AS d (user_id, kind, target, set_at)
                VALUES ($1, $4, $5, $3)
                ON CONFLICT (user_id) DO UPDATE SET kind = EXCLUDED.kind,
                    target = EXCLUDED.target,
                    set_at = CASE WHEN (d.kind, d.target) = (EXCLUDED.kind, EXCLUDED.target)
                        THEN d.set_at ELSE EXCLUDED.set_at END
                RETURNING *
            )
            {_goal("saved g", "$1", "$2::text", "$3::timestamptz")}
            """,
            user_id,
            await self._zone(timezone, now),
            now,
            goal.kind.value,
            goal.target,
        )
        record = _record(saved)
        assert record is not None  # just kept
        return record

    async def clear_goal(self, user_id: int) -> bool:
        gone = await self._pool.fetchval(
            "DELETE FROM daily_goals WHERE user_id = $1 RETURNING true", user_id
        )
        return bool(gone)

    async def set_target(
        self, user_id: int, chat_id: int, target: date, today: date, now: datetime
    ) -> CourseTarget | None:
        saved = await self._pool.fetchval(
            f"""
            WITH course AS ({_CURRENT_COURSE}),
            saved AS (
                INSERT INTO course_goals (user_id, course_id, target_date, started_on,
                    started_done, set_at)
                SELECT $1, course.course_id, $3, $4, (
                    SELECT count(*) FROM topic_progress tp JOIN topics t ON t.id = tp.topic_id
                    WHERE tp.user_id = $1 AND t.course_id = course.course_id
                        AND tp.is_completed), $5
                FROM course
                ON CONFLICT (user_id, course_id) DO UPDATE SET
                    target_date = EXCLUDED.target_date, started_on = EXCLUDED.started_on,
                    started_done = EXCLUDED.started_done, set_at = EXCLUDED.set_at
                RETURNING *
            )
            {_targets("saved g", "$1")}
            """,
            user_id,
            chat_id,
            target,
            today,
            now,
        )
        targets = _target_list(saved)
        return targets[0] if targets else None

    async def clear_target(self, user_id: int, course_id: UUID) -> bool:
        gone = await self._pool.fetchval(
            "DELETE FROM course_goals WHERE user_id = $1 AND course_id = $2 RETURNING true",
            user_id,
            course_id,
        )
        return bool(gone)

    async def home(
        self, user_id: int, timezone: str | None, now: datetime
    ) -> tuple[list[LearnerCourse], list[CourseInfo], GoalRecord | None]:
        """Home's statement with the goal as one more column (NULL: none set). With no
        course at all to list, Home has no rows and shows no goal: there is nothing to
        study toward it then."""
        rows = await self._pool.fetch(
            f"""
            SELECT h.*, ({_goal("daily_goals g", "$1", "$4::text", "$5::timestamptz")}) AS goal
            FROM ({HOME}) h ORDER BY h.part, h.ord
            """,
            user_id,
            None,
            None,
            await self._zone(timezone, now),
            now,
        )
        mine, catalog = self._learning.home_of(rows)
        return mine, catalog, _record(rows[0]["goal"]) if rows else None

    async def progress(
        self, user_id: int, timezone: str | None, now: datetime
    ) -> tuple[list[LearnerCourse], GoalRecord | None, list[CourseTarget]]:
        goal = _goal("daily_goals g", "$1", "$4::text", "$5::timestamptz")
        rows = await self._pool.fetch(
            f"""
            SELECT s.*, ({goal}) AS goal, ({_TARGETS}) AS targets
            FROM ({LEARNER_COURSES}) s ORDER BY s.enrolled_at
            """,
            user_id,
            None,
            None,
            await self._zone(timezone, now),
            now,
        )
        if not rows:
            return [], None, []
        first = rows[0]
        return (
            self._learning.learner_courses_of(rows),
            _record(first["goal"]),
            _target_list(first["targets"]),
        )
