"""Spaced review (domain.review): decks, asks and the answer log, one statement a use.

A card holds a reference to what it asks ("quiz:<question key>" or "author:<card key>");
the prompt is read from the course as it stands, so a re-import that rewords a question
rewords its card, and one that retires it (or an author card it drops) leaves the card
unasked. The module a card counts under is its question's module now, so a question an
author moves into a locked module is not asked either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.review.model import (
    Applied,
    Ask,
    AuthorCard,
    CardKey,
    CardSource,
    DayCount,
    DueCard,
    DueToday,
    ModuleKey,
    NewAsk,
    Prompt,
    Review,
    ReviewCard,
)

# What card `c` asks, from the course as it is now; no row when it left the course.
_PROMPT_OF_C = """
    SELECT q.module_no AS at_module, q.question_text AS question, q.explanation,
        (SELECT jsonb_agg(jsonb_build_object('text', o.option_text, 'correct', o.is_correct)
                ORDER BY o.position)
         FROM quiz_options o WHERE o.question_id = q.id) AS options
    FROM quiz_questions q
    WHERE left(c.source, 5) = 'quiz:' AND q.course_id = c.course_id
        AND q.key = substr(c.source, 6) AND q.is_active
    UNION ALL
    SELECT a.module_no, a.question, a.explanation, a.options
    FROM review_author_cards a
    WHERE left(c.source, 7) = 'author:' AND a.course_id = c.course_id
        AND a.key = substr(c.source, 8)
"""
_PROMPT = f"CROSS JOIN LATERAL ({_PROMPT_OF_C}) p"

_CARD = "c.user_id, c.course_id, c.source, c.state, c.due, c.reps"

# A module the learner may study: unlocked, enrolled and not suspended, course published.
_OPEN = """
    SELECT mp.course_id, mp.module_no
    FROM module_progress mp
    JOIN enrollments e ON e.user_id = mp.user_id AND e.course_id = mp.course_id
        AND e.status <> 'suspended'
    JOIN courses co ON co.id = mp.course_id AND co.is_published
    WHERE mp.user_id = $1 AND mp.unlocked_at IS NOT NULL
"""


def _prompt(question: str, options: list | None, explanation: str) -> Prompt:
    """A prompt from its JSON options ([{"text", "correct"}, ...]), as both sources keep them."""
    pairs = tuple((o["text"], bool(o["correct"])) for o in options or ())
    return Prompt.of_options(question, pairs, explanation)


def _due_card(row: asyncpg.Record) -> DueCard:
    card = ReviewCard(
        learner=row["user_id"],
        course=row["course_id"],
        module=row["at_module"],
        source=CardSource.parse(row["source"]),
        state=row["state"],
        due=row["due"],
        reps=row["reps"],
    )
    return DueCard(card, _prompt(row["question"], row["options"], row["explanation"]))


def _ask(row: asyncpg.Record) -> Ask:
    return Ask(
        id=row["id"],
        key=CardKey(row["user_id"], row["course_id"], CardSource.parse(row["source"])),
        chat_id=row["chat_id"],
        options=row["asked_options"],
        asked_at=row["asked_at"],
        poll_id=row["poll_id"],
        message_id=row["message_id"],
        answered=row["answered"],
        superseded=row["superseded"],
        card=_due_card(row) if row["question"] is not None else None,
    )


# An ask, whether it was answered or followed by another, and its card as it stands now.
_ASK = f"""
    SELECT a.id, a.user_id, a.course_id, a.source, a.chat_id, a.options AS asked_options,
        a.asked_at, a.poll_id, a.message_id, c.state, c.due, c.reps, p.*,
        EXISTS (SELECT 1 FROM review_log l WHERE l.idempotency_key = 'ask:' || a.id)
            AS answered,
        EXISTS (SELECT 1 FROM review_asks b WHERE b.user_id = a.user_id AND b.seq > a.seq)
            AS superseded
    FROM review_asks a
    LEFT JOIN review_cards c ON c.user_id = a.user_id AND c.course_id = a.course_id
        AND c.source = a.source
    LEFT JOIN LATERAL ({_PROMPT_OF_C}) p ON c.user_id IS NOT NULL
