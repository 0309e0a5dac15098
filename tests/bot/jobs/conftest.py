"""Fixtures of the background jobs' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram.ext import Application

from bot.app import build_application, open_services
from bot.context import Services
from bot.emulator import BotApiEmulator
from bot.settings import Settings
from tests.conftest import TOKEN
from tests.support.clock import FakeClock


@pytest.fixture
async def second_replica(
    settings: Settings, db_url: str, emulator: BotApiEmulator, clock: FakeClock
) -> AsyncIterator[tuple[Services, Application]]:
    """Another bot process on the same database: its own pool, its own Application."""
    async with open_services(settings, db_url, clock=clock) as services:
        app = build_application(services, TOKEN, polling=False, api_url=emulator.base_url)
        async with app:
            yield services, app
