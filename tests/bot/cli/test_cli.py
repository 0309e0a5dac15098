"""The `tutorbot` command as a user runs it: a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.app import ALLOWED_UPDATES
from bot.emulator import BotApiEmulator
from storage.migrations import discover
from tests.conftest import TOKEN
from tests.support import bot_api_spec
from tests.support.courses import TINY_PACK

REPO = Path(__file__).resolve().parents[3]


async def tutorbot(
    *args: str, env: dict[str, str] | None = None, cwd: Path
) -> tuple[int, str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    base.pop("DATABASE_URL", None)
    base["PYTHONPATH"] = str(REPO)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**base, **(env or {})},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_help_describes_every_command(tmp_path: Path) -> None:
    code, out, _ = await tutorbot("--help", cwd=tmp_path)
    assert code == 0
    for command in ("run", "migrate", "set-webhook", "delete-webhook", "webhook-info"):
        assert command in out


async def test_run_without_token_is_one_clear_line(tmp_path: Path) -> None:
    code, out, err = await tutorbot("run", cwd=tmp_path)
    assert code == 2
    assert err.strip().count("\n") == 0, err
    assert err.startswith("tutorbot: TELEGRAM_BOT_TOKEN is not set")
    assert "Traceback" not in err + out


async def test_webhook_mode_without_secret_is_one_clear_line(tmp_path: Path) -> None:
    code, _, err = await tutorbot(
        "run",
        env={
            "TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP",
            "WEBHOOK_URL": "https://bot.example.com/telegram/updates",
        },
        cwd=tmp_path,
    )
    assert code == 2
    assert err.strip() == err.strip().splitlines()[0]
    assert "WEBHOOK_SECRET is not set" in err


@pytest.mark.parametrize(
    "name", ["WEBHOOK_PORT", "DATABASE_URL", "WEBHOOK_MAX_CONNECTIONS", "LOG_FORMAT"]
)
async def test_invalid_setting_is_one_clear_line(tmp_path: Path, name: str) -> None:
    code, _, err = await tutorbot("migrate", env={name: "nonsense"}, cwd=tmp_path)
    assert code == 2
    assert err.startswith(f"tutorbot: {name} is invalid:")
    assert "Traceback" not in err


async def test_migrate_applies_to_the_given_database(empty_db_url: str, tmp_path: Path) -> None:
    code, out, err = await tutorbot("migrate", env={"DATABASE_URL": empty_db_url}, cwd=tmp_path)
    assert code == 0, err
    names = [m.name for m in discover()]
    assert out.strip() == f"applied {len(names)} migration(s): {', '.join(names)}"

    code, out, _ = await tutorbot("migrate", env={"DATABASE_URL": empty_db_url}, cwd=tmp_path)
    assert out.strip() == "applied 0 migration(s)"


async def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    code, _, err = await tutorbot(
        "migrate", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, cwd=tmp_path
    )
    assert code == 2
    assert err.startswith("tutorbot: database:")
    assert "Traceback" not in err


async def test_import_then_search_prints_what_retrieval_returns(
    db_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": db_url, "EMBEDDING_BACKEND": "local"}
    code, out, err = await tutorbot("import", str(TINY_PACK), env=env, cwd=tmp_path)
    assert code == 0, err
    assert out.startswith("imported tiny: 2 modules, 4 topics, 4 questions")

    code, out, _ = await tutorbot("import", str(TINY_PACK), env=env, cwd=tmp_path)
    assert out.startswith("tiny: unchanged")

    code, out, err = await tutorbot(
        "search",
        "tiny",
        "how hot should the water be?",
        "--k",
        "3",
        "--max-module",
        "1",
        "--json",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0, err
    hits = json.loads(out)
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert all(h["module"] == 1 for h in hits), "reference chunks have a module too"
    assert {"chunk_id", "citation", "score", "text", "topic", "source", "position"} <= set(hits[0])
    assert len({h["chunk_id"] for h in hits}) == 3
    assert {"rank", "score"} == set(hits[0]["lexical"]) == set(hits[0]["dense"])

    code, out, err = await tutorbot(
        "search", "tiny", "how hot should the water be?", "--explain", env=env, cwd=tmp_path
    )
    assert code == 0, err
    assert "why: BM25 #1" in out and "matched terms: hot, water" in out


async def test_a_broken_pack_is_refused_whole(db_url: str, tmp_path: Path) -> None:
    pack = tmp_path / "broken"
    shutil.copytree(TINY_PACK, pack)
    (pack / "course.yaml").write_text("name: No slug\n")
    quiz = next(pack.glob("modules/01-*/quiz.yaml"))
    quiz.write_text(quiz.read_text().replace("correct: true", "correct: false"))

    code, _, err = await tutorbot("import", str(pack), env={"DATABASE_URL": db_url}, cwd=tmp_path)

    assert code == 1
    assert "course.yaml:1: slug: is required" in err
    assert f"modules/{quiz.parent.name}/quiz.yaml:" in err and "no correct option" in err
    assert "nothing was imported" in err
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM courses") == 0
    finally:
        await conn.close()


# -- webhook commands against the Bot API emulator -----------------------------------------

SECRET = "s3cret-Never_printed-42"


def closed_port() -> int:
    """A loopback port nothing listens on: pushes to it fail with "connection refused"."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def webhook_env(emulator: BotApiEmulator, **extra: str) -> dict[str, str]:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": str(emulator.base_url),
        "WEBHOOK_URL": f"http://127.0.0.1:{closed_port()}/telegram/hook",
        "WEBHOOK_SECRET": SECRET,
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v}


