"""What the bot has stored, as snapshots a test can compare: the proof that an input the
bot refused changed nothing.

Every table of the schema is covered (new tables join automatically) except the update
inbox, which records every update by design, and the audit log, which records every staff
attempt by design and is read with `audit_since` instead. A user's profile (name, username,
language) is refreshed from Telegram on every contact, so those columns are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

# Tables that change on every update by design, and what each row of the others leaves out.
NOT_STATE = frozenset({"update_inbox", "admin_audit", "schema_migrations"})
LEFT_OUT = {
    "users": ("first_name", "last_name", "username", "language_code", "updated_at"),
    # The vector and its text search column are derived from `content`/`content_hash`.
    "course_chunks": ("embedding",),
}

Snapshot = dict[str, list[str]]


async def state_tables(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [r["table_name"] for r in rows if r["table_name"] not in NOT_STATE]


async def snapshot(pool: asyncpg.Pool, tables: list[str]) -> Snapshot:
    """Every row of every table as text (sorted), in one round trip per table."""
    taken: Snapshot = {}
    async with pool.acquire() as conn:
        for table in tables:
            left_out = list(LEFT_OUT.get(table, ()))
            rows = await conn.fetch(
                f'SELECT (to_jsonb(t) - $1::text[])::text AS row FROM "{table}" t ORDER BY 1',
                left_out,
            )
            taken[table] = [r["row"] for r in rows]
    return taken


def changes(before: Snapshot, after: Snapshot) -> dict[str, dict[str, list[str]]]:
    """Rows gone and rows new, per table that changed (empty: nothing changed)."""
    found: dict[str, dict[str, list[str]]] = {}
    for table in sorted(set(before) | set(after)):
        old, new = set(before.get(table, [])), set(after.get(table, []))
        if old != new:
            found[table] = {"gone": sorted(old - new), "new": sorted(new - old)}
    return found


@dataclass(frozen=True)
class AuditRow:
    actor_id: int
    action: str
    outcome: str


async def last_audit_id(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT coalesce(max(id), 0) FROM admin_audit")


async def audit_since(pool: asyncpg.Pool, after_id: int) -> list[AuditRow]:
    rows = await pool.fetch(
        "SELECT actor_id, action, outcome FROM admin_audit WHERE id > $1 ORDER BY id", after_id
    )
    return [AuditRow(r["actor_id"], r["action"], r["outcome"]) for r in rows]


@dataclass(frozen=True)
class InboxOutcome:
    processed: bool
    failed: bool
    error: str | None


async def inbox_outcome(pool: asyncpg.Pool, update_id: int) -> InboxOutcome | None:
    """How the inbox settled an update (None: never stored). `failed` means a handler
    raised: the error handler was reached with a bug, not with a refusal."""
    row = await pool.fetchrow(
        "SELECT processed_at IS NOT NULL AS processed, failed, last_error "
        "FROM update_inbox WHERE update_id = $1",
        update_id,
    )
    if row is None:
        return None
    return InboxOutcome(row["processed"], row["failed"], row["last_error"])
