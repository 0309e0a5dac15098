"""`tutorbot import` with prerequisites and `tutorbot import-path`, as an author runs them:
a required course or a path's course that is not in the database is one clear
`file:line` line, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from tests.bot.cli.test_cli import tutorbot
from tests.support.courses import TINY_PACK, editable_copy

PATH = "slug: tea-journey\nname: From leaf to cup\ncourses:\n  - tiny\n  - {second}\n"


async def count(db_url: str, table: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await conn.close()


async def test_a_missing_prerequisite_and_a_paths_unknown_course_are_refused(
    db_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": db_url, "EMBEDDING_BACKEND": "local"}
    code, _, err = await tutorbot("import", str(TINY_PACK), env=env, cwd=tmp_path)
    assert code == 0, err
    pack = editable_copy(TINY_PACK, tmp_path / "master")
    meta = pack / "course.yaml"
    meta.write_text(meta.read_text().replace("slug: tiny", "slug: master") + "requires: [ghost]\n")

    code, _, err = await tutorbot("import", str(pack), env=env, cwd=tmp_path)
    assert code == 1
    assert "course.yaml:15: requires: there is no course 'ghost'; import it first" in err
    assert "the pack was refused (1 problem); nothing was imported" in err
    assert await count(db_url, "courses") == 1

    path = tmp_path / "tea.yaml"
    path.write_text(PATH.format(second="ghost"))
    code, _, err = await tutorbot("import-path", str(path), env=env, cwd=tmp_path)
    assert code == 1
    assert "tea.yaml:5: courses: there is no course 'ghost'" in err
    assert "the path was refused (1 problem); nothing was imported" in err
    assert await count(db_url, "learning_paths") == 0

    meta.write_text(meta.read_text().replace("[ghost]", "[tiny]"))
    code, _, err = await tutorbot("import", str(pack), env=env, cwd=tmp_path)
    assert code == 0, err
    path.write_text(PATH.format(second="master"))
    code, out, err = await tutorbot("import-path", str(path), env=env, cwd=tmp_path)
    assert code == 0, err
    assert out.strip() == "imported path tea-journey: 2 courses"
    assert await count(db_url, "learning_path_courses") == 2
