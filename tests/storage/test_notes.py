"""Notes and bookmarks on the real database: once per message, only on open topics, each
learner's own, and a note outlives its topic."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import pytest

from storage.learning import PgLearningStore
from storage.notes import PgNoteStore
from tests.support.courses import TINY_PACK, import_pack

CHAT = 4242
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def course(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    course_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    learning = PgLearningStore(pool)
    for user_id in (42, 43):
        await pool.execute("INSERT INTO users (id, first_name) VALUES ($1, 'L')", user_id)
        await learning.ensure_enrollment(user_id, course_id)  # module 1 unlocked
    return course_id


async def reading(pool: asyncpg.Pool, user_id: int, course: UUID, module: int, topic: int):
    topic_id = await pool.fetchval(
        "SELECT id FROM topics WHERE course_id = $1 AND module_no = $2 AND topic_number = $3",
        course,
        module,
        topic,
    )
    await PgLearningStore(pool).record_visit(user_id, topic_id, user_id, 0)
    return topic_id


async def test_the_chat_topic_is_the_one_open_and_only_while_it_may_be_opened(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgNoteStore(pool)
    assert await store.chat_topic(42, 42) is None
    await reading(pool, 42, course, 1, 1)
    topic = await store.chat_topic(42, 42)
    assert topic is not None and (topic.module_no, topic.topic_number) == (1, 1)
    assert await store.chat_topic(43, 42) is None, "another learner's chat is not theirs"
    await pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 42")
    assert await store.chat_topic(42, 42) is None


async def test_a_locked_module_has_no_topic_to_note(pool: asyncpg.Pool, course: UUID) -> None:
    store = PgNoteStore(pool)
    assert await store.open_topic(42, course, 1, 1) is not None
    assert await store.open_topic(42, course, 2, 1) is None


async def test_a_message_makes_one_note_however_often_it_comes(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgNoteStore(pool)
    await reading(pool, 42, course, 1, 1)
    topic = await store.chat_topic(42, 42)
    assert topic is not None
    first = await store.add(42, topic, "steep longer", (CHAT, 7), AT)
    again = await store.add(42, topic, "steep longer", (CHAT, 7), AT)
    assert first is not None and again == first
    assert await pool.fetchval("SELECT count(*) FROM notes") == 1


async def test_the_cap_refuses_a_note_beyond_it(pool: asyncpg.Pool, course: UUID) -> None:
    store = PgNoteStore(pool, cap=2)
    await reading(pool, 42, course, 1, 1)
    topic = await store.chat_topic(42, 42)
    assert topic is not None
    assert await store.add(42, topic, "a", (CHAT, 1), AT) is not None
    assert await store.add(42, topic, "b", (CHAT, 2), AT) is not None
    assert await store.add(42, topic, "c", (CHAT, 3), AT) is None
    assert await store.add(42, topic, "a", (CHAT, 1), AT) is not None, "a re-delivery still"


async def test_finding_matches_every_word_literally_and_only_the_learners_own(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgNoteStore(pool)
    await reading(pool, 42, course, 1, 1)
    await reading(pool, 43, course, 1, 1)
    mine, theirs = await store.chat_topic(42, 42), await store.chat_topic(43, 43)
    assert mine is not None and theirs is not None
    await store.add(42, mine, "Green tea: 80°C, 100% leaves", (1, 1), AT)
    await store.add(42, mine, "Black tea_boils", (1, 2), AT)
    await store.add(43, theirs, "green tea too", (2, 1), AT)

    assert (await store.find(42, ["green", "tea"], None, 10)).total == 1
    assert (await store.find(42, ["tea"], None, 10)).total == 2
    assert (await store.find(42, ["100%"], None, 10)).total == 1
    assert (await store.find(42, ["%"], None, 10)).total == 1, "% is a character, not a pattern"
    assert (await store.find(42, ["a_b"], None, 10)).total == 1
    assert (await store.find(42, ["k_t"], None, 10)).total == 0, "_ is a character too"
    page = await store.find(42, [], None, 1)
    assert page.total == 2 and [n.body for n in page.notes] == ["Black tea_boils"]


async def test_a_learner_deletes_only_their_own_notes(pool: asyncpg.Pool, course: UUID) -> None:
    store = PgNoteStore(pool)
    await reading(pool, 43, course, 1, 1)
    theirs = await store.chat_topic(43, 43)
    assert theirs is not None
    note = await store.add(43, theirs, "mine", (1, 1), AT)
    assert note is not None
    assert await store.delete(42, note.id) is None
    deleted = await store.delete(43, note.id)
    assert deleted is not None and deleted.topic_number == 1
    assert await store.delete(43, note.id) is None


async def test_a_bookmark_toggles_and_goes_with_its_topic_while_a_note_stays(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgNoteStore(pool)
    topic_id = await reading(pool, 42, course, 1, 1)
    topic = await store.chat_topic(42, 42)
    assert topic is not None
    assert await store.toggle_bookmark(42, topic_id, AT) is True
    assert [b.title for b in await store.bookmarks(42)] == [topic.title]
    assert await store.toggle_bookmark(42, topic_id, AT) is False
    assert await store.bookmarks(42) == []

    await store.toggle_bookmark(42, topic_id, AT)
    await store.add(42, topic, "keep this", (1, 1), AT)
    await pool.execute("DELETE FROM topics WHERE id = $1", topic_id)
    assert await store.bookmarks(42) == []
    [kept] = (await store.find(42, [], None, 10)).notes
    assert kept.body == "keep this" and kept.topic.topic_id is None
    assert (kept.topic.module_no, kept.topic.title) == (1, topic.title)
