"""Webhook mode: our aiohttp server between Telegram (the emulator) and the Application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from telegram.ext import Application

from bot.context import Services
from bot.emulator import BotApiEmulator
from bot.webhook import SECRET_HEADER, build_web_app
from storage.embedded import drop_database

SECRET = "s3cret-token_value"
PATH = "/telegram/updates"


@pytest.fixture
async def server(application: Application, services: Services) -> AsyncIterator[str]:
    runner = web.AppRunner(build_web_app(application, services, path=PATH, secret=SECRET))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    await application.start()
    yield f"http://127.0.0.1:{port}"
    await application.stop()
    await runner.cleanup()


def start_update(emulator: BotApiEmulator, user_id: int = 42) -> dict:
    emulator.user(user_id, "Ada")
    return emulator.send_text(user_id, "/start", deliver=False)


async def post(url: str, payload: object, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=payload, headers=headers) as response,
    ):
        return response.status


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}])
async def test_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    server: str, emulator: BotApiEmulator, pool: asyncpg.Pool, services: Services, headers
) -> None:
    status = await post(server + PATH, start_update(emulator), headers)
    await asyncio.sleep(0.2)

    assert status == 403
    assert await pool.fetchval("SELECT count(*) FROM users") == 0
    assert await pool.fetchval("SELECT count(*) FROM processed_updates") == 0
    assert emulator.bot_messages(42) == []
    assert services.metrics.value("tutorbot_webhook_rejected_total") == 1


async def test_garbage_body_with_the_right_secret_is_a_400(server: str) -> None:
    assert await post(server + PATH, {"nonsense": True}, {SECRET_HEADER: SECRET}) == 400


async def test_telegram_delivers_through_the_webhook_and_the_bot_answers(
    server: str, emulator: BotApiEmulator, application: Application, pool: asyncpg.Pool
) -> None:
    await application.bot.set_webhook(server + PATH, secret_token=SECRET)
    emulator.user(42, "Ada")

    emulator.send_text(42, "/start")  # the emulator pushes it to our webhook, as Telegram does
    await emulator.wait_for(lambda: len(emulator.bot_messages(42)) == 1)

    assert "Hi Ada!" in emulator.bot_messages(42)[0].text
    assert await pool.fetchval("SELECT count(*) FROM users") == 1


async def test_a_redelivered_webhook_update_is_applied_once(
    server: str, emulator: BotApiEmulator, pool: asyncpg.Pool
) -> None:
    update = start_update(emulator)
    for _ in range(3):
        assert await post(server + PATH, update, {SECRET_HEADER: SECRET}) == 200
    await emulator.wait_for(lambda: len(emulator.bot_messages(42)) >= 1)
    await asyncio.sleep(0.3)

    assert len(emulator.bot_messages(42)) == 1


async def test_health_and_readiness(server: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(server + "/healthz") as response:
            assert response.status == 200
        async with session.get(server + "/readyz") as response:
            assert response.status == 200
        async with session.get(server + "/metrics") as response:
            assert "tutorbot_updates_received_total" in await response.text()


async def test_readiness_reports_the_database_down(server: str, postgres, db_url: str) -> None:
    await drop_database(postgres.admin_url(), urlparse(db_url).path.lstrip("/"))

    async with aiohttp.ClientSession() as session, session.get(server + "/readyz") as response:
        assert response.status == 503
        assert (await response.json())["status"] == "database unavailable"
        async with session.get(server + "/healthz") as health:
            assert health.status == 200
