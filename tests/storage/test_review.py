"""The review store on the real database: cards ask what the course says now, never from a
locked module; an answer is applied once per key and only to the version it read; asks
find their learner."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from domain.review import rules
from domain.review.model import (
    Applied,
    CardKey,
    CardSource,
    DayCount,
    ModuleKey,
    NewAsk,
    Rating,
    Review,
    ReviewSettings,
    SourceKind,
)
from storage.learning import PgLearningStore
from storage.review import PgReviewStore
from tests.support.courses import TINY_PACK, editable_copy, import_pack

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LEARNER, OTHER = 42, 43


@pytest.fixture
async def course(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    course_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    for user_id in (LEARNER, OTHER):
        await pool.execute("INSERT INTO users (id, first_name) VALUES ($1, 'L')", user_id)
        await PgLearningStore(pool).ensure_enrollment(user_id, course_id)  # module 1 open
    return course_id


async def quiz_key(pool: asyncpg.Pool, course: UUID, module: int) -> str:
    return await pool.fetchval(
        "SELECT key FROM quiz_questions WHERE course_id = $1 AND module_no = $2 "
        "ORDER BY position LIMIT 1",
        course,
        module,
    )


def card(learner: int, course: UUID, kind: SourceKind, key: str, module: int, due=AT):
    return rules.new_card(CardKey(learner, course, CardSource(kind, key)), module, due)


async def test_the_authors_cards_are_imported_and_follow_the_pack(
    pool: asyncpg.Pool, course: UUID, tmp_path
) -> None:
    store = PgReviewStore(pool)
    everything = frozenset({ModuleKey(course, 1), ModuleKey(course, 2)})
    found = await store.missing_author_cards(LEARNER, everything)
    cards = [c for _, c in found]
    assert {c for c, _ in found} == {course}
    assert [(c.key, c.module, c.topic) for c in cards] == [
        ("tea-plant", 1, 1),
        ("oxidation", 1, 2),
        ("steeping", 2, 2),
    ]
    assert cards[0].prompt.options == ("Camellia sinensis", "Chamomile", "Peppermint")
    assert cards[0].prompt.correct == {0}
    only_1 = frozenset({ModuleKey(course, 1)})
    assert [c.key for _, c in await store.missing_author_cards(LEARNER, only_1)] == [
        "tea-plant",
        "oxidation",
    ]
    await store.add_cards([card(LEARNER, course, SourceKind.AUTHOR, "tea-plant", 1)])
    assert [c.key for _, c in await store.missing_author_cards(LEARNER, only_1)] == ["oxidation"]
    assert len(await store.missing_author_cards(OTHER, only_1)) == 2, "each learner's own deck"

    pack = editable_copy(TINY_PACK, tmp_path)
    topic = pack / "modules" / "01-kinds-of-tea" / "01-the-tea-plant.md"
    text = topic.read_text().replace("Which plant gives us", "Which single plant gives us")
    topic.write_text(text)
    second = pack / "modules" / "01-kinds-of-tea" / "02-green-oolong-and-black.md"
    _, body = second.read_text().split("\n---\n", 1)
    second.write_text("---\ntitle: Green, oolong and black tea\n---\n" + body)
    await import_pack(pool, pack)
    cards = [c for _, c in await store.missing_author_cards(OTHER, everything)]
    assert [c.key for c in cards] == ["tea-plant", "steeping"], "a dropped card is gone"
    assert cards[0].prompt.question.startswith("Which single plant"), "reworded in place"


async def test_due_cards_come_with_their_prompt_and_never_from_a_locked_module(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgReviewStore(pool)
    q1 = await quiz_key(pool, course, 1)
    added = await store.add_cards(
        [
            card(LEARNER, course, SourceKind.QUIZ, q1, 1),
            card(LEARNER, course, SourceKind.AUTHOR, "steeping", 2),
            card(LEARNER, course, SourceKind.AUTHOR, "tea-plant", 1, due=AT + timedelta(days=1)),
        ]
    )
    assert added == 3
    assert await store.add_cards([card(LEARNER, course, SourceKind.QUIZ, q1, 1)]) == 0

    unlocked = await store.unlocked(LEARNER)
    assert unlocked == {ModuleKey(course, 1)}
    today = await store.due_today(LEARNER, unlocked, AT, AT, new_limit=10, review_limit=10)
    due = today.cards
    assert [d.card.source.token for d in due] == [f"quiz:{q1}"]
    assert due[0].prompt.question == "Which plant do green and black tea both come from?"
    assert due[0].prompt.correct == {0}
    assert today.next_due == AT + timedelta(days=1), "tomorrow's card of module 1"
    assert today.answered == DayCount()
    # Module 2's card is there only when module 2 is asked for.
    both = unlocked | {ModuleKey(course, 2)}
    today = await store.due_today(LEARNER, both, AT, AT, new_limit=10, review_limit=10)
    assert {d.card.source.key for d in today.cards} == {q1, "steeping"}
    other = await store.due_today(OTHER, both, AT, AT, new_limit=10, review_limit=10)
    assert other.cards == [] and other.next_due is None


async def test_a_suspended_learner_or_an_unpublished_course_has_nothing_unlocked(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgReviewStore(pool)
    await pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = $1", LEARNER)
    assert await store.unlocked(LEARNER) == frozenset()
    await pool.execute("UPDATE courses SET is_published = false WHERE id = $1", course)
    assert await store.unlocked(OTHER) == frozenset()


async def test_a_retired_question_is_no_longer_asked(pool: asyncpg.Pool, course: UUID) -> None:
    store = PgReviewStore(pool)
    q1 = await quiz_key(pool, course, 1)
    await store.add_cards([card(LEARNER, course, SourceKind.QUIZ, q1, 1)])
    await pool.execute("UPDATE quiz_questions SET is_active = false WHERE key = $1", q1)
    unlocked = await store.unlocked(LEARNER)
    today = await store.due_today(LEARNER, unlocked, AT, AT, new_limit=5, review_limit=5)
    assert today.cards == []
    assert await store.card(CardKey(LEARNER, course, CardSource(SourceKind.QUIZ, q1))) is None


async def test_caps_split_new_cards_from_reviews(pool: asyncpg.Pool, course: UUID) -> None:
    store = PgReviewStore(pool)
    new = card(LEARNER, course, SourceKind.AUTHOR, "tea-plant", 1)
    old = card(LEARNER, course, SourceKind.AUTHOR, "oxidation", 1)
    await store.add_cards([new, old])
    engine = rules.scheduler(ReviewSettings(fuzz=False))
    after, log = rules.reviewed(old, Rating.AGAIN, AT, engine)
    review = Review(old, after, Rating.AGAIN, False, AT, None, "k1", log)
    assert await store.apply_review(review) is Applied.APPLIED
    later = AT + timedelta(days=1)
    unlocked = await store.unlocked(LEARNER)
    reviews = await store.due_today(LEARNER, unlocked, later, AT, new_limit=0, review_limit=5)
    assert [d.card.source.key for d in reviews.cards] == ["oxidation"]
    assert reviews.answered == DayCount(new=1, reviews=0)
    new_ones = await store.due_today(
        LEARNER, unlocked, later, AT + timedelta(seconds=1), new_limit=5, review_limit=0
    )
    assert [d.card.source.key for d in new_ones.cards] == ["tea-plant"]
    assert new_ones.answered == DayCount(), "answered before `since`"


async def test_an_answer_applies_once_and_only_to_the_version_it_read(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgReviewStore(pool)
    fresh = card(LEARNER, course, SourceKind.AUTHOR, "tea-plant", 1)
    await store.add_cards([fresh])
    engine = rules.scheduler(ReviewSettings(fuzz=False))
    after, log = rules.reviewed(fresh, Rating.GOOD, AT, engine)
    review = Review(fresh, after, Rating.GOOD, True, AT, timedelta(seconds=7), "ask:1", log)

    assert await store.apply_review(review) is Applied.APPLIED
    assert await store.apply_review(review) is Applied.REPEATED
    other_key = replace(review, idempotency_key="ask:2")
    assert await store.apply_review(other_key) is Applied.STALE, "read before the first"
    stored = await store.card(fresh.key)
    assert stored is not None and stored.card.reps == 1 and stored.card.due == after.due
    assert await pool.fetchval("SELECT count(*) FROM review_log") == 1
    assert await pool.fetchval("SELECT duration_ms FROM review_log") == 7000

    gone = replace(review, before=replace(fresh, source=CardSource(SourceKind.AUTHOR, "x")))
    assert await store.apply_review(replace(gone, idempotency_key="ask:3")) is Applied.GONE


async def test_two_answers_racing_apply_one(pool: asyncpg.Pool, course: UUID) -> None:
    store = PgReviewStore(pool)
    fresh = card(LEARNER, course, SourceKind.AUTHOR, "tea-plant", 1)
    await store.add_cards([fresh])
    engine = rules.scheduler(ReviewSettings(fuzz=False))
    after, log = rules.reviewed(fresh, Rating.GOOD, AT, engine)
    reviews = [Review(fresh, after, Rating.GOOD, True, AT, None, f"ask:{i}", log) for i in (1, 2)]
    results = await asyncio.gather(*(store.apply_review(r) for r in reviews))
    assert sorted(results) == sorted([Applied.APPLIED, Applied.STALE])
    assert await pool.fetchval("SELECT count(*) FROM review_log") == 1


async def test_later_moves_only_the_due_it_saw(pool: asyncpg.Pool, course: UUID) -> None:
    store = PgReviewStore(pool)
    fresh = card(LEARNER, course, SourceKind.AUTHOR, "tea-plant", 1)
    await store.add_cards([fresh])
    moved = AT + timedelta(hours=1)
    assert await store.postpone(fresh.key, fresh.due, moved)
    assert not await store.postpone(fresh.key, fresh.due, moved + timedelta(hours=1))
    stored = await store.card(fresh.key)
    assert stored is not None and stored.card.due == moved
    assert stored.card.state == fresh.state, "memory untouched"


async def test_an_ask_is_found_by_its_poll_and_knows_when_it_was_answered(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgReviewStore(pool)
    fresh = card(LEARNER, course, SourceKind.AUTHOR, "tea-plant", 1)
    await store.add_cards([fresh])
    first = rules.new_ask_id()
    await store.record_ask(NewAsk(first, fresh.key, 1, LEARNER, 3, AT, 10, "poll-1"))
    ask = await store.ask_by_poll("poll-1")
    assert ask is not None and ask.id == first and ask.key == fresh.key
    assert (ask.options, ask.asked_at, ask.message_id) == (3, AT, 10)
    assert not ask.answered and not ask.superseded
    assert ask.card is not None and ask.card.card.key == fresh.key
    assert ask.card.prompt.question == "Which plant gives us green, oolong and black tea?"
    assert await store.ask_by_poll("poll-x") is None

    engine = rules.scheduler(ReviewSettings(fuzz=False))
    after, log = rules.reviewed(fresh, Rating.GOOD, AT, engine)
    await store.apply_review(
        Review(fresh, after, Rating.GOOD, True, AT, None, ask.idempotency_key, log)
    )
    second = rules.new_ask_id()
    await store.record_ask(NewAsk(second, fresh.key, 1, LEARNER, 3, AT, 11))
    ask = await store.ask(first)
    assert ask is not None and ask.answered and ask.superseded
    assert ask.card is not None and ask.card.card.reps == 1, "the card as it stands now"
    latest = await store.ask(second)
    assert latest is not None and latest.poll_id is None and not latest.superseded

    await pool.execute("DELETE FROM review_author_cards WHERE key = 'tea-plant'")
    gone = await store.ask(second)
    assert gone is not None and gone.card is None, "its question left the course"