"""


class PgReviewStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # -- DueCards ---------------------------------------------------------------------------

    async def due_today(
        self,
        learner: int,
        unlocked: frozenset[ModuleKey],
        now: datetime,
        since: datetime,
        *,
        new_limit: int,
        review_limit: int,
    ) -> DueToday:
        if not unlocked:
            return DueToday([], DayCount())
        rows = await self._pool.fetch(
            f"""
            WITH deck AS MATERIALIZED (
                SELECT {_CARD}, c.is_new, p.*
                FROM review_cards c {_PROMPT}
                WHERE c.user_id = $1 AND (c.course_id, p.at_module) IN
                    (SELECT * FROM unnest($3::uuid[], $4::int[]))
            ), picked AS (
                (SELECT * FROM deck WHERE due <= $2 AND is_new ORDER BY due, source LIMIT $6)
                UNION ALL
                (SELECT * FROM deck WHERE due <= $2 AND NOT is_new ORDER BY due, source LIMIT $7)
            )
            SELECT s.*, k.* FROM (
                SELECT count(*) FILTER (WHERE l.was_new) AS new_today,
                    count(*) FILTER (WHERE NOT l.was_new) AS reviews_today,
                    (SELECT min(due) FROM deck WHERE due > $2) AS next_due
                FROM review_log l WHERE l.user_id = $1 AND l.reviewed_at >= $5
            ) s LEFT JOIN picked k ON true
            """,
            learner,
            now,
            [m.course for m in unlocked],
            [m.module for m in unlocked],
            since,
            new_limit,
            review_limit,
        )
        first = rows[0]
        cards = [_due_card(r) for r in rows if r["user_id"] is not None]
        cards.sort(key=lambda d: (d.card.due, d.card.source.token))
        answered = DayCount(first["new_today"], first["reviews_today"])
        return DueToday(cards, answered, first["next_due"])

    async def card(self, key: CardKey) -> DueCard | None:
        row = await self._pool.fetchrow(
            f"SELECT {_CARD}, p.* FROM review_cards c {_PROMPT} "
            "WHERE c.user_id = $1 AND c.course_id = $2 AND c.source = $3",
            key.learner,
            key.course,
            key.source.token,
        )
        return _due_card(row) if row else None

    # -- Deck -------------------------------------------------------------------------------

    async def missing_author_cards(
        self, learner: int, unlocked: frozenset[ModuleKey]
    ) -> list[tuple[UUID, AuthorCard]]:
        rows = await self._pool.fetch(
            """
            SELECT a.* FROM review_author_cards a
            JOIN unnest($2::uuid[], $3::int[]) AS o(course_id, module_no)
                ON o.course_id = a.course_id AND o.module_no = a.module_no
            WHERE NOT EXISTS (
                SELECT 1 FROM review_cards c WHERE c.user_id = $1
                    AND c.course_id = a.course_id AND c.source = 'author:' || a.key
            )
            ORDER BY a.course_id, a.module_no, a.topic_number, a.key
            """,
            learner,
            [m.course for m in unlocked],
            [m.module for m in unlocked],
        )
        return [
            (
                r["course_id"],
                AuthorCard(
                    r["key"],
                    r["module_no"],
                    r["topic_number"],
                    _prompt(r["question"], r["options"], r["explanation"]),
                ),
            )
            for r in rows
        ]

    # -- CardWrites -------------------------------------------------------------------------

    async def add_cards(self, cards: Sequence[ReviewCard]) -> int:
        if not cards:
            return 0
        if len(cards) == 1:  # a wrong quiz answer: plain parameters, no array types to learn
            (c,) = cards
            status = await self._pool.execute(
                """
                INSERT INTO review_cards (user_id, course_id, source, module_no, state, due, reps,
                    created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, now())
                ON CONFLICT DO NOTHING
                """,
                c.learner,
                c.course,
                c.source.token,
                c.module,
                c.state,
                c.due,
                c.reps,
            )
            return int(status.split()[-1])
        status = await self._pool.execute(
            """
            INSERT INTO review_cards (user_id, course_id, source, module_no, state, due, reps,
                created_at)
            SELECT u.*, now() FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[],
                $5::jsonb[], $6::timestamptz[], $7::int[]) AS u
            ON CONFLICT DO NOTHING
            """,
            [c.learner for c in cards],
            [c.course for c in cards],
            [c.source.token for c in cards],
            [c.module for c in cards],
            [c.state for c in cards],
            [c.due for c in cards],
            [c.reps for c in cards],
        )
        return int(status.split()[-1])

    async def apply_review(self, review: Review) -> Applied:
        """One statement: the card is locked and its version compared; only then does the
        log line go in (its key unique, so a second answer under it is a no-op) and, when
        it did, the card move. Two answers racing are serialised by the card's lock: the
        second finds the version moved (STALE) or its key logged (REPEATED)."""
        before, after = review.before, review.after
        duration = (
            None if review.duration is None else max(0, int(review.duration.total_seconds() * 1000))
        )
        row = await self._pool.fetchrow(
            """
            WITH card AS (
                SELECT reps FROM review_cards
                WHERE user_id = $2 AND course_id = $3 AND source = $4 FOR UPDATE
            ), logged AS (
                INSERT INTO review_log (idempotency_key, user_id, course_id, source, rating,
                    is_right, was_new, duration_ms, fsrs_log, reviewed_at)
                SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
                WHERE EXISTS (SELECT 1 FROM card WHERE reps = $11)
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING 1
            ), moved AS (
                UPDATE review_cards SET state = $12, due = $13, reps = $14
                WHERE user_id = $2 AND course_id = $3 AND source = $4
                    AND EXISTS (SELECT 1 FROM logged)
                RETURNING 1
            )
            SELECT (SELECT reps FROM card) AS reps,
                EXISTS (SELECT 1 FROM moved) AS moved,
                EXISTS (SELECT 1 FROM review_log WHERE idempotency_key = $1) AS known
            """,
            review.idempotency_key,
            before.learner,
            before.course,
            before.source.token,
            review.rating.value,
            review.right,
            review.was_new,
            duration,
            review.log,
            review.at,
            before.reps,
            after.state,
            after.due,
            after.reps,
        )
        if row["moved"]:
            return Applied.APPLIED
        if row["known"]:
            return Applied.REPEATED
        if row["reps"] is None:
            return Applied.GONE
        return Applied.STALE

    async def postpone(self, key: CardKey, seen_due: datetime, due: datetime) -> bool:
        status = await self._pool.execute(
            "UPDATE review_cards SET due = $5 "
            "WHERE user_id = $1 AND course_id = $2 AND source = $3 AND due = $4",
            key.learner,
            key.course,
            key.source.token,
            seen_due,
            due,
        )
        return status.endswith(" 1")

    # -- Asks -------------------------------------------------------------------------------

    async def unlocked(self, learner: int) -> frozenset[ModuleKey]:
        rows = await self._pool.fetch(_OPEN, learner)
        return frozenset(ModuleKey(r["course_id"], r["module_no"]) for r in rows)

    async def record_ask(self, ask: NewAsk) -> None:
        await self._pool.execute(
            """
            INSERT INTO review_asks (id, poll_id, bot_id, user_id, chat_id, message_id,
                course_id, source, options, asked_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            ask.id,
            ask.poll_id,
            ask.bot_id,
            ask.key.learner,
            ask.chat_id,
            ask.message_id,
            ask.key.course,
            ask.key.source.token,
            ask.options,
            ask.asked_at,
        )

    async def ask(self, ask_id: int) -> Ask | None:
        row = await self._pool.fetchrow(f"{_ASK} WHERE a.id = $1", ask_id)
        return _ask(row) if row else None

    async def ask_by_poll(self, poll_id: str) -> Ask | None:
        row = await self._pool.fetchrow(f"{_ASK} WHERE a.poll_id = $1", poll_id)
        return _ask(row) if row else None
