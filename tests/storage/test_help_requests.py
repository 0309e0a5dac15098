"""Requests for a human tutor on the real database: written once per update, claimed by
one tutor, escalated once whichever replica sweeps, and counted in the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from domain.help_requests import Side, Status
from storage.help_requests import PgHelpStore
from storage.learning import PgLearningStore
from tests.support.courses import TINY_PACK, import_pack

ADA, TOM, OLGA = 42, 50, 51
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DAY = AT.replace(hour=0)


@pytest.fixture
async def course(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    course_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    for user_id, name, role in [
        (ADA, "Ada", "learner"),
        (TOM, "Tom", "tutor"),
        (OLGA, "Olga", "tutor"),
    ]:
        await pool.execute(
            "INSERT INTO users (id, first_name, role) VALUES ($1, $2, $3)", user_id, name, role
        )
    await PgLearningStore(pool).ensure_enrollment(ADA, course_id)
    await pool.execute(
        "INSERT INTO course_tutors (course_id, user_id) VALUES ($1, $2)", course_id, TOM
    )
    return course_id


async def test_a_request_is_made_once_per_update_and_reads_back_whole(pool, course) -> None:
    store = PgHelpStore(pool, bot_id=7)
    asking = await store.asking(ADA, course, DAY, None)
    assert asking is not None
    assert (asking.course_name, asking.open_requests, asking.last_exchange) == (
        "Tea basics",
        0,
        None,
    )
    assert asking.progress.topics == 4 and asking.progress.module_reached == 1

    first = await store.create(asking, "Why?", (1, 1), None, AT, 1001)
    again = await store.create(asking, "Why?", (1, 1), None, AT, 1001)
    assert first.id == again.id
    assert (first.status, first.topic_title, first.learner_name) == (
        Status.OPEN,
        "The tea plant",
        "Ada",
    )
    # The update that made it does not count against the limits when it comes again.
    assert (await store.asking(ADA, course, DAY, 1001)).open_requests == 0
    assert (await store.asking(ADA, course, DAY, None)).open_requests == 1
    assert await store.tutors(course) == [TOM]


async def test_one_tutor_claims_and_a_first_answer_is_stamped_once(pool, course) -> None:
    store = PgHelpStore(pool, bot_id=7)
    asking = await store.asking(ADA, course, DAY, None)
    request = await store.create(asking, "Why?", None, None, AT, None)

    claimed = await store.claim(request.id, TOM, AT)
    lost = await store.claim(request.id, OLGA, AT + timedelta(seconds=1))
    assert claimed.claimed_by == TOM and lost.claimed_by == TOM
    assert lost.claimer_name == "Tom"

    later = AT + timedelta(hours=2)
    after, new = await store.add_message(
        request, TOM, Side.TUTOR, "Because.", None, False, later, 5
    )
    _, repeated = await store.add_message(
        request, TOM, Side.TUTOR, "Because.", None, False, later, 5
    )
    assert (new, repeated) == (True, False)
    assert after.first_response_at == later
    assert await pool.fetchval("SELECT count(*) FROM help_messages") == 1

    figures = await store.figures(frozenset({course}), None)
    assert (figures.asked, figures.open, figures.first_response_p50) == (1, 1, timedelta(hours=2))


async def test_an_unanswered_request_is_escalated_once(pool, course) -> None:
    store = PgHelpStore(pool, bot_id=7)
    other_bot = PgHelpStore(pool, bot_id=8)
    asking = await store.asking(ADA, course, DAY, None)
    old = await store.create(asking, "Anyone?", None, None, AT - timedelta(hours=30), None)
    await store.create(asking, "Just now", None, None, AT, None)

    assert await other_bot.escalate(AT - timedelta(hours=24), AT, 10) == []
    escalated = await store.escalate(AT - timedelta(hours=24), AT, 10)
    assert [r.id for r in escalated] == [old.id]
    assert await store.escalate(AT - timedelta(hours=24), AT, 10) == []

    resolved = await store.resolve(old.id, Side.LEARNER, AT)
    assert resolved is not None and resolved.status is Status.RESOLVED
    assert await store.resolve(old.id, Side.LEARNER, AT) is None
    assert await store.rate(old.id, ADA, 4) is True
    figures = await store.figures(None, None)
    assert (figures.resolved, figures.escalated, figures.rating_average) == (1, 1, 4.0)


async def test_the_staff_group_is_one_per_bot(pool, course) -> None:
    store = PgHelpStore(pool, bot_id=7)
    assert await store.staff_group() is None
    assert await store.link_group(-1001, "Staff", TOM, AT) is None
    assert await store.link_group(-1002, "New staff", TOM, AT) == -1001
    assert await store.staff_group() == -1002
    assert await PgHelpStore(pool, bot_id=8).staff_group() is None
    assert await store.unlink_group(-1001) is False
    assert await store.unlink_group(-1002) is True
