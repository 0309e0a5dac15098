"""The durable update inbox: store first, acknowledge, then process — once, in chat order.

Every statement here is one round trip. A worker only ever claims the oldest unfinished
update of a chat, and a unique index allows one claimed update per chat, so a chat's
updates run one after another whichever replica holds them, while different chats run in
parallel. Claims carry a lease: a replica that dies leaves its claims to lapse and be
taken over; a live one extends them while it works.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

ONE_CLAIM_PER_CHAT = "update_inbox_one_claim_per_chat_idx"


@dataclass(frozen=True)
class InboxItem:
    update_id: int
    chat_key: int | None
    kind: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Incoming:
    update_id: int
    chat_key: int | None
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Receipt:
    """What storing an update did: `duplicate` (seen before, nothing stored) or stored, and
    then `claimed` by the caller when its chat had nothing else waiting."""

    duplicate: bool
    claimed: InboxItem | None = None


@dataclass(frozen=True)
class Depth:
    pending: int
    oldest_age_seconds: float


_RETURNING = "update_id, chat_key, kind, payload, attempts"


class PgInboxStore:
    """One bot's inbox. Update ids and chats belong to a bot, so every row carries the
    bot's id and every statement here reads and claims only this bot's rows: two bots on
    one database (a demo next to `tutorbot run`, two demos, two tokens) never take each
    other's updates."""

    def __init__(self, pool: asyncpg.Pool, bot_id: int) -> None:
        self._pool = pool
        self.bot_id = bot_id

    async def receive(self, update: Incoming, worker: str, lease_seconds: float) -> Receipt:
        """Store the update; claim it for `worker` at once when its chat is idle."""
        [receipt] = await self.receive_batch([update], worker, lease_seconds)
        return receipt

    async def receive_batch(
        self,
        updates: Sequence[Incoming],
        worker: str,
        lease_seconds: float,
        *,
        claim: bool = True,
    ) -> list[Receipt]:
        """`receive` for many updates in one round trip (the webhook's concurrent requests,
        gathered while the previous batch was being written). Each chat's first update in
        the batch is claimed when the chat is idle (and `claim`: the worker has room); the
        receipts are in the given order."""
        if not updates:
            return []
        try:
            rows = await self._pool.fetch(
                f"""
                WITH incoming AS (
                    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
                        AS u(update_id, chat_key, kind, payload)
                ),
                firsts AS (
                    SELECT DISTINCT ON (chat_key) update_id FROM incoming
                    WHERE chat_key IS NOT NULL ORDER BY chat_key, update_id
                ),
                decided AS (
                    SELECT i.*, $7::boolean AND (i.chat_key IS NULL OR (
                        i.update_id IN (SELECT update_id FROM firsts)
                        AND NOT EXISTS (SELECT 1 FROM update_inbox e
                            WHERE e.bot_id = $8 AND e.chat_key = i.chat_key
                              AND e.processed_at IS NULL)
                    )) AS idle
                    FROM incoming i
                )
                INSERT INTO update_inbox (bot_id, update_id, chat_key, kind, payload,
                                          claimed_by, claimed_until, attempts)
                SELECT $8, update_id, chat_key, kind, payload::jsonb,
                       CASE WHEN idle THEN $5 END,
                       CASE WHEN idle THEN now() + make_interval(secs => $6) END,
                       CASE WHEN idle THEN 1 ELSE 0 END
                FROM decided
                ON CONFLICT (bot_id, update_id) DO NOTHING
                RETURNING claimed_by IS NOT NULL AS claimed, {_RETURNING}
                """,
                [u.update_id for u in updates],
                [u.chat_key for u in updates],
                [u.kind for u in updates],
                [json.dumps(u.payload) for u in updates],
                worker,
                lease_seconds,
                claim,
                self.bot_id,
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != ONE_CLAIM_PER_CHAT or not claim:
                raise
            # A chat of this batch was claimed elsewhere in the same instant: store them
            # all unclaimed, for the workers' next claim.
            return await self.receive_batch(updates, worker, lease_seconds, claim=False)
        stored = {r["update_id"]: r for r in rows}
        receipts = []
        for update in updates:
            row = stored.pop(update.update_id, None)
            if row is None:
                receipts.append(Receipt(duplicate=True))
            else:
                receipts.append(Receipt(False, _item(row) if row["claimed"] else None))
        return receipts

    async def receive_many(self, updates: Sequence[Incoming]) -> int:
        """Store a batch unclaimed (long polling); returns how many were new."""
        receipts = await self.receive_batch(updates, "", 0, claim=False)
        return sum(not receipt.duplicate for receipt in receipts)

    async def claim(self, worker: str, limit: int, lease_seconds: float) -> list[InboxItem]:
        """Claim up to `limit` chats' oldest waiting updates, oldest first."""
        rows = await self._pool.fetch(
            f"""
            WITH heads AS (
                SELECT i.update_id FROM update_inbox i
                WHERE i.bot_id = $4 AND i.processed_at IS NULL
                  AND (i.claimed_until IS NULL OR i.claimed_until < now())
                  AND NOT EXISTS (
                      SELECT 1 FROM update_inbox e
                      WHERE e.bot_id = $4 AND e.chat_key = i.chat_key
                        AND e.processed_at IS NULL AND e.update_id < i.update_id)
                ORDER BY i.update_id
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            )
            UPDATE update_inbox u SET claimed_by = $1,
                claimed_until = now() + make_interval(secs => $3), attempts = u.attempts + 1
            FROM heads WHERE u.bot_id = $4 AND u.update_id = heads.update_id
            RETURNING {", ".join("u." + c for c in _RETURNING.split(", "))}
            """,
            worker,
            limit,
            lease_seconds,
            self.bot_id,
        )
        return sorted((_item(r) for r in rows), key=lambda item: item.update_id)

    async def finish(
        self,
        update_id: int,
        worker: str,
        lease_seconds: float,
        *,
        error: str | None = None,
    ) -> InboxItem | None:
        """Mark the update done and, in the same round trip, claim the next update of its
        chat (returned) so the worker goes straight on with that conversation."""
        following = await self.finish_many(worker, lease_seconds, [(update_id, error)])
        return following.get(update_id)

    async def finish_many(
        self, worker: str, lease_seconds: float, outcomes: Sequence[tuple[int, str | None]]
    ) -> dict[int, InboxItem]:
        """`finish` for many updates (of different chats) in one round trip: mark each done
        with its error, if any, and claim the next update of each one's chat. Returns the
        claimed next updates by the id of the update they follow."""
        if not outcomes:
            return {}
        ids = [update_id for update_id, _ in outcomes]
        rows = await self._pool.fetch(
            f"""
            WITH f AS (
                SELECT * FROM unnest($1::bigint[], $2::text[]) AS f(update_id, error)
            ),
            done AS (
                UPDATE update_inbox u SET processed_at = clock_timestamp(), claimed_by = NULL,
                    claimed_until = NULL, failed = f.error IS NOT NULL, last_error = f.error
                FROM f
                WHERE u.bot_id = $5 AND u.update_id = f.update_id AND u.claimed_by = $3
                  AND u.processed_at IS NULL
                RETURNING u.update_id, u.chat_key
            ),
            next AS (
                SELECT done.update_id AS after, n.update_id
                FROM done, LATERAL (
                    SELECT i.update_id FROM update_inbox i
                    WHERE i.bot_id = $5 AND i.chat_key = done.chat_key
                      AND i.processed_at IS NULL
                      AND i.update_id <> ALL($1::bigint[])
                      AND (i.claimed_until IS NULL OR i.claimed_until < now())
                    ORDER BY i.update_id LIMIT 1
                    FOR UPDATE SKIP LOCKED
                ) n
            )
            UPDATE update_inbox u SET claimed_by = $3,
                claimed_until = now() + make_interval(secs => $4), attempts = u.attempts + 1
            FROM next WHERE u.bot_id = $5 AND u.update_id = next.update_id
            RETURNING next.after, {", ".join("u." + c for c in _RETURNING.split(", "))}
            """,
            ids,
            [error for _, error in outcomes],
            worker,
            lease_seconds,
            self.bot_id,
        )
        return {r["after"]: _item(r) for r in rows}

    async def extend(self, worker: str, update_ids: Sequence[int], lease_seconds: float) -> int:
        """Keep claims alive while their handlers still run (the heartbeat)."""
        if not update_ids:
            return 0
        result = await self._pool.execute(
            """
            UPDATE update_inbox SET claimed_until = now() + make_interval(secs => $3)
            WHERE bot_id = $4 AND claimed_by = $1 AND update_id = ANY($2::bigint[])
              AND processed_at IS NULL
            """,
            worker,
            list(update_ids),
            lease_seconds,
            self.bot_id,
        )
        return int(result.split()[-1])

    async def release(self, worker: str, update_ids: Sequence[int], delay_seconds: float) -> int:
        """Give claims back untouched, to be taken again after `delay_seconds` (shutdown,
        or a database hiccup during processing)."""
        if not update_ids:
            return 0
        result = await self._pool.execute(
            """
            UPDATE update_inbox SET claimed_by = NULL,
                claimed_until = now() + make_interval(secs => $3)
            WHERE bot_id = $4 AND claimed_by = $1 AND update_id = ANY($2::bigint[])
              AND processed_at IS NULL
            """,
            worker,
            list(update_ids),
            delay_seconds,
            self.bot_id,
        )
        return int(result.split()[-1])

    async def release_all(self, worker: str) -> int:
        """Hand back every claim `worker` still has (it is shutting down). Also catches a
        claim whose reply never arrived (a cancelled finish that took the chat's next)."""
        result = await self._pool.execute(
            "UPDATE update_inbox SET claimed_by = NULL, claimed_until = NULL "
            "WHERE bot_id = $2 AND claimed_by = $1 AND processed_at IS NULL",
            worker,
            self.bot_id,
        )
        return int(result.split()[-1])

    async def depth(self) -> Depth:
        row = await self._pool.fetchrow(
            """
            SELECT count(*) AS pending,
                   coalesce(extract(epoch FROM now() - min(received_at)), 0) AS age
            FROM update_inbox WHERE bot_id = $1 AND processed_at IS NULL
            """,
            self.bot_id,
        )
        assert row is not None
        return Depth(row["pending"], max(float(row["age"]), 0.0))

    async def prune(self, retention_hours: int) -> int:
        """Telegram re-delivers an update for at most 24 hours; older ids can never return.

        Every bot's: an old processed row is nobody's work, and a bot that is gone (an
        earlier demo's) would otherwise leave its rows behind for ever."""
        async with self._pool.acquire() as conn, conn.transaction():
            result = await conn.execute(
                "DELETE FROM update_inbox WHERE processed_at < now() - make_interval(hours => $1)",
                retention_hours,
            )
            await conn.execute(
                "DELETE FROM update_effects WHERE created_at < now() - make_interval(hours => $1)",
                retention_hours,
            )
        return int(result.split()[-1])


def _item(row: asyncpg.Record) -> InboxItem:
    return InboxItem(
        row["update_id"], row["chat_key"], row["kind"], row["payload"], row["attempts"]
    )
