"""The durable inbox alone: how many updates/s it can take in, hand out and mark done.

What every update costs before and after its handler, with no handler at all: the webhook's
`receive` (store + claim when the chat is idle: one statement) and `finish` (mark done +
claim the chat's next update: one statement). P processes (``--processes``, like replicas,
each with its own asyncpg pool) each run W concurrent webhook requests (``--concurrency``)
over C chats (``--chats``) with U updates each (``--per-chat``), a chat's updates posted
one after another, as Telegram does. Handlers are simulated by ``--handler-ms`` of sleep.

By default calls are batched the way the bot's worker batches them (`bot.transport.inbox.Batcher`:
calls arriving while a write is in flight share the next one); `--no-batch` sends one
statement per call, for comparison.

Printed: wall time, updates/s overall, receive and finish latency p50/p95/p99, statements
per update, and the checks: every update stored once, processed once, each chat in order.

Run:  .venv/bin/python benchmarks/inbox.py
      .venv/bin/python benchmarks/inbox.py --processes 2 --chats 400
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from typing import Any

from bot.transport.inbox import Batcher
from storage import embedded
from storage.database import create_pool
from storage.inbox import InboxItem, Incoming, PgInboxStore, Receipt
from storage.migrations import migrate

LEASE = 60.0


BOT_ID = 123456


def _update(update_id: int, chat: int) -> Incoming:
    payload = {
        "update_id": update_id,
        "message": {"message_id": update_id, "chat": {"id": chat, "type": "private"}},
    }
    return Incoming(update_id, chat, "message", payload)


async def _replica(url: str, index: int, args: argparse.Namespace) -> dict[str, Any]:
    pool = await create_pool(url, min_size=4, max_size=args.pool)
    inbox = PgInboxStore(pool, BOT_ID)
    worker = f"bench-{index}"
    receive_ms: list[float] = []
    finish_ms: list[float] = []
    chats = [c for c in range(args.chats) if c % args.processes == index]
    handled = 0

    async def store_batch(batch: list[Incoming]) -> list[Receipt]:
        return await inbox.receive_batch(batch, worker, LEASE)

    async def finish_batch(batch: list[int]) -> list[InboxItem | None]:
        following = await inbox.finish_many(worker, LEASE, [(u, None) for u in batch])
        return [following.get(u) for u in batch]

    async def store_one(update: Incoming) -> Receipt:
        return await inbox.receive(update, worker, LEASE)

    async def finish_one(update_id: int) -> InboxItem | None:
        return await inbox.finish(update_id, worker, LEASE)

    # As the bot's worker does (bot.transport.inbox.Batcher), or one statement per call.
    store = Batcher(store_batch) if args.batch else store_one
    finish = Batcher(finish_batch) if args.batch else finish_one

    async def handle(item: InboxItem | None) -> None:
        nonlocal handled
        while item is not None:
            if args.handler_ms:
                await asyncio.sleep(args.handler_ms / 1000)
            handled += 1
            started = time.perf_counter()
            item = await finish(item.update_id)
            finish_ms.append((time.perf_counter() - started) * 1000)

    running: set[asyncio.Task[None]] = set()
    gate = asyncio.Semaphore(args.concurrency)

    async def chat_loop(chat: int) -> None:
        for n in range(args.per_chat):
            update = _update(chat * args.per_chat + n + 1, chat)
            async with gate:
                started = time.perf_counter()
                receipt = await store(update)
                receive_ms.append((time.perf_counter() - started) * 1000)
            if receipt.claimed is not None:
                task = asyncio.create_task(handle(receipt.claimed))
                running.add(task)
                task.add_done_callback(running.discard)

    await asyncio.gather(*(chat_loop(c) for c in chats))
    while running:
        await asyncio.gather(*running)
    # Updates queued behind a busy chat were handed on by `finish`; any left are claimed.
    while items := await inbox.claim(worker, 100, LEASE):
        await asyncio.gather(*(handle(i) for i in items))
    await pool.close()
    return {"receive": receive_ms, "finish": finish_ms, "handled": handled}


def _run_replica(url: str, index: int, args: argparse.Namespace, out: Any) -> None:
    out.put(asyncio.run(_replica(url, index, args)))


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else 0.0


async def main(args: argparse.Namespace) -> int:
    async with embedded.scratch_database("bench_inbox") as url:
        await migrate(url)
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        started = time.perf_counter()
        procs = [
            context.Process(target=_run_replica, args=(url, i, args, out))
            for i in range(args.processes)
        ]
        for p in procs:
            p.start()
        results = [await asyncio.to_thread(out.get) for _ in procs]
        for p in procs:
            p.join()
        wall = time.perf_counter() - started
        pool = await create_pool(url, max_size=2)
        rows = await pool.fetch(
            "SELECT chat_key, array_agg(update_id ORDER BY processed_at) AS ids, "
            "count(*) FILTER (WHERE processed_at IS NULL) AS waiting FROM update_inbox "
            "GROUP BY chat_key"
        )
        stored = await pool.fetchval("SELECT count(*) FROM update_inbox")
        await pool.close()
    total = args.chats * args.per_chat
    receive = [v for r in results for v in r["receive"]]
    finish = [v for r in results for v in r["finish"]]
    handled = sum(r["handled"] for r in results)
    in_order = all(list(r["ids"]) == sorted(r["ids"]) for r in rows)
    waiting = sum(r["waiting"] for r in rows)
    print(
        f"{total} updates, {args.chats} chats x {args.per_chat}, {args.processes} process(es) x "
        f"{args.concurrency} concurrent requests, handler {args.handler_ms} ms, "
        f"{'batched as the bot does' if args.batch else 'one statement per call'}"
    )
    print(f"wall {wall:.2f} s (incl. process start), {total / wall:,.0f} updates/s")
    for name, values in (("receive", receive), ("finish", finish)):
        print(
            f"{name:8} p50 {_pct(values, 50):6.2f} ms  p95 {_pct(values, 95):6.2f} ms  "
            f"p99 {_pct(values, 99):6.2f} ms"
        )
    print(
        "statements per update: 2 (receive, finish)"
        + (", shared by the updates of a batch" if args.batch else "")
    )
    ok = stored == total and handled == total and waiting == 0 and in_order
    print(
        f"checks: stored {stored}/{total}, handled {handled}, left {waiting}, "
        f"chats in order {in_order} -> {'OK' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--per-chat", type=int, default=50)
    parser.add_argument("--handler-ms", type=float, default=0.0)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument(
        "--no-batch", dest="batch", action="store_false", help="one statement per call"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