def assert_secret_kept(*outputs: str) -> None:
    for text in outputs:
        assert SECRET not in text
        assert TOKEN.split(":", 1)[1] not in text


@pytest.fixture
async def patient_emulator() -> AsyncIterator[BotApiEmulator]:
    """Retries a failed webhook push slowly, so updates stay pending like on Telegram."""
    async with BotApiEmulator(
        TOKEN, spec=bot_api_spec(), webhook_retries=10, webhook_retry_delay=2.0
    ) as emu:
        yield emu
        emu.assert_no_rejections()


async def test_set_webhook_registers_url_secret_and_limits(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    emulator.user(42, "Ada")
    emulator.send_text(42, "queued before the webhook")
    env = webhook_env(emulator)

    code, out, err = await tutorbot(
        "set-webhook", "--drop-pending-updates", "--max-connections", "7", env=env, cwd=tmp_path
    )

    assert code == 0, err
    webhook = emulator.webhook
    assert webhook is not None
    assert webhook.url == env["WEBHOOK_URL"]
    assert webhook.secret_token == SECRET
    assert webhook.max_connections == 7
    assert webhook.allowed_updates == ALLOWED_UPDATES
    assert emulator.pending_updates == []
    assert out.splitlines() == [
        f"webhook set to {env['WEBHOOK_URL']}",
        "secret token: WEBHOOK_SECRET (not shown)",
        "max connections: 7",
        f"allowed updates: {', '.join(ALLOWED_UPDATES)}",
        "pending updates: dropped",
    ]
    assert_secret_kept(out, err)


async def test_set_webhook_takes_max_connections_from_the_environment(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    emulator.user(42, "Ada")
    emulator.send_text(42, "still wanted")
    env = webhook_env(emulator, WEBHOOK_MAX_CONNECTIONS="12")

    code, out, err = await tutorbot("set-webhook", env=env, cwd=tmp_path)

    assert code == 0, err
    assert emulator.webhook is not None and emulator.webhook.max_connections == 12
    assert "max connections: 12" in out.splitlines()
    assert "pending updates: kept" in out.splitlines()
    [call] = emulator.calls_to("setWebhook")
    assert call.params.get("drop_pending_updates") in (None, False)
    assert_secret_kept(out, err)


async def test_webhook_info_reports_pending_updates_and_the_last_error(
    patient_emulator: BotApiEmulator, tmp_path: Path
) -> None:
    emu = patient_emulator
    emu.user(42, "Ada")
    emu.send_text(42, "one")
    emu.send_text(42, "two")
    env = webhook_env(emu, TZ="Asia/Kathmandu")  # UTC must not depend on the local zone
    code, _, err = await tutorbot("set-webhook", env=env, cwd=tmp_path)
    assert code == 0, err
    await emu.wait_for(lambda: emu.webhook_failures >= 1, within=10)  # nobody listens there
    emu.synchronization_error(at=1_700_000_000)

    code, out, err = await tutorbot("webhook-info", env=env, cwd=tmp_path)

    assert code == 0, err
    lines = out.splitlines()
    assert f"url: {env['WEBHOOK_URL']}" in lines
    assert "pending updates: 2" in lines
    assert "max connections: 40" in lines
    assert f"allowed updates: {', '.join(ALLOWED_UPDATES)}" in lines
    assert "last synchronization error: 2023-11-14T22:13:20Z" in lines
    [last_error] = [line for line in lines if line.startswith("last error: ")]
    match = re.fullmatch(r"last error: (\S+Z) Connection failed: \w+", last_error)
    assert match, last_error
    when = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(when.timestamp() - time.time()) < 120
    assert_secret_kept(out, err)

    code, out, err = await tutorbot("webhook-info", "--json", env=env, cwd=tmp_path)

    assert code == 0, err
    info = json.loads(out)
    assert info["url"] == env["WEBHOOK_URL"]
    assert info["pending_update_count"] == 2
    assert info["max_connections"] == 40
    assert info["allowed_updates"] == ALLOWED_UPDATES
    assert info["last_error_message"].startswith("Connection failed")
    assert isinstance(info["last_error_date"], int)
    assert info["last_synchronization_error_date"] == 1_700_000_000
    assert_secret_kept(out, err)


async def test_delete_webhook_removes_it_and_can_drop_pending_updates(
    patient_emulator: BotApiEmulator, tmp_path: Path
) -> None:
    emu = patient_emulator
    env = webhook_env(emu)
    code, _, err = await tutorbot("set-webhook", env=env, cwd=tmp_path)
    assert code == 0, err
    emu.user(42, "Ada")
    emu.send_text(42, "never delivered")

    code, out, err = await tutorbot(
        "delete-webhook", "--drop-pending-updates", env=env, cwd=tmp_path
    )

    assert code == 0, err
    assert out.strip() == "webhook removed; pending updates dropped; the bot can poll again"
    assert emu.webhook is None
    assert emu.pending_updates == []

    code, out, err = await tutorbot("webhook-info", env=env, cwd=tmp_path)

    assert code == 0, err
    assert out.splitlines() == [
        "no webhook is set: the bot can poll (getUpdates)",
        "pending updates: 0",
    ]
    assert_secret_kept(out, err)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("WEBHOOK_URL", "tutorbot: WEBHOOK_URL is not set"),
        ("WEBHOOK_SECRET", "tutorbot: WEBHOOK_SECRET is not set"),
    ],
)
async def test_set_webhook_without_url_or_secret_is_one_clear_line(
    emulator: BotApiEmulator, tmp_path: Path, missing: str, message: str
) -> None:
    env = webhook_env(emulator, **{missing: ""})

    code, out, err = await tutorbot("set-webhook", env=env, cwd=tmp_path)

    assert code == 2
    assert err.startswith(message)
    assert err.strip().count("\n") == 0, err
    assert out == ""
    assert not emulator.calls_to("setWebhook")
    assert_secret_kept(out, err)


async def test_a_webhook_telegram_refuses_is_one_clear_line(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    env = webhook_env(emulator, WEBHOOK_URL="https://bot.example.com:9000/telegram/hook")

    code, out, err = await tutorbot("set-webhook", env=env, cwd=tmp_path)

    assert code == 2
    assert err.strip() == (
        "tutorbot: Telegram refused the request: "
        "Bad webhook: webhook can be set up only on ports 80, 88, 443 or 8443"
    )
    assert emulator.webhook is None
    assert emulator.expect(400)
    assert_secret_kept(out, err)


async def test_max_connections_out_of_range_is_refused_before_calling_telegram(
    tmp_path: Path,
) -> None:
    code, _, err = await tutorbot("set-webhook", "--max-connections", "101", cwd=tmp_path)

    assert code == 2
    assert "--max-connections: expected a whole number from 1 to 100, not '101'" in err
