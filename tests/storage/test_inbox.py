"""The durable inbox against the real database: stored once, claimed by one worker at a
time per chat, in update order, and taken over when a worker's lease lapses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.admin import PgAdminStore
from storage.database import create_pool
from storage.inbox import Incoming, PgInboxStore
from tests.conftest import BOT_ID
from tests.support.courses import TINY_PACK, import_pack

LEASE = 30.0


def update(update_id: int, chat: int | None = 42) -> Incoming:
    return Incoming(update_id, chat, "message", {"update_id": update_id, "message": {"n": 1}})


@pytest.fixture
def inbox(pool: asyncpg.Pool) -> PgInboxStore:
    return PgInboxStore(pool, BOT_ID)


@pytest.fixture
async def second_pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    """Another replica's connections to the same database."""
    other = await create_pool(db_url, max_size=5)
    yield other
    await other.close()


async def test_an_update_for_an_idle_chat_is_stored_and_claimed_at_once(
    inbox: PgInboxStore,
) -> None:
    receipt = await inbox.receive(update(1), "a", LEASE)

    assert not receipt.duplicate
    assert receipt.claimed is not None
    assert (receipt.claimed.update_id, receipt.claimed.attempts) == (1, 1)
    assert receipt.claimed.payload == {"update_id": 1, "message": {"n": 1}}


async def test_a_repeat_is_recognised_before_and_after_processing(inbox: PgInboxStore) -> None:
    await inbox.receive(update(1), "a", LEASE)
    assert (await inbox.receive(update(1), "b", LEASE)).duplicate

    await inbox.finish(1, "a", LEASE)

    assert (await inbox.receive(update(1), "b", LEASE)).duplicate
    assert await inbox.claim("b", 10, LEASE) == []


async def test_the_next_update_of_a_busy_chat_waits_and_comes_with_the_finish(
    inbox: PgInboxStore,
) -> None:
    await inbox.receive(update(1), "a", LEASE)
    second = await inbox.receive(update(2), "b", LEASE)
    other_chat = await inbox.receive(update(3, chat=43), "b", LEASE)

    assert second.claimed is None and not second.duplicate
    assert other_chat.claimed is not None, "other chats are not held up"
    assert await inbox.claim("b", 10, LEASE) == [], "only a chat's oldest update is claimable"
    following = await inbox.finish(1, "a", LEASE)

    assert following is not None and following.update_id == 2
    assert await inbox.finish(2, "a", LEASE) is None


async def test_a_finish_by_a_worker_that_lost_its_claim_changes_nothing(
    inbox: PgInboxStore, pool: asyncpg.Pool
) -> None:
    await inbox.receive(update(1), "a", LEASE)

    assert await inbox.finish(1, "impostor", LEASE) is None
    assert await pool.fetchval("SELECT processed_at FROM update_inbox") is None


async def test_claims_take_each_chats_oldest_update_in_order(inbox: PgInboxStore) -> None:
    await inbox.receive_many([update(5, 42), update(3, 42), update(4, 43), update(6, None)])

    claimed = await inbox.claim("a", 10, LEASE)

    assert [item.update_id for item in claimed] == [3, 4, 6]


async def test_two_replicas_claiming_at_once_split_the_chats_without_overlap(
    inbox: PgInboxStore, second_pool: asyncpg.Pool
) -> None:
    await inbox.receive_many([update(i, chat=i % 50) for i in range(1, 301)])
    replicas = [("a", inbox), ("b", PgInboxStore(second_pool, BOT_ID))]

    rounds = await asyncio.gather(*(box.claim(name, 30, LEASE) for name, box in replicas * 2))

    ids = [item.update_id for got in rounds for item in got]
    chats = [item.chat_key for got in rounds for item in got]
    assert len(ids) == len(set(ids)) == 50, "each chat's head once, no update twice"
    assert len(set(chats)) == 50
    assert all(item.update_id <= 50 for got in rounds for item in got)


async def test_updates_of_one_chat_arriving_at_the_same_moment_are_claimed_once(
    pool: asyncpg.Pool, second_pool: asyncpg.Pool
) -> None:
    boxes = [PgInboxStore(pool, BOT_ID), PgInboxStore(second_pool, BOT_ID)]

    receipts = await asyncio.gather(
        *(boxes[i % 2].receive(update(i), f"w{i % 2}", LEASE) for i in range(1, 21))
    )

    assert not any(r.duplicate for r in receipts)
    assert sum(r.claimed is not None for r in receipts) == 1
    assert await pool.fetchval("SELECT count(*) FROM update_inbox") == 20


async def test_a_dead_workers_claim_lapses_and_is_taken_over(
    inbox: PgInboxStore, pool: asyncpg.Pool
) -> None:
    await inbox.receive(update(1), "dead", 0.2)
    assert await inbox.claim("alive", 10, LEASE) == []

    await asyncio.sleep(0.3)
    [taken] = await inbox.claim("alive", 10, LEASE)

    assert (taken.update_id, taken.attempts) == (1, 2)
    assert await inbox.finish(1, "dead", LEASE) is None, "the old owner can no longer finish"
    assert await inbox.finish(1, "alive", LEASE) is None
    assert await pool.fetchval("SELECT processed_at IS NOT NULL FROM update_inbox")


