"""The migration runner against a real, empty PostgreSQL database."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from storage.migrations import DEFAULT_DIR, MigrationError, discover, migrate


async def tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


async def applied_versions(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [r[0] for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")]
    finally:
        await conn.close()


def copy_migrations(tmp_path: Path) -> Path:
    target = tmp_path / "migrations"
    shutil.copytree(DEFAULT_DIR, target)
    return target


async def test_from_empty_creates_the_core_schema(empty_db_url: str) -> None:
    applied = await migrate(empty_db_url)

    assert applied == [m.name for m in discover()]
    assert {
        "users",
        "course_tutors",
        "courses",
        "modules",
        "topics",
        "course_chunks",
        "topic_personalization",
        "topic_prompt_suggestions",
        "module_prompt_usage",
        "topic_progress",
        "quiz_questions",
        "quiz_options",
        "quiz_attempts",
        "module_progress",
        "enrollments",
        "conversation_state",
        "update_inbox",
        "update_effects",
        "schema_migrations",
    } <= await tables(empty_db_url)


async def test_second_run_applies_nothing(empty_db_url: str) -> None:
    await migrate(empty_db_url)
    before = await applied_versions(empty_db_url)

    assert await migrate(empty_db_url) == []
    assert await applied_versions(empty_db_url) == before


async def test_edited_applied_migration_is_refused(empty_db_url: str, tmp_path: Path) -> None:
    directory = copy_migrations(tmp_path)
    await migrate(empty_db_url, directory)
    first = sorted(directory.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- a harmless-looking edit\n")

    with pytest.raises(MigrationError, match=f"{first.name} was changed after it was applied"):
        await migrate(empty_db_url, directory)


async def test_new_migration_is_applied_in_order_and_failure_rolls_back(
    empty_db_url: str, tmp_path: Path
) -> None:
    directory = copy_migrations(tmp_path)
    await migrate(empty_db_url, directory)
    (directory / "9001_good.sql").write_text("CREATE TABLE later_one (id int);")
    (directory / "9002_bad.sql").write_text("CREATE TABLE later_two (id int); SELECT nonsense();")

    with pytest.raises(asyncpg.PostgresError):
        await migrate(empty_db_url, directory)

    names = await tables(empty_db_url)
    assert "later_one" in names
    assert "later_two" not in names, "a failed migration must leave nothing behind"
    assert 9001 in await applied_versions(empty_db_url)
    assert 9002 not in await applied_versions(empty_db_url)


async def test_concurrent_runs_do_not_conflict(empty_db_url: str) -> None:
    results = await asyncio.gather(*(migrate(empty_db_url) for _ in range(4)))

    applied_by_someone = [name for result in results for name in result]
    assert sorted(applied_by_someone) == [m.name for m in discover()], "each applied exactly once"
    assert await applied_versions(empty_db_url) == [m.version for m in discover()]


def test_badly_named_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "create_things.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_description\.sql"):
        discover(tmp_path)


def test_duplicate_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="version 1 is also used"):
        discover(tmp_path)
