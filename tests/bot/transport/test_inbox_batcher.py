"""The inbox's natural batching: no wait when idle, one round trip for many under load."""

from __future__ import annotations

import asyncio

import pytest

from bot.transport.inbox import Batcher


class Store:
    """Stands in for one database round trip that takes a moment."""

    def __init__(self, fail_first: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail_first = fail_first

    async def __call__(self, batch: list[int]) -> list[int]:
        self.batches.append(batch)
        await asyncio.sleep(0.01)
        if self.fail_first and len(self.batches) == 1:
            raise ConnectionError("database away")
        return [n * 10 for n in batch]


async def test_a_lone_call_goes_out_at_once_on_its_own() -> None:
    store = Store()
    assert await Batcher(store)(7) == 70
    assert store.batches == [[7]]


async def test_calls_arriving_during_a_write_share_the_next_one() -> None:
    store = Store()
    batcher = Batcher(store)

    replies = await asyncio.gather(*(batcher(n) for n in range(50)))

    assert replies == [n * 10 for n in range(50)], "each caller gets its own reply"
    assert len(store.batches) <= 2
    assert sorted(n for batch in store.batches for n in batch) == list(range(50))


async def test_batches_are_capped() -> None:
    store = Store()
    batcher = Batcher(store, limit=10)

    await asyncio.gather(*(batcher(n) for n in range(35)))

    assert max(len(batch) for batch in store.batches) == 10


async def test_a_failed_write_fails_its_callers_only() -> None:
    store = Store(fail_first=True)
    batcher = Batcher(store)
    first = asyncio.ensure_future(batcher(1))
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(batcher(n)) for n in (2, 3)]

    with pytest.raises(ConnectionError):
        await first
    assert await asyncio.gather(*later) == [20, 30]


async def test_a_write_whose_caller_gave_up_still_lands_before_idle_returns() -> None:
    store = Store()
    batcher = Batcher(store)
    caller = asyncio.ensure_future(batcher(4))
    await asyncio.sleep(0)
    caller.cancel()

    await batcher.idle()

    assert store.batches == [[4]]
