"""Certificates on the real database: issued once per learner and course even when two
completions race, with the chosen name or the fallback and a score summary; revoked ones
found as revoked and a new one possible after a revocation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from domain.certificates import new_code
from storage.certificates import PgCertificateStore
from tests.support.courses import TINY_PACK, import_pack

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def course(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    for user_id in (41, 42):
        await pool.execute("INSERT INTO users (id, first_name) VALUES ($1, 'L')", user_id)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def test_two_racing_completions_issue_one_certificate(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgCertificateStore(pool)
    issued = await asyncio.gather(
        *(store.issue(41, course, new_code(), "Ada", AT) for _ in range(8))
    )
    [certificate] = [c for c in issued if c is not None]
    assert certificate.holder_name == "Ada" and certificate.course_name == "Tea basics"
    assert certificate.score == "2 modules, every topic completed"
    assert await pool.fetchval("SELECT count(*) FROM certificates") == 1
    assert await store.issue(41, course, new_code(), "Ada", AT) is None
    assert await store.mine(41) == [certificate]
    assert await store.mine(42) == []


async def test_the_chosen_name_and_the_quiz_scores_are_written_at_issue(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgCertificateStore(pool)
    await store.set_name(42, "Zoë Łukasiewicz-Ødegård", AT)
    await store.set_name(42, "王小明", AT + timedelta(minutes=1))
    assert await store.chosen_name(42) == "王小明"
    await pool.execute(
        "INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at, quiz_passed, "
        "best_score) VALUES (42, $1, 1, $2, true, 100), (42, $1, 2, $2, true, 75)",
        course,
        AT,
    )
    issued = await store.issue(42, course, new_code(), "Telegram Name", AT)
    assert issued is not None and issued.holder_name == "王小明"
    assert issued.score == "2 modules, 2 quizzes passed, average best score 88%"
    await store.set_name(42, "Later", AT + timedelta(days=1))
    found = await store.find(issued.code)
    assert found is not None and found.holder_name == "王小明", "an issued name stays"


async def test_a_revoked_certificate_is_found_revoked_and_a_new_one_may_follow(
    pool: asyncpg.Pool, course: UUID
) -> None:
    store = PgCertificateStore(pool)
    first = await store.issue(41, course, new_code(), "Ada", AT)
    assert first is not None
    assert await store.revoke("x" * 16, "no such", AT) is None
    revoked = await store.revoke(first.code, "copied", AT + timedelta(hours=1))
    assert revoked is not None and revoked.revoked and revoked.revoked_reason == "copied"
    assert await store.revoke(first.code, "again", AT) is None, "revoked once"
    second = await store.issue(41, course, new_code(), "Ada", AT + timedelta(hours=2))
    assert second is not None and second.code != first.code
    assert [c.code for c in await store.mine(41)] == [second.code, first.code]
    found = await store.find(first.code)
    assert found is not None and found.revoked_at == AT + timedelta(hours=1)
