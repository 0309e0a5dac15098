"""Shared fixtures: one embedded PostgreSQL + pgvector per test session, a fresh database
per test (cloned from a migrated template, so each test starts from the real schema)."""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from telegram.ext import Application

from bot.app import build_application, open_services
from bot.context import Services
from bot.emulator import BotApiEmulator
from bot.settings import Settings, load_settings
from domain.quiz.model import Draw
from storage.database import create_pool
from storage.embedded import EmbeddedPostgres, create_database_if_missing, drop_database
from storage.migrations import migrate
from tests.support import Dialogue, bot_api_spec
from tests.support.app import deliver_to
from tests.support.clock import FakeClock
from tests.support.report import reported

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


# -- the bot against the Bot API emulator ----------------------------------------------------

TOKEN = "123456:TEST-token_abcdefghijk"
BOT_ID = 123456  # the bot TOKEN belongs to: per-bot rows of the tests' bot carry it
ADMIN_ID = 1


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(TOKEN, spec=bot_api_spec(), bot_username="tutorbot_test_bot") as emu:
        yield emu
        emu.assert_no_rejections()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        data_dir=tmp_path,
        admin_telegram_ids=str(ADMIN_ID),
        embedding_backend="local",
        # Tests talk at machine speed, which is what flood control and per-chat pacing
        # exist to stop; their own tests (test_flood.py, test_outgoing_limiter.py) turn
        # them on with the production defaults.
        telegram_chat_burst=0,
        flood_messages_per_minute=0,
        flood_questions_per_minute=0,
    )


@pytest.fixture
def clock() -> FakeClock:
    """Starts at the real time; a test moves it to let a cooldown run out."""
    return FakeClock()


@pytest.fixture
async def services(settings: Settings, db_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    draw = Draw(random.Random(7))  # the same question order every run
    async with open_services(settings, db_url, clock=clock, draw=draw) as services:
        yield services


@pytest.fixture
async def application(services: Services, emulator: BotApiEmulator) -> AsyncIterator[Application]:
    app = build_application(services, TOKEN, polling=False, api_url=emulator.base_url)
    async with app:
        yield app


@pytest.fixture
def talk(emulator: BotApiEmulator, application: Application):
    """`talk(42, "Ada")` opens a private chat between a learner and the bot."""

    def open_chat(user_id: int = 42, first_name: str = "Ada", **kwargs) -> Dialogue:
        return Dialogue(
            emulator, deliver_to(application), user_id=user_id, first_name=first_name, **kwargs
        )

    return open_chat


_FROM_WORKERS: list[str] = []  # figures reported in pytest-xdist workers


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker, hand this worker's figures to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["reliability_figures"] = [entry.line() for entry in reported()]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    _FROM_WORKERS.extend(getattr(node, "workeroutput", {}).get("reliability_figures", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The reliability suites' figures (inputs tried, failures, limiter timings), at the end."""
    lines = [entry.line() for entry in reported()] + sorted(_FROM_WORKERS)
    if not lines:
        return
    terminalreporter.section("reliability figures")
    for line in lines:
        terminalreporter.write_line(line)
