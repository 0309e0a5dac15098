"""The embedded default: a private PostgreSQL + pgvector from the `pgserver` package.

A newcomer needs no database server: when DATABASE_URL is unset we start (or attach to,
if another of our processes already runs it) a server under DATA_DIR and stop it when the
last process using it exits. pgserver is blocking, so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

DATABASE_NAME = "tutorbot"


class EmbeddedPostgres:
    """Owns one pgserver instance; `url` points at our own database inside it."""

    def __init__(self, data_dir: Path, database: str = DATABASE_NAME) -> None:
        self._pgdata = (data_dir / "pg").resolve()
        self._database = database
        self._server: Any = None

    @property
    def url(self) -> str:
        return self.url_for(self._database)

    def admin_url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        return self._server.get_uri(database)

    async def start(self) -> str:
        self._pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = await asyncio.to_thread(_start_server, self._pgdata)
        await create_database_if_missing(self.admin_url(), self._database)
        log.info("embedded PostgreSQL ready in %s", self._pgdata)
        return self.url

    async def halt(self) -> None:
        """Stop the server process but keep this handle, so `resume` brings the same
        database back at the same address: a database outage, as tests stage one."""
        await asyncio.to_thread(_stop_server, self._running())

    async def resume(self) -> None:
        await asyncio.to_thread(self._running().ensure_postgres_running)

    def _running(self) -> Any:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        return self._server

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.cleanup)


def _start_server(pgdata: Path) -> Any:
    # Imported lazily: only needed when no DATABASE_URL is given. pgserver logs every
    # pg_ctl call at INFO and platformdirs warns about XDG_RUNTIME_DIR; neither helps users.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        return pgserver.get_server(pgdata, cleanup_mode="stop")


def _stop_server(server: Any) -> None:
    from pgserver._commands import pg_ctl

    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=server.pgdata, user=server.system_user)


async def create_database_if_missing(
    admin_url: str, name: str, template: str | None = None
) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            ident = quote_ident(name)
            suffix = f" TEMPLATE {quote_ident(template)}" if template else ""
            # Another process may create it between our check and our CREATE.
            with suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f"CREATE DATABASE {ident}{suffix}")
    finally:
        await conn.close()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await conn.close()


async def drop_stale_databases(server_url: str, prefix: str, older_than: float) -> list[str]:
    """Drop databases named `<prefix><unix time>_…` created more than `older_than` seconds
    ago (left by a process that was killed before it could drop its own). One still in use
    is left alone: DROP DATABASE without FORCE refuses while anyone is connected."""
    conn = await asyncpg.connect(server_url)
    dropped = []
    try:
        names = await conn.fetch(
            "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix
        )
        for (name,) in names:
            created = name.removeprefix(prefix).partition("_")[0]
            if not created.isdigit() or time.time() - int(created) < older_than:
                continue
            with suppress(asyncpg.ObjectInUseError, asyncpg.InvalidCatalogNameError):
                await conn.execute(f"DROP DATABASE {quote_ident(name)}")
                dropped.append(name)
    finally:
        await conn.close()
    return dropped


@asynccontextmanager
async def scratch_database(name: str, server_url: str | None = None) -> AsyncIterator[str]:
    """A throwaway database for benchmarks: created next to `server_url` (and dropped after)
    when given, otherwise inside a private embedded server in a temporary directory."""
    if server_url:
        await create_database_if_missing(server_url, name)
        try:
            yield urlunsplit(urlsplit(server_url)._replace(path="/" + name))
        finally:
            await drop_database(server_url, name)
        return
    with tempfile.TemporaryDirectory(prefix="tutorbot-bench-") as tmp:
        server = EmbeddedPostgres(Path(tmp), database=name)
        url = await server.start()
        try:
            yield url
        finally:
            await server.stop()
