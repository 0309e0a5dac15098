"""Certificates for page tests: a valid, a revoked and an erased holder's, issued through
the service on the real database, and the verification page served on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from bot.context import Services
from bot.transport.verify_page import build_verify_app
from domain.progress import CourseCompleted
from tests.support.courses import TINY_PACK, import_pack

ISSUED = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ADMIN = 1


@dataclass(frozen=True)
class Issued:
    valid: str
    revoked: str
    erased: str


async def issue_three(pool: asyncpg.Pool, services: Services) -> Issued:
    await import_pack(pool, TINY_PACK)
    course = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    codes = []
    for user_id, name in ((41, "Zoë Łukasiewicz-Ødegård"), (42, "Bo <b>Bold</b>"), (43, "Cy")):
        await pool.execute("INSERT INTO users (id, first_name) VALUES ($1, 'L')", user_id)
        await services.certificates.set_name(user_id, name)
        issued = await services.certificates.completed(
            CourseCompleted(user_id, course, ISSUED), "fallback"
        )
        assert issued is not None
        codes.append(issued.code)
    await pool.execute(
        "INSERT INTO users (id, first_name, role) VALUES ($1, 'Root', 'admin')", ADMIN
    )
    await services.certificates.revoke(ADMIN, codes[1], "copied")
    await pool.execute(  # what /deleteme does to a certificate (storage/privacy.py)
        "UPDATE certificates SET holder_name = NULL, holder_erased = true, user_id = NULL "
        "WHERE code = $1",
        codes[2],
    )
    return Issued(*codes)


@asynccontextmanager
async def verify_server(services: Services) -> AsyncIterator[str]:
    runner = web.AppRunner(build_verify_app(services))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
