"""The certificate verification page over real HTTP: valid, revoked, erased and unknown
codes; forged input answered as unknown (never a 500); the same page on the webhook
server; per-address rate limiting; unknown codes answer no faster than known ones."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import quote

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from telegram.ext import Application

from bot.app import inbox_worker
from bot.cli.runtime import verify_server as verify_server_of
from bot.context import Services
from bot.transport.verify_page import FLOOR_SECONDS, RateLimit
from bot.transport.webhook import build_web_app
from tests.support.certificates import Issued, issue_three, verify_server


@pytest.fixture
async def issued(pool: asyncpg.Pool, services: Services) -> Issued:
    return await issue_three(pool, services)


@pytest.fixture
async def page(services: Services) -> AsyncIterator[str]:
    async with verify_server(services) as url:
        yield url


async def get(url: str, **headers: str) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as r:
        return r.status, await r.text(), dict(r.headers)


async def test_a_valid_certificate_shows_name_course_and_date_only(
    page: str, issued: Issued
) -> None:
    status, html, headers = await get(f"{page}/verify/{issued.valid}")
    assert status == 200
    assert "Valid certificate" in html and "Zoë Łukasiewicz-Ødegård" in html
    assert "Tea basics" in html and "2 December 2026" in html
    assert "modules" not in html, "no score, no other data"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


async def test_revoked_erased_and_unknown_say_so(page: str, issued: Issued) -> None:
    status, html, _ = await get(f"{page}/verify/{issued.revoked}")
    assert status == 200 and "Revoked certificate" in html and "Revoked</dt>" in html
    assert "Bo &lt;b&gt;Bold&lt;/b&gt;" in html, "a name is text, escaped"
    status, html, _ = await get(f"{page}/verify/{issued.erased}")
    assert status == 200 and "Issued; the holder erased their data" in html
    status, html, _ = await get(f"{page}/verify/{'A' * 16}")
    assert status == 404 and "Unknown code" in html


async def test_the_form_checks_a_code_from_the_query(page: str, issued: Issued) -> None:
    status, html, _ = await get(f"{page}/verify")
    assert status == 200 and '<form method="get" action="/verify">' in html
    status, html, _ = await get(f"{page}/verify?code={issued.valid}")
    assert status == 200 and "Valid certificate" in html
    assert f'value="{issued.valid}"' in html


@pytest.mark.parametrize(
    "forged",
    [
        "x" * 5000,
        "' OR 1=1 --",
        "..%2F..%2Fetc%2Fpasswd",
        quote("𝓬𝓸𝓭𝓮𝓬𝓸𝓭𝓮𝓬𝓸𝓭𝓮𝓬𝓸𝓭𝓮"),
        "%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00",
        quote('"><script>alert(1)</script>'),
    ],
)
async def test_forged_codes_are_unknown_never_an_error(
    page: str, issued: Issued, forged: str
) -> None:
    for url in (f"{page}/verify/{forged}", f"{page}/verify?code={forged}"):
        status, html, _ = await get(url)
        assert status == 404, (url[:80], status)
        assert "Unknown code" in html and "<script>" not in html


async def test_the_webhook_server_serves_the_page_too(
    application: Application, services: Services, issued: Issued
) -> None:
    app = build_web_app(inbox_worker(application), services, path="/telegram/x", secret="s")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        status, html, _ = await get(f"http://127.0.0.1:{port}/verify/{issued.valid}")
        assert status == 200 and "Valid certificate" in html
    finally:
        await runner.cleanup()


async def test_one_address_is_limited_and_others_are_not(page: str, issued: Issued) -> None:
    statuses = [(await get(f"{page}/verify/{issued.valid}"))[0] for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    limit = RateLimit(2, clock=lambda: 0.0)
    assert [limit.allow("a"), limit.allow("a"), limit.allow("a"), limit.allow("b")] == [
        True,
        True,
        False,
        True,
    ]


async def test_unknown_codes_take_as_long_as_known_ones(services: Services, issued: Issued) -> None:
    async def timed(code: str) -> float:
        started = time.perf_counter()
        await get(f"{url}/verify/{code}")
        return time.perf_counter() - started

    async with verify_server(services) as url:
        known = [await timed(issued.valid) for _ in range(10)]
        unknown = [await timed("B" * 16) for _ in range(10)]
        forged = [await timed("x" * 40) for _ in range(5)]
    for times in (known, unknown, forged):
        assert min(times) >= FLOOR_SECONDS
    assert abs(statistics.median(known) - statistics.median(unknown)) < FLOOR_SECONDS


async def test_polling_mode_serves_the_page_only_on_verify_port(
    services: Services, issued: Issued
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    off = replace(services, settings=services.settings.model_copy(update={"verify_port": None}))
    async with verify_server_of(off):
        with pytest.raises(aiohttp.ClientConnectionError):
            await get(f"http://127.0.0.1:{port}/verify/{issued.valid}")
    update = {"verify_port": port, "webhook_host": "127.0.0.1"}
    on = replace(services, settings=services.settings.model_copy(update=update))
    async with verify_server_of(on):
        status, html, _ = await get(f"http://127.0.0.1:{port}/verify/{issued.valid}")
        assert status == 200 and "Valid certificate" in html


async def test_a_database_gone_answers_503_not_an_error(services: Services) -> None:
    async with verify_server(services) as url:
        await services.database.close()  # the pool is gone: nothing answers
        status, html, headers = await get(f"{url}/verify/{'C' * 16}")
    assert status == 503 and "try again" in html and headers["Retry-After"] == "30"
