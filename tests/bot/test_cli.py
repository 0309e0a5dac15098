"""The `tutorbot` command as a user runs it: a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import asyncpg
import pytest

from storage.migrations import discover
from tests.support.courses import TINY_PACK

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
    assert all(h["module"] in (None, 1) for h in hits)
    assert {"citation", "score", "text", "topic"} <= set(hits[0])


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
