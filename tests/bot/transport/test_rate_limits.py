"""Flood control: when Telegram answers 429, the bot waits as told and the reply still arrives;
with per-chat pacing on (production), it doesn't come to a 429 at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram.ext import Application

from bot.app import build_application, open_services
from bot.context import Services
from bot.emulator import BotApiEmulator
from bot.settings import Settings
from tests.conftest import TOKEN
from tests.support import Dialogue, bot_api_spec
from tests.support.app import deliver_to
from tests.support.clock import FakeClock


@pytest.fixture
async def strict_telegram() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(TOKEN, spec=bot_api_spec(), enforce_rate_limits=True) as emu:
        yield emu


@pytest.fixture
async def app(services: Services, strict_telegram: BotApiEmulator) -> AsyncIterator[Application]:
    application = build_application(
        services, TOKEN, polling=False, api_url=strict_telegram.base_url
    )
    async with application:
        yield application


@pytest.fixture
async def paced_app(
    settings: Settings, db_url: str, strict_telegram: BotApiEmulator, clock: FakeClock
) -> AsyncIterator[Application]:
    """The production per-chat pacing (the suite's settings switch it off)."""
    burst = Settings.model_fields["telegram_chat_burst"].default
    paced = settings.model_copy(update={"telegram_chat_burst": burst})
    async with open_services(paced, db_url, clock=clock) as services:
        application = build_application(
            services, TOKEN, polling=False, api_url=strict_telegram.base_url
        )
        async with application:
            yield application


async def test_a_learner_typing_fast_still_gets_every_answer(
    strict_telegram: BotApiEmulator, app: Application
) -> None:
    ada = Dialogue(strict_telegram, deliver_to(app), user_id=42, first_name="Ada")

    for command in ("/start", "/help", "/courses", "/progress"):
        await ada.send(command)

    rejected = [c for c in strict_telegram.rejections if c.error and "Too Many" in c.error]
    assert rejected, "the fourth message in three seconds is refused by Telegram once"
    assert len(ada.messages) == 4, "and sent again after the advised wait"
    assert ada.last.text.startswith("You're not enrolled in any course yet")


async def test_with_per_chat_pacing_the_fourth_message_waits_instead_of_being_refused(
    strict_telegram: BotApiEmulator, paced_app: Application
) -> None:
    ada = Dialogue(strict_telegram, deliver_to(paced_app), user_id=42, first_name="Ada")

    for command in ("/start", "/help", "/courses", "/progress"):
        await ada.send(command)

    assert strict_telegram.rejections == [], "Telegram never had to say 429"
    assert len(ada.messages) == 4
    assert ada.last.text.startswith("You're not enrolled in any course yet")
