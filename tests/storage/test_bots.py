"""Rows from before bots were told apart (migration 0013) belong to nobody until the
deployment's bot adopts them at start; then it goes on exactly where it was."""

from __future__ import annotations

import asyncpg

from storage.bots import adopt_unowned
from storage.inbox import Incoming, PgInboxStore
from tests.conftest import BOT_ID


def update(update_id: int, chat: int = 42) -> Incoming:
    return Incoming(update_id, chat, "message", {"update_id": update_id})


async def test_rows_from_before_0013_wait_for_the_real_bot_and_are_then_its_own(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute(
        """
        INSERT INTO update_inbox (bot_id, update_id, chat_key, kind, payload, processed_at)
        VALUES (0, 1, 42, 'message', '{}', now()), (0, 2, 42, 'message', '{}', NULL);
        INSERT INTO users (id, first_name) VALUES (42, 'Ada');
        INSERT INTO broadcasts (bot_id, actor_id, audience, text, status)
        VALUES (0, 1, 'all', 'hello', 'sending');
        """
    )
    inbox = PgInboxStore(pool, BOT_ID)
    assert await inbox.claim("w", 10, 60) == [], "nobody's yet"

    adopted = await adopt_unowned(pool, BOT_ID)

    assert adopted == {"update_inbox": 2, "broadcasts": 1, "users": 1}
    assert (await inbox.receive(update(1), "w", 60)).duplicate, "a re-delivery is still known"
    [waiting] = await inbox.claim("w", 10, 60)
    assert waiting.update_id == 2
    assert await pool.fetchval("SELECT bot_id FROM users WHERE id = 42") == BOT_ID
    assert await adopt_unowned(pool, BOT_ID + 1) == {}, "adopted once, by the first bot"
