"""Shared fixtures: one embedded PostgreSQL + pgvector per test session, a fresh database
per test (cloned from a migrated template, so each test starts from the real schema)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.database import create_pool
from storage.embedded import EmbeddedPostgres, create_database_if_missing, drop_database
from storage.migrations import migrate

TEMPLATE = "tutorbot_template"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
async def postgres(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg"), database=TEMPLATE)
    await server.start()
    await migrate(server.url)
    yield server
    await server.stop()


async def _scratch_database(postgres: EmbeddedPostgres, prefix: str, template: str | None):
    name = f"{prefix}_{next(_numbers)}"
    await create_database_if_missing(postgres.admin_url(), name, template=template)
    try:
        yield postgres.url_for(name)
    finally:
        await drop_database(postgres.admin_url(), name)


@pytest.fixture
async def empty_db_url(postgres: EmbeddedPostgres) -> AsyncIterator[str]:
    """A database with nothing in it, not even migrations."""
    async for url in _scratch_database(postgres, "empty", None):
        yield url


@pytest.fixture
async def db_url(postgres: EmbeddedPostgres) -> AsyncIterator[str]:
    """A fresh, fully migrated database of the test's own."""
    async for url in _scratch_database(postgres, "test", TEMPLATE):
        yield url


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(db_url, max_size=5)
    yield pool
    await pool.close()
