"""Webhook mode: our aiohttp server between Telegram (the emulator) and the inbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from telegram.ext import Application

from bot.app import inbox_worker
from bot.context import Services
from bot.emulator import BotApiEmulator
from bot.transport.webhook import SECRET_HEADER, WebhookState, build_web_app
from storage.embedded import drop_database

SECRET = "s3cret-token_value"
PATH = "/telegram/updates"
GOOD = {SECRET_HEADER: SECRET}


@pytest.fixture
def state() -> WebhookState:
    return WebhookState()


@pytest.fixture
async def server(
    application: Application, services: Services, state: WebhookState
) -> AsyncIterator[str]:
    worker = inbox_worker(application)
    web_app = build_web_app(worker, services, path=PATH, secret=SECRET, state=state)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    await application.start()
    worker.start()
    yield f"http://127.0.0.1:{port}"
    await worker.stop()
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


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}])
async def test_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    server: str, emulator: BotApiEmulator, pool: asyncpg.Pool, services: Services, headers
) -> None:
    status = await post(server + PATH, start_update(emulator), headers)
    await asyncio.sleep(0.2)

    assert status == 403
    assert await pool.fetchval("SELECT count(*) FROM update_inbox") == 0
    assert await pool.fetchval("SELECT count(*) FROM users") == 0
    assert emulator.bot_messages(42) == []
    assert services.metrics.value("tutorbot_webhook_rejected_total") == 1


@pytest.mark.parametrize(
    "body",
    [{"nonsense": True}, [1, 2], {"update_id": "7", "message": {}}, {"update_id": 7}],
    ids=["no-update-id", "not-an-object", "id-not-a-number", "no-content"],
)
async def test_a_body_that_is_no_update_is_a_400_and_nothing_is_stored(
    server: str, pool: asyncpg.Pool, body: object
) -> None:
    assert await post(server + PATH, body, GOOD) == 400
    assert await pool.fetchval("SELECT count(*) FROM update_inbox") == 0


async def test_telegram_delivers_through_the_webhook_and_the_bot_answers(
    server: str, emulator: BotApiEmulator, application: Application, pool: asyncpg.Pool
) -> None:
    await application.bot.set_webhook(server + PATH, secret_token=SECRET)
    emulator.user(42, "Ada")

    emulator.send_text(42, "/start")  # the emulator pushes it to our webhook, as Telegram does
    await emulator.wait_for(lambda: len(emulator.bot_messages(42)) == 1)

    assert "Hi Ada!" in emulator.bot_messages(42)[0].text
    assert await pool.fetchval("SELECT count(*) FROM users") == 1


async def test_an_acknowledged_update_is_already_stored(
    server: str, emulator: BotApiEmulator, pool: asyncpg.Pool
) -> None:
    update = start_update(emulator)

    assert await post(server + PATH, update, GOOD) == 200
    row = await pool.fetchrow(
        "SELECT kind, chat_key, payload FROM update_inbox WHERE update_id = $1",
        update["update_id"],
    )

    assert row is not None
    assert (row["kind"], row["chat_key"], row["payload"]) == ("message", 42, update)


async def test_a_nul_character_is_stored_as_a_replacement_and_the_batch_is_not_lost(
    server: str, emulator: BotApiEmulator, pool: asyncpg.Pool
) -> None:
    """PostgreSQL cannot hold U+0000; one such update must not fail those stored with it."""
    emulator.user(42, "Ada")
    emulator.user(43, "Bob")
    hostile = emulator.send_text(42, "a\x00b", deliver=False)
    plain = emulator.send_text(43, "/start", deliver=False)

    statuses = await asyncio.gather(
        post(server + PATH, hostile, GOOD), post(server + PATH, plain, GOOD)
    )
    await emulator.wait_for(lambda: emulator.bot_messages(42) and emulator.bot_messages(43))

    assert statuses == [200, 200]
    stored = await pool.fetchval(
        "SELECT payload -> 'message' ->> 'text' FROM update_inbox WHERE update_id = $1",
        hostile["update_id"],
    )
    assert stored == "a\ufffdb"
    failed = await pool.fetchval("SELECT count(*) FROM update_inbox WHERE failed")
    assert failed == 0


async def test_a_press_is_handled_and_stored_whole_though_parsed_without_its_keyboard(
    server: str, emulator: BotApiEmulator, pool: asyncpg.Pool
) -> None:
    """PTB parses a press's message without the keyboard and formatting no handler reads;
    the inbox keeps the update exactly as Telegram sent it."""
    assert await post(server + PATH, start_update(emulator), GOOD) == 200
    await emulator.wait_for(lambda: len(emulator.bot_messages(42)) == 1)
    home = emulator.bot_messages(42)[0]
    data = home.reply_markup["inline_keyboard"][0][0]["callback_data"]
    press = emulator.press_button(42, home.message_id, data, deliver=False)
    assert press["callback_query"]["message"]["reply_markup"], "the press carries a keyboard"

    assert await post(server + PATH, press, GOOD) == 200
    await emulator.wait_for(lambda: any(c.method == "answerCallbackQuery" for c in emulator.calls))

    stored = await pool.fetchval(
        "SELECT payload FROM update_inbox WHERE update_id = $1", press["update_id"]
    )
    assert stored == press
    assert emulator.unanswered_callback_queries() == []
    assert await pool.fetchval("SELECT count(*) FROM update_inbox WHERE failed") == 0


async def test_a_redelivered_webhook_update_is_applied_once(
    server: str, emulator: BotApiEmulator, pool: asyncpg.Pool, services: Services
) -> None:
    update = start_update(emulator)
    for _ in range(3):
        assert await post(server + PATH, update, GOOD) == 200
    await emulator.wait_for(lambda: len(emulator.bot_messages(42)) >= 1)
    await asyncio.sleep(0.3)

    assert len(emulator.bot_messages(42)) == 1
    assert services.metrics.value("tutorbot_updates_duplicate_total", type="message") == 2
    assert await pool.fetchval("SELECT count(*) FROM update_inbox") == 1


async def test_with_the_database_unavailable_the_webhook_answers_503_so_telegram_retries(
    server: str, emulator: BotApiEmulator, services: Services
) -> None:
    await services.database.close()

    assert await post(server + PATH, start_update(emulator), GOOD) == 503
    assert (await get(server + "/readyz"))[0] == 503
    assert (await get(server + "/healthz"))[0] == 200  # alive: restarting would not help


async def test_while_draining_for_shutdown_updates_are_refused_with_503(
    server: str, emulator: BotApiEmulator, state: WebhookState, pool: asyncpg.Pool
) -> None:
    state.draining = True

    assert await post(server + PATH, start_update(emulator), GOOD) == 503
    assert (await get(server + "/readyz"))[0] == 503
    assert await pool.fetchval("SELECT count(*) FROM update_inbox") == 0


async def test_metrics_parse_and_move_as_updates_flow(
    server: str, emulator: BotApiEmulator
) -> None:
    def samples(text: str) -> dict[tuple[str, tuple], float]:
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    status, before = await get(server + "/metrics")
    assert status == 200
    for user_id in (42, 43, 44):
        assert await post(server + PATH, start_update(emulator, user_id), GOOD) == 200
    await emulator.wait_for(lambda: all(emulator.bot_messages(u) for u in (42, 43, 44)))
    await asyncio.sleep(0.2)
    after = samples((await get(server + "/metrics"))[1])

    message = (("type", "message"),)
    assert "tutorbot_updates_received_total" not in [k[0] for k in samples(before)] or (
        samples(before).get(("tutorbot_updates_received_total", message), 0) == 0
    )
    assert after[("tutorbot_updates_received_total", message)] == 3
    assert after[("tutorbot_updates_processed_total", message)] == 3
    assert after[("tutorbot_handler_seconds_count", message)] == 3
    assert after[("tutorbot_bot_api_seconds_count", (("method", "sendMessage"),))] >= 3
    assert after[("tutorbot_inbox_depth", ())] == 0


async def test_readiness_reports_the_database_down(server: str, postgres, db_url: str) -> None:
    await drop_database(postgres.admin_url(), urlparse(db_url).path.lstrip("/"))

    status, body = await get(server + "/readyz")
    assert status == 503
    assert "database unavailable" in body
    assert (await get(server + "/healthz"))[0] == 200


async def test_updates_queued_behind_a_chat_running_here_are_handed_on_without_polling(
    server: str, emulator: BotApiEmulator, services: Services
) -> None:
    emulator.user(42, "Ada")
    updates = [
        emulator.send_text(42, text, deliver=False) for text in ("/start", "/help", "/start")
    ]
    await post(server + PATH, start_update(emulator, 43), GOOD)  # warms the pool and Ada's twin
    await emulator.wait_for(lambda: len(emulator.bot_messages(43)) == 1)
    before = services.metrics.value("tutorbot_db_queries_total")

    statuses = await asyncio.gather(*(post(server + PATH, u, GOOD) for u in updates))
    await emulator.wait_for(lambda: len(emulator.bot_messages(42)) == 3)
    await asyncio.sleep(0.7)  # longer than the poll loop's brisk spell after a wake-up

    spent = services.metrics.value("tutorbot_db_queries_total") - before
    print(f"\nstatements for three updates of one chat posted at once: {spent:.0f}")
    assert statuses == [200, 200, 200]
    assert "Hi Ada!" in emulator.bot_messages(42)[0].text
    # Each update: stored, handled (the first writes Ada's user row too), done; a poll for
    # the ones stored behind her chat would add one claim every 20 ms for half a second.
    assert spent <= 14
