"""`tutorbot run` as operators start it: a real process against the Bot API emulator."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.emulator import BotApiEmulator
from tests.conftest import TOKEN

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def start_bot(tmp_path: Path, db_url: str, emulator: BotApiEmulator):
    processes: list[asyncio.subprocess.Process] = []

    async def start(**extra: str) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
        env.update(
            PYTHONPATH=str(REPO),
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=emulator.base_url,
            DATABASE_URL=db_url,
        )
        env.update({"LOG_LEVEL": "WARNING", **extra})
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode or 0, err.decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_polling_mode_answers_and_stops_cleanly(
    start_bot, emulator: BotApiEmulator, pool: asyncpg.Pool
) -> None:
    bot = await start_bot()
    await emulator.wait_for(lambda: bool(emulator.calls_to("getUpdates")), within=30)

    emulator.user(42, "Ada")
    emulator.send_text(42, "/start")
    await emulator.wait_for(lambda: bool(emulator.bot_messages(42)), within=15)

    assert "Hi Ada!" in emulator.bot_messages(42)[0].text
    assert [c.params["commands"] for c in emulator.calls_to("setMyCommands")]
    assert await pool.fetchval("SELECT count(*) FROM users") == 1
    code, err = await stop(bot)
    assert code == 0, err
    assert "Traceback" not in err


async def test_webhook_mode_registers_serves_and_stops_cleanly(
    start_bot, emulator: BotApiEmulator
) -> None:
    port = free_port()
    bot = await start_bot(
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        WEBHOOK_SECRET="s3cret",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    await emulator.wait_for(lambda: emulator.webhook is not None, within=30)

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/readyz") as response,
    ):
        assert response.status == 200
    emulator.user(42, "Ada")
    emulator.send_text(42, "/start")  # pushed to our webhook with the secret header
    await emulator.wait_for(lambda: bool(emulator.bot_messages(42)), within=15)

    assert "Hi Ada!" in emulator.bot_messages(42)[0].text
    assert not emulator.calls_to("getUpdates")
    code, err = await stop(bot)
    assert code == 0, err


async def test_json_logs_carry_the_update_but_never_its_text_or_a_secret(
    start_bot, emulator: BotApiEmulator
) -> None:
    port = free_port()
    bot = await start_bot(
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        WEBHOOK_SECRET="s3cret-hook-value",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",
    )
    await emulator.wait_for(lambda: emulator.webhook is not None, within=30)
    emulator.user(42, "Ada")
    emulator.send_text(42, "my very private question about oolong")
    await emulator.wait_for(lambda: bool(emulator.bot_messages(42)), within=15)
    code, err = await stop(bot)

    assert code == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert {"ts", "level", "logger", "event"} <= set(lines[0])
    handled = [line for line in lines if line["event"] == "update handled"]
    assert handled and handled[0]["user_id"] == 42 and handled[0]["update_id"] > 0
    assert TOKEN not in err and "s3cret-hook-value" not in err
    above_debug = json.dumps([line for line in lines if line["level"] != "DEBUG"])
    assert "private question" not in above_debug
