"""The `tutorbot` command as a user runs it: a real subprocess."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from storage.migrations import discover

REPO = Path(__file__).resolve().parents[2]


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
    for command in ("run", "migrate", "set-webhook", "delete-webhook"):
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


@pytest.mark.parametrize("name", ["WEBHOOK_PORT", "DATABASE_URL"])
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
