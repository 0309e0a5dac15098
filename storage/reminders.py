"""Reminders (domain.reminders): the learner's plan, and the sweep's claim in one statement
that also reads what each reminder names (cards due, topics left) and the activity the
rules judge "ignored" and "when I usually study" by."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.reminders import USUAL_FROM_LAST, DueReminder, QuietHours, ReminderPlan, Waiting

# A learner's study activity: topics completed, quizzes started, cards reviewed.
_ACTIVITY = """
    SELECT tp.completed_at AS at FROM topic_progress tp
        WHERE tp.user_id = {user} AND tp.completed_at IS NOT NULL
    UNION ALL SELECT qa.started_at FROM quiz_attempts qa WHERE qa.user_id = {user}
    UNION ALL SELECT rl.reviewed_at FROM review_log rl WHERE rl.user_id = {user}
"""


def _plan(row: asyncpg.Record) -> ReminderPlan:
    quiet = None
    if row["quiet_start"] is not None:
        quiet = QuietHours(row["quiet_start"], row["quiet_end"])
    return ReminderPlan(
        timezone=row["timezone"] or "UTC",
        at=row["at_time"],
        quiet=quiet,
        stopped=row["stopped"],
        ignored_in_a_row=row["ignored_in_a_row"],
        last_sent_at=row["last_sent_at"],
        snoozed_until=row["snoozed_until"],
    )


class PgReminderStore:
    """`bot_id`: the bot this process serves; it sweeps only the reminders it may send."""

    def __init__(self, pool: asyncpg.Pool, bot_id: int) -> None:
        self._pool = pool
        self._bot_id = bot_id

    async def plan(self, user_id: int) -> tuple[ReminderPlan, datetime | None] | None:
        row = await self._pool.fetchrow(
            "SELECT r.*, u.timezone FROM reminders r JOIN users u ON u.id = r.user_id "
            "WHERE r.user_id = $1",
            user_id,
        )
        return (_plan(row), row["next_at"]) if row else None

    async def save(
        self, user_id: int, plan: ReminderPlan, next_at: datetime | None, at: datetime
    ) -> None:
        quiet = plan.quiet
        await self._pool.execute(
            """
            INSERT INTO reminders AS r (user_id, bot_id, at_time, quiet_start, quiet_end,
                stopped, ignored_in_a_row, last_sent_at, snoozed_until, next_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (user_id) DO UPDATE SET bot_id = EXCLUDED.bot_id,
                at_time = EXCLUDED.at_time, quiet_start = EXCLUDED.quiet_start,
                quiet_end = EXCLUDED.quiet_end, stopped = EXCLUDED.stopped,
                ignored_in_a_row = EXCLUDED.ignored_in_a_row,
                last_sent_at = EXCLUDED.last_sent_at, snoozed_until = EXCLUDED.snoozed_until,
                next_at = EXCLUDED.next_at, claimed_until = NULL,
                updated_at = EXCLUDED.updated_at
            """,
            user_id,
            self._bot_id,
            plan.at,
            quiet.start if quiet else None,
            quiet.end if quiet else None,
            plan.stopped,
            plan.ignored_in_a_row,
            plan.last_sent_at,
            plan.snoozed_until,
            next_at,
            at,
        )

    async def activity(self, user_id: int) -> list[datetime]:
        rows = await self._pool.fetch(
            f"SELECT at FROM ({_ACTIVITY.format(user='$1')}) a ORDER BY at DESC LIMIT $2",
            user_id,
            USUAL_FROM_LAST,
        )
        return [r["at"] for r in rows]

    async def claim_due(
        self, now: datetime, claim_until: datetime, limit: int
    ) -> list[DueReminder]:
        """Due reminders nobody else holds, claimed until `claim_until`, each with the
        cards due now (of unlocked modules), the first unfinished unlocked module of the
        course open in their chat (else their latest active enrollment) and its topics
        left, their latest activity, and their recent activity when they follow "usual"."""
        activity = _ACTIVITY.format(user="c.user_id")
        rows = await self._pool.fetch(
            f"""
            WITH due AS (
                SELECT r.user_id FROM reminders r
                WHERE r.bot_id = $4 AND NOT r.stopped AND r.next_at <= $1
                  AND (r.claimed_until IS NULL OR r.claimed_until <= $1)
                ORDER BY r.next_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            ), c AS (
                UPDATE reminders r SET claimed_until = $2
                FROM due WHERE r.user_id = due.user_id
                RETURNING r.*
            )
            SELECT c.*, u.timezone, u.is_blocked,
                (SELECT count(*) FROM review_cards rc
                    JOIN module_progress mp ON mp.user_id = rc.user_id
                        AND mp.course_id = rc.course_id AND mp.module_no = rc.module_no
                        AND mp.unlocked_at IS NOT NULL
                    WHERE rc.user_id = c.user_id AND rc.due <= $1) AS cards_due,
                cur.module_no AS current_module, coalesce(cur.topics_left, 0) AS topics_left,
                (SELECT max(a.at) FROM ({activity}) a) AS last_active,
                CASE WHEN c.at_time IS NULL THEN ARRAY(
                    SELECT a.at FROM ({activity}) a ORDER BY a.at DESC LIMIT $5
                ) END AS recent
            FROM c
            JOIN users u ON u.id = c.user_id
            LEFT JOIN conversation_state cs ON cs.chat_id = c.user_id
            LEFT JOIN LATERAL (
                SELECT t.module_no, count(*) AS topics_left
                FROM enrollments e
                JOIN courses co ON co.id = e.course_id AND co.is_published
                JOIN module_progress mp ON mp.user_id = e.user_id AND mp.course_id = e.course_id
                    AND mp.unlocked_at IS NOT NULL
                JOIN topics t ON t.course_id = mp.course_id AND t.module_no = mp.module_no
                WHERE e.user_id = c.user_id AND e.status = 'active'
                  AND NOT EXISTS (SELECT 1 FROM topic_progress tp WHERE tp.user_id = e.user_id
                      AND tp.topic_id = t.id AND tp.is_completed)
                GROUP BY e.course_id, e.enrolled_at, t.module_no
                ORDER BY (e.course_id = cs.course_id) IS TRUE DESC, e.enrolled_at DESC,
                    t.module_no
                LIMIT 1
            ) cur ON true
            """,
            now,
            claim_until,
            limit,
            self._bot_id,
            USUAL_FROM_LAST,
        )
        return [
            DueReminder(
                user_id=r["user_id"],
                plan=_plan(r),
                next_at=r["next_at"],
                sent_count=r["sent_count"],
                waiting=Waiting(r["cards_due"], r["topics_left"], r["current_module"]),
                blocked=r["is_blocked"],
                last_active=r["last_active"],
                activity=tuple(r["recent"] or ()),
                claim=r["claimed_until"],
            )
            for r in rows
        ]

    async def finish(
        self,
        user_id: int,
        plan: ReminderPlan,
        next_at: datetime | None,
        *,
        sent: bool,
        claim: datetime | None,
        at: datetime,
    ) -> None:
        # A learner who changed their setting while it was being sent (their save dropped
        # the lease) keeps the next time their setting chose.
        await self._pool.execute(
            """
            UPDATE reminders SET ignored_in_a_row = $2, last_sent_at = $3, snoozed_until = $4,
                sent_count = sent_count + $5::int,
                next_at = CASE WHEN claimed_until IS NOT DISTINCT FROM $7 THEN $6
                    ELSE next_at END,
                claimed_until = NULL, updated_at = $8
            WHERE user_id = $1
            """,
            user_id,
            plan.ignored_in_a_row,
            plan.last_sent_at,
            plan.snoozed_until,
            int(sent),
            next_at,
            claim,
            at,
        )

    async def retry(self, user_id: int, at: datetime) -> None:
        await self._pool.execute(
            "UPDATE reminders SET next_at = $2, claimed_until = NULL WHERE user_id = $1",
            user_id,
            at,
        )