async def test_a_heartbeat_keeps_a_slow_update_from_being_taken_over(inbox: PgInboxStore) -> None:
    await inbox.receive(update(1), "slow", 0.3)
    for _ in range(3):
        await asyncio.sleep(0.15)
        assert await inbox.extend("slow", [1], 0.3) == 1
        assert await inbox.claim("other", 10, LEASE) == []


async def test_a_released_update_is_claimable_after_its_delay(inbox: PgInboxStore) -> None:
    await inbox.receive(update(1), "a", LEASE)

    assert await inbox.release("a", [1], 0.3) == 1
    assert await inbox.claim("b", 10, LEASE) == []
    await asyncio.sleep(0.4)

    [again] = await inbox.claim("b", 10, LEASE)
    assert again.update_id == 1


async def test_a_failed_update_is_done_with_its_error_kept(
    inbox: PgInboxStore, pool: asyncpg.Pool
) -> None:
    await inbox.receive(update(1), "a", LEASE)
    await inbox.finish(1, "a", LEASE, error="KeyError")

    row = await pool.fetchrow("SELECT failed, last_error, processed_at FROM update_inbox")
    assert (row["failed"], row["last_error"]) == (True, "KeyError")
    assert row["processed_at"] is not None


async def test_depth_counts_waiting_updates_and_the_oldest_age(
    inbox: PgInboxStore, pool: asyncpg.Pool
) -> None:
    assert (await inbox.depth()).pending == 0
    await inbox.receive_many([update(1), update(2, 43)])
    await pool.execute("UPDATE update_inbox SET received_at = now() - interval '90 seconds'")
    await inbox.receive(update(3, 44), "a", LEASE)
    await inbox.finish(3, "a", LEASE)

    depth = await inbox.depth()

    assert depth.pending == 2
    assert 89 <= depth.oldest_age_seconds < 120


async def test_an_admin_grant_repeated_for_the_same_update_adds_once(pool: asyncpg.Pool) -> None:
    await import_pack(pool, TINY_PACK)
    await pool.execute("INSERT INTO users (id, first_name) VALUES (42, 'Ada')")
    store = PgAdminStore(pool, bot_id=BOT_ID)
    course = await store.course("tiny")
    assert course is not None

    totals = [await store.grant_prompts(42, course, 1, 3, 9001) for _ in range(2)]
    attempts = [await store.grant_attempts(42, course, 1, 2, 9001) for _ in range(2)]
    later = await store.grant_prompts(42, course, 1, 3, 9002)

    assert totals == [3, 3]
    assert attempts == [2, 2], "one update may carry one grant of each kind"
    assert later == 6


async def test_a_stopping_worker_hands_back_every_claim_it_still_has(
    inbox: PgInboxStore, pool: asyncpg.Pool
) -> None:
    await inbox.receive_many([update(1, 42), update(2, 43), update(3, 44)])
    await inbox.claim("stopping", 2, 600)
    await inbox.claim("other", 1, 600)

    assert await inbox.release_all("stopping") == 2
    taken = await inbox.claim("next", 10, 600)
    assert [item.update_id for item in taken] == [1, 2], "free at once, no lease to wait out"
    assert await pool.fetchval("SELECT count(*) FROM update_inbox WHERE claimed_by = 'other'") == 1


async def test_a_batch_claims_each_idle_chats_first_update_and_queues_the_rest(
    inbox: PgInboxStore,
) -> None:
    await inbox.receive(update(1, chat=44), "other", LEASE)  # chat 44 is busy elsewhere

    receipts = await inbox.receive_batch(
        [update(5, 42), update(3, 42), update(4, 43), update(6, 44), update(1, 44)], "a", LEASE
    )

    claimed = [r.claimed.update_id if r.claimed else None for r in receipts]
    assert claimed == [None, 3, 4, None, None], "the oldest of chat 42, all of idle chat 43"
    assert [r.duplicate for r in receipts] == [False, False, False, False, True]


async def test_finishing_a_batch_hands_on_each_chats_next_update(inbox: PgInboxStore) -> None:
    await inbox.receive_batch([update(1, 42), update(2, 43)], "a", LEASE)
    await inbox.receive_batch([update(3, 42), update(4, 42), update(5, 43)], "a", LEASE)

    following = await inbox.finish_many("a", LEASE, [(1, None), (2, "ValueError")])

    assert {after: item.update_id for after, item in following.items()} == {1: 3, 2: 5}
    last = await inbox.finish_many("a", LEASE, [(3, None), (5, None)])
    assert {after: item.update_id for after, item in last.items()} == {3: 4}, "43 is done"
