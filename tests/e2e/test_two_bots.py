"""Two bots (two tokens) on one database: a demo left open next to `tutorbot run`, two
demos side by side, or two bots sharing one PostgreSQL. Each bot is its own Telegram
with its own update ids and chats, so each process must only ever take its own bot's
updates, announce its own learners' cooldowns and send its own broadcasts.

Each bot here is a complete process as `tutorbot run` builds it — its own services and
pool, its own Application, inbox worker and scheduler — talking to its own emulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import asyncpg
import pytest
from pydantic import SecretStr
from telegram.ext import Application

from bot.app import build_application, inbox_worker, open_services
from bot.context import Services
from bot.emulator import BotApiEmulator
from bot.jobs.cooldowns import CooldownAnnouncer
from bot.settings import Settings
from tests.conftest import ADMIN_ID
from tests.support import Dialogue, bot_api_spec
from tests.support.app import deliver_to
from tests.support.courses import TINY_PACK, import_pack

ADA_BOT = "111111:ADA-bot-token_abcdefgh"
BOB_BOT = "222222:BOB-bot-token_abcdefgh"
ADA, BOB = 1001, 2002
OPEN_AGAIN = "The Module 1 quiz is open again"


@dataclass
class Bot:
    emulator: BotApiEmulator
    services: Services
    application: Application

    def talk(self, user_id: int, name: str) -> Dialogue:
        return Dialogue(
            self.emulator, deliver_to(self.application), user_id=user_id, first_name=name
        )

    def refused(self) -> list[str]:
        return [f"{call.method}: {call.error}" for call in self.emulator.calls if not call.ok]


@asynccontextmanager
async def running_bot(settings: Settings, db_url: str, token: str) -> AsyncIterator[Bot]:
    """One bot process. Both emulators hand out the same update ids (1, 2, ...), as two
    real bots' Telegram may: an update id means nothing without its bot."""
    configured = settings.model_copy(update={"telegram_bot_token": SecretStr(token)})
    async with (
        BotApiEmulator(token, spec=bot_api_spec()) as emulator,
        open_services(configured, db_url) as services,
    ):
        app = build_application(services, token, polling=False, api_url=emulator.base_url)
        async with app:
            yield Bot(emulator, services, app)


@pytest.fixture
async def bots(
    settings: Settings, db_url: str, pool: asyncpg.Pool
) -> AsyncIterator[tuple[Bot, Bot]]:
    await import_pack(pool, TINY_PACK)
    async with AsyncExitStack() as stack:
        ada_bot = await stack.enter_async_context(running_bot(settings, db_url, ADA_BOT))
        bob_bot = await stack.enter_async_context(running_bot(settings, db_url, BOB_BOT))
        yield ada_bot, bob_bot


async def test_each_bot_takes_only_the_updates_sent_to_it(
    bots: tuple[Bot, Bot], pool: asyncpg.Pool
) -> None:
    ada_bot, bob_bot = bots
    ada_worker, bob_worker = inbox_worker(ada_bot.application), inbox_worker(bob_bot.application)
    ada_worker.start()  # Ada's bot is up and polls the inbox for work
    try:
        ada = ada_bot.talk(ADA, "Ada")
        assert "Hi Ada" in (await ada.send("/start"))[0].text

        # Bob writes to his bot while its process is still starting: his update waits in
        # the shared inbox, where Ada's busy worker must leave it.
        bob_bot.emulator.user(BOB, "Bob")
        update = bob_bot.emulator.send_text(BOB, "/start", deliver=False)
        assert await bob_worker.receive_many([update]) == 1, "not mistaken for Ada's update 1"
        await asyncio.sleep(2.5)  # two of Ada's worker's idle polls
        assert ada_bot.refused() == [], "Ada's bot never answered Bob through her Telegram"
        assert bob_bot.emulator.bot_messages(BOB) == []

        bob_worker.start()
        await bob_bot.emulator.wait_for(lambda: bob_bot.emulator.bot_messages(BOB), within=10)
    finally:
        await ada_worker.stop()
        await bob_worker.stop()

    assert "Hi Bob" in bob_bot.emulator.bot_messages(BOB)[0].text
    assert BOB not in ada_bot.emulator.chats, "Bob has no chat with Ada's bot"
    assert ada_bot.refused() == bob_bot.refused() == []
    rows = await pool.fetch(
        "SELECT bot_id, update_id, chat_key FROM update_inbox ORDER BY bot_id, update_id"
    )
    assert [tuple(r) for r in rows] == [(111111, 1, ADA), (222222, 1, BOB)]


