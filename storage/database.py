"""Connection pool: one per process, pgvector's and JSON codecs registered on every
connection."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

import asyncpg
from pgvector.asyncpg import register_vector

# Our enum types: asyncpg looks a type up (three statements) the first time a connection
# meets it; doing that when the connection opens keeps those round trips off updates.
_ENUMS = (
    "SELECT NULL::user_role, NULL::study_persona, NULL::enrollment_status, "
    "NULL::quiz_attempt_status"
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await register_vector(conn)
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    with contextlib.suppress(asyncpg.UndefinedObjectError):  # a database not migrated yet
        await conn.fetchrow(_ENUMS)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to undo: our code sets no session state (only SET LOCAL, inside transactions),
    holds no session advisory locks on pooled connections and never LISTENs; asyncpg still
    rolls back a transaction left open. Skipping asyncpg's reset query saves a round trip
    every time a connection goes back to the pool (benchmarks/ask.py: +15% questions/s)."""


async def create_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    on_query: Callable[[], None] | None = None,
) -> asyncpg.Pool:
    """Create the pool; call after migrations, since the `vector` type must already exist.

    `on_query` is called after every statement (BEGIN and COMMIT included): each one is a
    round trip, the figure that matters for per-update cost."""

    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn)
        if on_query is not None:
            conn.add_query_logger(lambda _: on_query())

    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=init,
        reset=_keep_session,
        command_timeout=30,
    )
    assert pool is not None
    return pool


async def ping(pool: asyncpg.Pool, wait: float = 2.0) -> bool:
    """True when the database answers; used by /readyz."""
    try:
        async with pool.acquire(timeout=wait) as conn:
            return await conn.fetchval("SELECT 1", timeout=wait) == 1
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False


def is_missing_user(error: BaseException) -> bool:
    """A write referred to a user row that is not there (erased by another process while
    this one remembered the profile)."""
    return isinstance(error, asyncpg.ForeignKeyViolationError) and 'table "users"' in (
        error.detail or ""
    )


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached or went away (as opposed to a query that failed):
    worth retrying the work later rather than reporting it as a bug."""
    # InternalClientError: asyncpg's protocol state after the server dropped the connection
    # in the middle of a statement ("another operation is in progress").
    if isinstance(
        error, OSError | TimeoutError | asyncpg.InterfaceError | asyncpg.InternalClientError
    ):
        return True
    return isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.CannotConnectNowError
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | asyncpg.TooManyConnectionsError,
    )


class PgDatabase:
    """The pool as the bot's readiness probe sees it (bot/transport/webhook.py /readyz)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def ping(self) -> bool:
        return await ping(self._pool)

    async def close(self) -> None:
        await self._pool.close()
