"""Two real bot processes behind the webhook, one PostgreSQL: nothing acknowledged is lost,
every update's effects land once, each chat's updates run in order — even when Telegram
delivers everything twice and one replica is killed mid-flight."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from telegram.ext import Application

from bot.emulator import BotApiEmulator
from bot.settings import Settings
from storage.database import create_pool
from storage.embedded import EmbeddedPostgres, create_database_if_missing, drop_database
from tests.conftest import TEMPLATE, TOKEN
from tests.support.app import deliver_to
from tests.support.courses import TINY_PACK, import_pack
from tests.support.replicas import (
    BotProcess,
    Progress,
    Replicas,
    Telegram,
    replica_env,
    scripted_chats,
    wait_until_all_processed,
)

LEARNERS = 200
QUOTA = 5  # the tiny course's typed questions per module


def learner_script(user_id: int) -> list[str]:
    """Ten steps: enroll by deep link, set a time zone, six questions (the sixth is over
    the quota), look at progress, change the time zone. Order matters for the outcome."""

    def question(n: int) -> str:
        return f"Question {n} from learner {user_id}: how is green tea made?"

    return [
        "/start tiny",
        "/timezone Europe/Berlin",
        question(1),
        question(2),
        "/progress",
        question(3),
        question(4),
        "/timezone Asia/Tokyo",
        question(5),
        question(6),
    ]


async def learners_state(pool: asyncpg.Pool) -> dict[str, Any]:
    """Everything the updates changed, without ids or clocks: comparable between runs."""
    users = await pool.fetch("SELECT id, first_name, timezone FROM users ORDER BY id")
    enrollments = await pool.fetch(
        "SELECT e.user_id, c.slug, e.status::text FROM enrollments e "
        "JOIN courses c ON c.id = e.course_id ORDER BY 1, 2"
    )
    usage = await pool.fetch(
        "SELECT user_id, module_no, typed_count, granted FROM module_prompt_usage ORDER BY 1, 2"
    )
    threads = await pool.fetch(
        """
        SELECT t.user_id, array_agg(m.role || ': ' || m.content ORDER BY m.id) AS said
        FROM ai_mentor_threads t JOIN ai_mentor_thread_messages m ON m.thread_id = t.id
        GROUP BY t.user_id ORDER BY t.user_id
        """
    )
    progress = await pool.fetch(
        "SELECT user_id, module_no, unlocked_at IS NOT NULL AS open, quiz_attempts "
        "FROM module_progress ORDER BY 1, 2"
    )
    return {
        "users": [tuple(r) for r in users],
        "enrollments": [tuple(r) for r in enrollments],
        "usage": [tuple(r) for r in usage],
        "threads": [(r["user_id"], list(r["said"])) for r in threads],
        "progress": [tuple(r) for r in progress],
    }


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The reference bot sends as fast as the replicas do (no 30 messages/s cap)."""
    return settings.model_copy(update={"telegram_rate_limit": 0})


@pytest.fixture
async def replica_db(postgres: EmbeddedPostgres) -> AsyncIterator[str]:
    name = f"replicas_{time.monotonic_ns()}"
    await create_database_if_missing(postgres.admin_url(), name, template=TEMPLATE)
    yield postgres.url_for(name)
    await drop_database(postgres.admin_url(), name)


async def test_two_replicas_double_deliveries_and_a_sigkill_lose_nothing_and_repeat_nothing(
    emulator: BotApiEmulator,
    application: Application,
    pool: asyncpg.Pool,
    replica_db: str,
    replicas: Replicas,
) -> None:
    updates = scripted_chats(emulator, range(1001, 1001 + LEARNERS), learner_script)
    total = sum(len(u) for u in updates.values())

    # The reference: the same conversations through one in-process bot.
    await import_pack(pool, TINY_PACK)
    deliver = deliver_to(application)

    async def converse_alone(conversation: list[dict[str, Any]]) -> None:
        for update in conversation:
            await deliver(update)

    started = time.perf_counter()
    await asyncio.gather(*(converse_alone(c) for c in updates.values()))
    single_seconds = time.perf_counter() - started
    expected = await learners_state(pool)

    # Two replicas on their own database, fed twice over through the webhook.
    shared = await create_pool(replica_db, max_size=4)
    try:
        await import_pack(shared, TINY_PACK)
        env = replica_env(replica_db, emulator.base_url, TOKEN, INBOX_LEASE_SECONDS="3")
        a, b = replicas.make("a", env), replicas.make("b", env)
        await asyncio.gather(a.start(), b.start())
        acknowledged = Progress()
        repeats: list[asyncio.Task[BotProcess]] = []
        killed_holding: list[int] = []

        async with Telegram([a, b]) as telegram:

            async def converse(conversation: list[dict[str, Any]]) -> None:
                for update in conversation:
                    await telegram.deliver(update)
                    await acknowledged.add()
                    repeats.append(asyncio.create_task(telegram.deliver(update)))

            async def kill_b_midway() -> None:
                await acknowledged.reached(total * 0.4)
                while not killed_holding:  # strike while b is in the middle of updates
                    if not await held_by(b.pid):
                        await asyncio.sleep(0.005)
                        continue
                    pid = b.pid
                    await b.kill()
                    killed_holding.extend(await held_by(pid))
                    await asyncio.sleep(1.0)
                    await b.start()

            async def held_by(pid: int) -> list[int]:
                rows = await shared.fetch(
                    "SELECT update_id FROM update_inbox WHERE processed_at IS NULL "
                    "AND claimed_by LIKE $1",
                    f"%:{pid}:%",
                )
                return [r["update_id"] for r in rows]

            started = time.perf_counter()
            await asyncio.gather(kill_b_midway(), *(converse(c) for c in updates.values()))
            await asyncio.gather(*repeats)
            await wait_until_all_processed(shared, total)
            replicas_seconds = time.perf_counter() - started

        inbox = await shared.fetch(
            "SELECT update_id, chat_key, attempts, failed FROM update_inbox "
            "ORDER BY chat_key, processed_at"
        )
        actual = await learners_state(shared)
        assert await a.stop() == 0 and await b.stop() == 0, "both stop cleanly on SIGTERM"
    finally:
        await shared.close()

    print(
        f"\n{total} updates from {LEARNERS} learners, each posted twice; one bot alone "
        f"{single_seconds:.1f} s, two replicas with a SIGKILL {replicas_seconds:.1f} s; "
        f"{len(killed_holding)} updates held by the killed replica, "
        f"{sum(r['attempts'] > 1 for r in inbox)} handled again; "
        f"{telegram.unreachable} posts to the dead replica retried elsewhere"
    )
    assert len(inbox) == total, "every acknowledged update stored once"
    assert not any(r["failed"] for r in inbox)
    for update_id in killed_holding:
        assert next(r for r in inbox if r["update_id"] == update_id)["attempts"] >= 2
    by_chat: dict[int, list[int]] = {}
    for row in inbox:
        by_chat.setdefault(row["chat_key"], []).append(row["update_id"])
    assert all(ids == sorted(ids) for ids in by_chat.values()), "each chat handled in order"
    assert actual == expected, "the same outcome as one bot handling each update once"
    assert {tz for _, _, tz in actual["users"]} == {"Asia/Tokyo"}
    assert {count for _, _, count, _ in actual["usage"]} == {QUOTA}
    assert all(len(said) == 2 * QUOTA for _, said in actual["threads"])
    assert b.starts >= 2
