"""Awaited text on the real database: one thing per private chat, beside the chat's place
and live quiz question, lapsing after half an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from domain.inputs import WAIT_FOR, InputService
from storage.inputs import PgInputStore
from tests.support.clock import FakeClock

ADA = 42
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def service(pool: asyncpg.Pool, clock: FakeClock) -> InputService:
    await pool.execute("INSERT INTO users (id, first_name) VALUES ($1, 'Ada')", ADA)
    return InputService(PgInputStore(pool), clock=clock)


async def test_the_next_message_answers_what_was_asked_until_it_is_answered(pool) -> None:
    inputs = await service(pool, FakeClock(AT))
    assert await inputs.pending(ADA) is None

    await inputs.expect(ADA, "apply_name", {"course": "tiny", "step": 1})
    pending = await inputs.pending(ADA)
    assert pending is not None
    assert (pending.kind, dict(pending.data), pending.since) == (
        "apply_name",
        {"course": "tiny", "step": 1},
        AT,
    )

    assert await inputs.clear(ADA, "apply_name") is True
    assert await inputs.pending(ADA) is None
    assert await inputs.clear(ADA) is False  # nothing left to cancel


async def test_a_newer_request_replaces_the_older_and_keeps_the_chats_other_state(pool) -> None:
    inputs = await service(pool, FakeClock(AT))
    await pool.execute(
        "INSERT INTO conversation_state (chat_id, user_id, data) "
        'VALUES ($1, $1, \'{"live_question": {"index": 3}}\')',
        ADA,
    )
    await inputs.expect(ADA, "apply_name")
    await inputs.expect(ADA, "ask_tutor", {"course": "tiny"})

    pending = await inputs.pending(ADA)
    assert pending is not None and pending.kind == "ask_tutor"
    # Finishing a step that was replaced meanwhile leaves the newer one alone.
    assert await inputs.clear(ADA, "apply_name") is False
    assert (await inputs.pending(ADA)).kind == "ask_tutor"
    await inputs.clear(ADA)
    data = await pool.fetchval("SELECT data FROM conversation_state WHERE chat_id = $1", ADA)
    assert data == {"live_question": {"index": 3}}


async def test_what_was_asked_lapses_after_half_an_hour(pool) -> None:
    clock = FakeClock(AT)
    inputs = await service(pool, clock)
    await inputs.expect(ADA, "apply_name")
    clock.now = AT + WAIT_FOR
    assert await inputs.pending(ADA) is not None
    clock.now = AT + WAIT_FOR + timedelta(seconds=1)
    assert await inputs.pending(ADA) is None
