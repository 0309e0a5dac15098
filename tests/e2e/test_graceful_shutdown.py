"""SIGTERM in the middle of work: the replica stops taking updates, finishes what it can
within the grace period, hands back the rest at once (no lease to wait out), and the next
start processes everything that was acknowledged."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.emulator import BotApiEmulator
from tests.conftest import TOKEN
from tests.support.courses import TINY_PACK, import_pack
from tests.support.replicas import (
    Replicas,
    Telegram,
    replica_env,
    scripted_chats,
    wait_until_all_processed,
)

LEARNERS = 40


async def test_sigterm_under_load_hands_back_unfinished_updates_for_the_next_start(
    emulator: BotApiEmulator, pool: asyncpg.Pool, db_url: str, replicas: Replicas
) -> None:
    await import_pack(pool, TINY_PACK)
    env = replica_env(
        db_url, emulator.base_url, TOKEN, INBOX_LEASE_SECONDS="600", SHUTDOWN_GRACE_SECONDS="0.3"
    )
    bot = replicas.make("bot", env)
    await bot.start()
    script = ["/start tiny", "What is tea?", "/progress", "How is tea dried?"]
    chats = list(scripted_chats(emulator, range(3001, 3001 + LEARNERS), lambda _: script).values())
    updates = [update for chat in chats for update in chat]

    async with Telegram([bot]) as telegram:

        async def converse(chat: list[dict]) -> None:
            for update in chat:  # Telegram sends a chat's updates one after another
                await telegram.deliver(update)

        await asyncio.gather(*(converse(chat) for chat in chats))
    assert await bot.stop() == 0, bot.log.read_text()[-3000:]
    left = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE processed_at IS NULL) AS waiting, "
        "count(*) FILTER (WHERE processed_at IS NULL AND claimed_by IS NOT NULL) AS held "
        "FROM update_inbox"
    )

    await bot.start()  # the lease is 10 minutes: only handed-back updates can be taken now
    await wait_until_all_processed(pool, len(updates))
    assert await bot.stop() == 0

    print(f"\nSIGTERM with {left['waiting']} of {len(updates)} acknowledged updates unfinished")
    assert left["held"] == 0, "nothing is left claimed by the stopped replica"
    assert await pool.fetchval("SELECT count(*) FROM update_inbox") == len(updates)
    usage = await pool.fetch("SELECT typed_count FROM module_prompt_usage")
    assert [r["typed_count"] for r in usage] == [2] * LEARNERS
