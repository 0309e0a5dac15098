"""/mydata and /deleteme through the real bot, the Bot API emulator and the database; and
error replies that never carry a secret, whatever the failure's own message says."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiohttp import web
from pydantic import SecretStr
from telegram.ext import Application

from bot.ai.factory import build_embedder
from bot.app import build_application, open_services
from bot.callbacks import MAX_BYTES
from bot.context import Services
from bot.emulator import ApiError, BotApiEmulator
from bot.settings import Settings
from bot.views import privacy as views
from bot.views.common import SORRY
from storage.privacy import EXPORT
from tests.conftest import ADMIN_ID, TOKEN
from tests.support import Dialogue, bot_api_spec
from tests.support.app import deliver_to
from tests.support.clock import FakeClock
from tests.support.courses import TINY_PACK, import_pack
from tests.support.fake_openai import FakeOpenAI
from tests.support.report import report

OPENAI_KEY = "sk-proj-SECRET0123456789abcdefDONOTLEAK"


@pytest.fixture
async def tea(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def study(learner: Dialogue) -> None:
    """Enroll in the tea course, pick a persona, open a topic and ask the tutor once."""
    await learner.send("/start tiny")
    await learner.press("⚽ Sports")
    await learner.press("▶ Continue: 1.1")
    await learner.send("/timezone Europe/Berlin")
    await learner.send("Where does my pangolin tea come from?")


async def person_rows(pool: asyncpg.Pool, user_id: int) -> int:
    return await pool.fetchval(
        "SELECT (SELECT count(*) FROM users WHERE id = $1) "
        "+ (SELECT count(*) FROM enrollments WHERE user_id = $1)",
        user_id,
    )


async def test_mydata_sends_a_json_file_of_everything_stored_about_the_learner(
    talk, tea, emulator: BotApiEmulator
) -> None:
    ada = talk(42, "Ada", username="ada_l")
    await study(ada)

    await ada.send("/mydata")

    document = ada.last.document
    assert document is not None and document["file_name"] == "tutorbot-data-42.json"
    exported = json.loads(emulator.files[document["file_id"]].data)
    sections = exported["sections"]
    assert exported["format_version"] == 1 and exported["user_id"] == 42
    assert list(sections) == list(EXPORT)
    assert sections["users"][0]["username"] == "ada_l"
    assert sections["users"][0]["timezone"] == "Europe/Berlin"
    assert [(r["course_slug"], r["persona"]) for r in sections["topic_personalization"]] == [
        ("tiny", "sports")
    ]
    said = [m["content"] for m in sections["ai_mentor_thread_messages"] if m["role"] == "learner"]
    assert said == ["Where does my pangolin tea come from?"]
    updates = sections["update_inbox"]
    texts = [r.get("text") for r in updates]
    assert "/start tiny" in texts and "/mydata" in texts, "what they typed"
    pressed = [r.get("pressed") or "" for r in updates]
    assert any(label.startswith("⚽ Sports") for label in pressed), "the buttons they pressed"
    assert {r["kind"] for r in updates} == {"message", "callback_query"}
    assert all({"update_id", "received_at", "kind"} <= set(r) for r in updates)
    assert not any("payload" in r for r in updates), "a summary a person reads, not raw JSON"
    assert len(json.dumps(updates)) < 300 * len(updates), "a few lines each, not kilobytes"
    report(
        "privacy: /mydata",
        bytes=len(emulator.files[document["file_id"]].data),
        sections=len(sections),
        rows=sum(len(rows) for rows in sections.values()),
    )


async def test_deleteme_asks_first_and_cancel_erases_nothing(talk, tea, pool) -> None:
    ada = talk(42, "Ada")
    await study(ada)

    await ada.send("/deleteme")

    assert "Erase your data?" in ada.last.text
    assert all(len(data.encode()) <= MAX_BYTES for data in ada.last.button_data.values())
    await ada.press("✖ Cancel")
    assert ada.last.text == "✖ Cancelled: nothing was erased."
    assert ada.last.buttons == []
    assert await person_rows(pool, 42) == 2


async def test_a_confirmed_erasure_forgets_the_learner_and_start_begins_afresh(
    talk, tea, pool: asyncpg.Pool, emulator: BotApiEmulator, application: Application
) -> None:
    ada = talk(42, "Ada", username="ada_l")
    await study(ada)
    await talk(50, "Ben").send("/start tiny")
    await ada.send("/deleteme")
    confirm = ada.last.button_data["🗑 Yes, erase everything"]

    await ada.press("🗑 Yes, erase everything")

    assert "Your data has been erased" in ada.last.text and ada.last.buttons == []
    assert ada.answer_text == views.ERASED_TOAST
    assert await person_rows(pool, 42) == 0
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM update_inbox WHERE payload::text ~ 'Ada|pangolin'"
        )
        == 0
    ), "nothing they sent is left in the inbox"
    assert await pool.fetchval("SELECT count(*) FROM enrollments") == 2, "/stats still count 2"

    # Pressed again (a double tap) or delivered again (Telegram retrying): nothing happens,
    # and the profile isn't written back.
    press = emulator.updates[-1]
    await ada.press_forged(confirm)
    assert ada.answer_text == views.NOT_PENDING_TOAST
    await deliver_to(application)(press)
    assert "Your data has been erased" in ada.last.text
    assert await person_rows(pool, 42) == 0

    await ada.send("/start")
    assert "Hi Ada" in ada.last.text and "Your courses" not in ada.last.text
    assert "📘 Tea basics" in [label for row in ada.last.buttons for label in row]
    assert await pool.fetchval("SELECT timezone FROM users WHERE id = 42") is None
    await ada.send("/start tiny")
    assert "You're enrolled in" in ada.last.text, "a new enrollment, persona to pick again"
    assert "✓ ⚽ Sports" not in [label for row in ada.last.buttons for label in row]


async def test_a_replica_that_still_remembers_an_erased_learner_writes_them_again(
    talk, tea, pool: asyncpg.Pool
) -> None:
    """Another replica carried out /deleteme; this one remembered Ada's profile (it skips
    writing a profile it saw in the last 30 s), so her next write finds no user row."""
    ada = talk(42, "Ada")
    await ada.send("/courses")
    await pool.execute("DELETE FROM users WHERE id = 42")  # the erasure, done elsewhere

    await ada.send("/start tiny")

    assert "You're enrolled in" in ada.last.text
    assert all(m.text != SORRY for m in ada.messages)
    assert await pool.fetchval("SELECT first_name FROM users WHERE id = 42") == "Ada"
    settled = await pool.fetchrow(
        "SELECT attempts, failed FROM update_inbox ORDER BY update_id DESC LIMIT 1"
    )
    assert (settled["attempts"], settled["failed"]) == (2, False), "handled again, once"


async def test_an_old_or_replaced_confirmation_answers_politely_and_erases_nothing(
    talk, tea, pool: asyncpg.Pool, clock: FakeClock
) -> None:
    ada = talk(42, "Ada")
    await study(ada)
    await ada.send("/deleteme")
    first = ada.last
    await ada.send("/deleteme")

    await ada.press_forged(first.button_data["🗑 Yes, erase everything"], first.message_id)
    assert ada.answer_text == views.NOT_PENDING_TOAST, "the newer /deleteme replaced it"

    clock.advance(minutes=11)
    await ada.press("🗑 Yes, erase everything")
    assert ada.answer_text == views.EXPIRED_TOAST
    assert "expired" in ada.last.text and ada.last.buttons == []
    assert await person_rows(pool, 42) == 2


async def test_an_admin_may_erase_themselves_and_is_admin_again_by_configuration(
    talk, tea, pool: asyncpg.Pool
) -> None:
    await talk(42, "Ada", username="ada_l").send("/start tiny")
    grace = talk(ADMIN_ID, "Grace")
    await grace.send("/learner @ada_l")
    await grace.send("/deleteme")
    assert "You are admin" in grace.last.text

    await grace.press("🗑 Yes, erase everything")

    assert await pool.fetchval("SELECT count(*) FROM users WHERE id = $1", ADMIN_ID) == 0
    kept = await pool.fetch("SELECT action, target FROM admin_audit WHERE actor_id = $1", ADMIN_ID)
    assert [tuple(r) for r in kept] == [("learner", "@ada_l")], "what they did as staff stays"
    await grace.send("/admin")
    assert "Staff commands" in grace.last.text


# -- secrets in error messages --------------------------------------------------------------


class KeyQuotingOpenAI(FakeOpenAI):
    """An OpenAI-compatible gateway whose error message quotes the credentials it was sent
    (some proxies do; OpenAI's own 401 quotes part of the key). `quote_key` turns it on."""

    quote_key = False

    async def _embeddings(self, request: web.Request) -> web.Response:
        if not self.quote_key:
            return await super()._embeddings(request)
        return web.json_response(
            {
                "error": {
                    "message": f"Malformed request with {request.headers['Authorization']}",
                    "type": "invalid_request_error",
                }
            },
            status=400,
        )


class UrlQuotingTelegram(BotApiEmulator):
    """Telegram refusing uploads with an error that quotes the request URL, bot token and
    all, once `refuse_uploads` is set."""

    refuse_uploads = False

    async def _send_document(self, params: dict[str, Any]) -> Any:
        if self.refuse_uploads:
            raise ApiError.bad_request(f"upload to /bot{self.token}/sendDocument failed")
        return await super()._send_document(params)


def failures_quoting(caplog: pytest.LogCaptureFixture, secret: str) -> int:
    """Errors logged with a traceback that holds the secret (in any case: PTB lower-cases
    Telegram's error text), proving the failure really carried it. Production logs are
    redacted by bot.cli.logs; tests capture the raw records."""
    return sum(
        1
        for record in caplog.records
        if record.exc_info
        and secret.casefold() in logging.Formatter().formatException(record.exc_info).casefold()
    )


def leaked(emulator: BotApiEmulator, *secrets: str) -> list[str]:
    """Every Bot API call the bot made whose parameters contain one of the secrets."""
    return [
        call.method
        for call in emulator.calls
        if any(s.casefold() in str(call.params).casefold() for s in secrets)
    ]


@pytest.fixture
async def model() -> AsyncIterator[KeyQuotingOpenAI]:
    server = KeyQuotingOpenAI(api_key=OPENAI_KEY)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def keyed_bot(
    settings: Settings, db_url: str, pool: asyncpg.Pool, emulator: BotApiEmulator, model
) -> AsyncIterator[Application]:
    """The bot with OpenAI embeddings and chat, and the tea course indexed by them."""
    configured = settings.model_copy(
        update={
            "openai_api_key": SecretStr(OPENAI_KEY),
            "openai_base_url": model.base_url,
            "embedding_backend": "openai",
        }
    )
    await import_pack(pool, TINY_PACK, embedder=build_embedder(configured))
    async with open_services(configured, db_url) as services:
        app = build_application(services, TOKEN, polling=False, api_url=emulator.base_url)
        async with app:
            yield app


async def test_an_upstream_error_quoting_the_openai_key_reaches_the_learner_as_an_apology(
    emulator: BotApiEmulator,
    keyed_bot: Application,
    model: KeyQuotingOpenAI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ada = Dialogue(emulator, deliver_to(keyed_bot), user_id=42, first_name="Ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue: 1.1")
    model.quote_key = True

    await ada.send("Where does tea come from?")

    assert failures_quoting(caplog, OPENAI_KEY) >= 1
    assert ada.last.text == SORRY
    assert leaked(emulator, OPENAI_KEY, TOKEN) == []


async def test_a_telegram_error_quoting_the_bot_token_reaches_the_learner_as_an_apology(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    async with UrlQuotingTelegram(TOKEN, spec=bot_api_spec()) as telegram:
        app = build_application(services, TOKEN, polling=False, api_url=telegram.base_url)
        async with app:
            ada = Dialogue(telegram, deliver_to(app), user_id=42, first_name="Ada")
            telegram.refuse_uploads = True

            await ada.send("/mydata")

        assert failures_quoting(caplog, TOKEN) >= 1
        assert ada.last.text == SORRY
        assert leaked(telegram, TOKEN) == []
        assert len(telegram.expect(400)) == 1, "the refused upload, provoked on purpose"
        telegram.assert_no_rejections()
