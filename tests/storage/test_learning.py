"""The learner's state read together with the write a topic screen makes (a visit, a
completion): one round trip, and the write lands only where the learning rules let the
learner be: enrolled, not suspended, in an unlocked module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from domain.learning.model import TopicRecord
from domain.personas import Persona
from storage.learning import PgLearningStore
from tests.support.courses import TINY_PACK, import_as, import_pack

CHAT = 4242
AT = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


@dataclass
class Tiny:
    pool: asyncpg.Pool
    store: PgLearningStore
    course_id: UUID

    async def learner(self, user_id: int, *, enrolled: bool = True) -> None:
        await self.pool.execute("INSERT INTO users (id, first_name) VALUES ($1, 'Ada')", user_id)
        if enrolled:
            await self.store.ensure_enrollment(user_id, self.course_id)  # module 1 unlocked

    async def topic(self, module_no: int, number: int) -> TopicRecord:
        topic = await self.store.topic(self.course_id, module_no, number)
        assert topic is not None
        return topic

    async def written(self, user_id: int) -> tuple[list[asyncpg.Record], asyncpg.Record | None]:
        progress = await self.pool.fetch(
            "SELECT topic_id, last_position, is_completed FROM topic_progress WHERE user_id = $1",
            user_id,
        )
        chat = await self.pool.fetchrow(
            "SELECT topic_id FROM conversation_state WHERE chat_id = $1", CHAT
        )
        return list(progress), chat


@pytest.fixture
async def tiny(pool: asyncpg.Pool) -> Tiny:
    await import_pack(pool, TINY_PACK)
    course_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    return Tiny(pool, PgLearningStore(pool), course_id)


async def test_a_visit_is_recorded_with_the_state_it_was_read_with(tiny: Tiny) -> None:
    await tiny.learner(42)
    topic = await tiny.topic(1, 2)

    state = await tiny.store.visit_topic(42, CHAT, tiny.course_id, topic, 3)

    assert state is not None and [m.number for m in state.marks] == [1, 2]
    progress, chat = await tiny.written(42)
    assert [(r["topic_id"], r["last_position"]) for r in progress] == [(topic.id, 3)]
    assert chat is not None and chat["topic_id"] == topic.id


async def test_a_visit_to_a_locked_module_reads_the_state_and_writes_nothing(tiny: Tiny) -> None:
    await tiny.learner(42)

    state = await tiny.store.visit_topic(42, CHAT, tiny.course_id, await tiny.topic(2, 1), 0)

    assert state is not None and not state.modules[1].unlocked
    assert await tiny.written(42) == ([], None)


async def test_a_visit_by_someone_not_enrolled_or_suspended_writes_nothing(tiny: Tiny) -> None:
    await tiny.learner(42, enrolled=False)
    await tiny.learner(43)
    await tiny.pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 43")
    topic = await tiny.topic(1, 1)

    assert await tiny.store.visit_topic(42, CHAT, tiny.course_id, topic, 0) is None
    suspended = await tiny.store.visit_topic(43, CHAT, tiny.course_id, topic, 0)

    assert suspended is not None and suspended.enrollment.status == "suspended"
    assert await tiny.written(42) == ([], None)
    assert await tiny.written(43) == ([], None)


async def test_completing_reports_newly_once_and_the_state_from_before(tiny: Tiny) -> None:
    await tiny.learner(42)
    topic = await tiny.topic(1, 1)

    before, newly = await tiny.store.complete_and_read(42, tiny.course_id, topic, AT)
    later = AT + timedelta(hours=1)
    after, again = await tiny.store.complete_and_read(42, tiny.course_id, topic, later)

    assert (newly, again) == (True, False)
    assert before is not None and after is not None
    assert (before.modules[0].completed, after.modules[0].completed) == (0, 1)
    progress, _ = await tiny.written(42)
    assert [(r["topic_id"], r["is_completed"]) for r in progress] == [(topic.id, True)]
    stamped = await tiny.pool.fetchval("SELECT completed_at FROM topic_progress")
    assert stamped == AT, "completed at the time given, and only once"


async def test_completing_a_topic_of_a_locked_module_changes_nothing(tiny: Tiny) -> None:
    await tiny.learner(42)

    state, newly = await tiny.store.complete_and_read(
        42, tiny.course_id, await tiny.topic(2, 1), AT
    )

    assert state is not None and newly is False
    assert await tiny.written(42) == ([], None)


async def test_enrolling_is_one_statement_that_never_duplicates_or_revives_a_suspension(
    tiny: Tiny,
) -> None:
    await tiny.learner(42, enrolled=False)

    first = await tiny.store.ensure_enrollment(42, tiny.course_id)
    again = await tiny.store.ensure_enrollment(42, tiny.course_id)
    await tiny.pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 42")
    suspended = await tiny.store.ensure_enrollment(42, tiny.course_id)

    assert first is not None and again is not None and suspended is not None
    assert [first[0].value, again[0].value, suspended[0].value] == [
        "enrolled",
        "already",
        "suspended",
    ]
    assert first[1].course.id == tiny.course_id and suspended[1].status == "suspended"
    assert await tiny.pool.fetchval("SELECT count(*) FROM enrollments") == 1
    opened = await tiny.pool.fetch("SELECT module_no FROM module_progress WHERE user_id = 42")
    assert [r["module_no"] for r in opened] == [1]


async def test_no_enrollment_in_a_course_that_is_not_published(tiny: Tiny) -> None:
    await tiny.learner(42, enrolled=False)
    await tiny.pool.execute("UPDATE courses SET is_published = false")

    assert await tiny.store.ensure_enrollment(42, tiny.course_id) is None
    assert await tiny.pool.fetchval("SELECT count(*) FROM enrollments") == 0
    assert await tiny.pool.fetchval("SELECT count(*) FROM module_progress") == 0


async def test_a_persona_is_saved_with_the_state_read_back_showing_it(tiny: Tiny) -> None:
    await tiny.learner(42)

    state = await tiny.store.choose_persona(42, tiny.course_id, Persona.SPORTS)
    again = await tiny.store.choose_persona(42, tiny.course_id, Persona.SPORTS)

    assert state is not None and state.enrollment.persona is Persona.SPORTS
    assert again is not None and again.enrollment.persona is Persona.SPORTS
    assert again == await tiny.store.learner_course(42, tiny.course_id, None)


async def test_no_persona_is_saved_for_someone_not_enrolled_or_suspended(tiny: Tiny) -> None:
    await tiny.learner(42, enrolled=False)
    await tiny.learner(43)
    await tiny.pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 43")

    outsider = await tiny.store.choose_persona(42, tiny.course_id, Persona.SPORTS)
    suspended = await tiny.store.choose_persona(43, tiny.course_id, Persona.SPORTS)

    assert outsider is None
    assert suspended is not None and suspended.enrollment.persona is None
    assert await tiny.pool.fetchval("SELECT count(*) FROM topic_personalization") == 0


async def test_the_home_screen_reads_the_learners_courses_and_the_catalog_together(
    tiny: Tiny, tmp_path: Path
) -> None:
    await import_as(tiny.pool, TINY_PACK, tmp_path, "another", "Another tea course")
    another = await tiny.pool.fetchval("SELECT id FROM courses WHERE slug = 'another'")
    await tiny.learner(42)  # Tea basics first, then the other one
    await tiny.store.ensure_enrollment(42, another)
    await tiny.store.choose_persona(42, tiny.course_id, Persona.SPORTS)

    mine, catalog = await tiny.store.home(42)
    nothing_yet, same_catalog = await tiny.store.home(43)

    assert mine == await tiny.store.learner_courses(42)
    assert [s.enrollment.course.name for s in mine] == ["Tea basics", "Another tea course"]
    assert [state.enrollment.persona for state in mine] == [Persona.SPORTS, None]
    assert [course.name for course in catalog] == ["Another tea course", "Tea basics"]
    assert (nothing_yet, same_catalog) == ([], catalog)