async def test_a_cooldown_notice_comes_from_the_bot_the_learner_talks_to(
    bots: tuple[Bot, Bot], pool: asyncpg.Pool
) -> None:
    ada_bot, bob_bot = bots
    await ada_bot.talk(ADA, "Ada").send("/start tiny")
    await bob_bot.talk(BOB, "Bob").send("/start tiny")
    await pool.execute(
        "UPDATE module_progress SET quiz_attempts = 1, cooldown_until = now() - interval '1 minute'"
    )

    ada_sweep = await CooldownAnnouncer(ada_bot.services, ada_bot.application.bot).sweep()
    bob_sweep = await CooldownAnnouncer(bob_bot.services, bob_bot.application.bot).sweep()

    assert (ada_sweep.announced, bob_sweep.announced) == (1, 1)
    assert OPEN_AGAIN in ada_bot.emulator.bot_messages(ADA)[-1].text
    assert OPEN_AGAIN in bob_bot.emulator.bot_messages(BOB)[-1].text
    assert ada_bot.refused() == bob_bot.refused() == []

    # Bob now writes to Ada's bot too: from then on, that is the bot that tells him.
    await ada_bot.talk(BOB, "Bob").send("/start")
    await pool.execute(
        "UPDATE module_progress SET cooldown_until = now() - interval '1 minute', "
        "cooldown_notified_at = NULL WHERE user_id = $1",
        BOB,
    )
    assert (await CooldownAnnouncer(bob_bot.services, bob_bot.application.bot).sweep()).claimed == 0
    assert (
        await CooldownAnnouncer(ada_bot.services, ada_bot.application.bot).sweep()
    ).announced == 1
    assert OPEN_AGAIN in ada_bot.emulator.bot_messages(BOB)[-1].text


async def test_a_broadcast_reaches_its_own_bots_learners_and_resumes_only_there(
    bots: tuple[Bot, Bot], pool: asyncpg.Pool
) -> None:
    ada_bot, bob_bot = bots
    await ada_bot.talk(ADA, "Ada").send("/start tiny")
    await bob_bot.talk(BOB, "Bob").send("/start tiny")  # enrolled too, but through Bob's bot
    admin = ada_bot.talk(ADMIN_ID, "Grace")

    await admin.send("/broadcast tiny Exam week: good luck!")
    await admin.press("Send")
    progress = admin.last
    await ada_bot.emulator.wait_for(lambda: "Broadcast sent" in progress.text, within=10)

    recipients = await pool.fetch("SELECT user_id, status FROM broadcast_recipients")
    assert [tuple(r) for r in recipients] == [(ADA, "sent")], "Ada's bot cannot write to Bob"
    assert "Exam week" in ada_bot.emulator.bot_messages(ADA)[-1].text
    assert all("Exam week" not in m.text for m in bob_bot.emulator.bot_messages(BOB))
    assert ada_bot.refused() == bob_bot.refused() == []
    # Had Ada's bot stopped mid-way, only a process of Ada's bot would resume it.
    [broadcast_id] = await pool.fetch("UPDATE broadcasts SET status = 'sending' RETURNING id")
    assert await bob_bot.services.broadcasts.unfinished() == []
    assert await ada_bot.services.broadcasts.unfinished() == [broadcast_id["id"]]
