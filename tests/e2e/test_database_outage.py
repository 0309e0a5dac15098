"""The database goes away under load and comes back: Telegram is told to retry (503)
meanwhile, updates already stored are retried instead of apologised for, and once it is
back everything acknowledged is processed, once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.emulator import BotApiEmulator
from storage.database import create_pool
from storage.embedded import EmbeddedPostgres
from storage.migrations import migrate
from tests.conftest import TOKEN
from tests.support.courses import TINY_PACK, import_pack
from tests.support.replicas import (
    Progress,
    Replicas,
    Telegram,
    replica_env,
    scripted_chats,
    wait_until_all_processed,
)

LEARNERS = 50
OUTAGE_SECONDS = 3.0


def learner_script(user_id: int) -> list[str]:
    def question(n: int) -> str:
        return f"Question {n} from learner {user_id}: what is oolong?"

    return [
        "/start tiny",
        "/timezone Europe/Berlin",
        question(1),
        question(2),
        "/progress",
        question(3),
        "/timezone Asia/Tokyo",
        question(4),
    ]


@pytest.fixture
async def own_postgres(tmp_path: Path) -> AsyncIterator[EmbeddedPostgres]:
    """A server of this test's own: stopping the shared one would stop every other test."""
    server = EmbeddedPostgres(tmp_path / "outage")
    url = await server.start()
    await migrate(url)
    yield server
    await server.stop()


async def test_a_database_outage_under_load_loses_nothing(
    own_postgres: EmbeddedPostgres, emulator: BotApiEmulator, replicas: Replicas
) -> None:
    pool = await create_pool(own_postgres.url, max_size=2)
    await import_pack(pool, TINY_PACK)
    await pool.close()
    bot = replicas.make("bot", replica_env(own_postgres.url, emulator.base_url, TOKEN))
    await bot.start()
    conversations = scripted_chats(emulator, range(2001, 2001 + LEARNERS), learner_script)
    total = sum(len(c) for c in conversations.values())
    acknowledged = Progress()
    readiness_during_outage: list[int] = []

    async with Telegram([bot]) as telegram:

        async def converse(conversation: list[dict[str, Any]]) -> None:
            for update in conversation:
                await telegram.deliver(update)
                await acknowledged.add()

        async def outage() -> None:
            await acknowledged.reached(total * 0.3)
            await own_postgres.halt()
            async with aiohttp.ClientSession() as session:
                for _ in range(3):
                    async with session.get(f"{bot.url}/readyz") as response:
                        readiness_during_outage.append(response.status)
                    await asyncio.sleep(OUTAGE_SECONDS / 3)
            await own_postgres.resume()

        await asyncio.gather(outage(), *(converse(c) for c in conversations.values()))

    pool = await create_pool(own_postgres.url, max_size=2)
    try:
        await wait_until_all_processed(pool, total)
        inbox = await pool.fetch("SELECT attempts, failed FROM update_inbox")
        users = await pool.fetch("SELECT id, timezone FROM users")
        usage = await pool.fetch("SELECT user_id, typed_count FROM module_prompt_usage")
        said = await pool.fetch(
            "SELECT t.user_id, count(*) AS n FROM ai_mentor_threads t "
            "JOIN ai_mentor_thread_messages m ON m.thread_id = t.id GROUP BY t.user_id"
        )
    finally:
        await pool.close()
    assert await bot.stop() == 0, bot.log.read_text()[-3000:]

    print(
        f"\n{total} updates, database down {OUTAGE_SECONDS:.0f} s: {telegram.refused} posts "
        f"answered 503 and retried, {sum(r['attempts'] > 1 for r in inbox)} stored updates "
        f"retried after the database came back"
    )
    assert telegram.refused > 0, "the webhook said 503 while the database was away"
    assert set(readiness_during_outage) == {503}
    assert len(inbox) == total and not any(r["failed"] for r in inbox)
    assert {tz for _, tz in users} == {"Asia/Tokyo"} and len(users) == LEARNERS
    assert sorted(n for _, n in usage) == [4] * LEARNERS, "each question counted once"
    assert sorted(n for _, n in said) == [8] * LEARNERS, "each exchange stored once"
