"""A learner browses a catalog longer than a screen: pages, then a level, then a
category, through the real bot and database."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg

from tests.support import Dialogue
from tests.support.courses import TINY_PACK, editable_copy, import_pack


async def test_a_long_catalog_is_paged_and_filtered(
    talk, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    for n in range(10):
        pack = editable_copy(TINY_PACK, tmp_path / f"p{n}")
        meta = pack / "course.yaml"
        text = re.sub(r"(?m)^slug: .*$", f"slug: tea-{n}", meta.read_text())
        text = re.sub(r"(?m)^name: .*$", f"name: Tea {n}", text)
        text = re.sub(r"(?m)^level: .*$", f"level: {('beginner', 'advanced')[n % 2]}", text)
        text = re.sub(r"(?m)^category: .*$", f"category: {('Drinks', 'Plants')[n < 3]}", text)
        meta.write_text(text)
        await import_pack(pool, pack)

    ada: Dialogue = talk(42, "Ada")
    await ada.send("/courses")
    assert "10 of 10 · every level · every category" in ada.last.text
    assert "Tea 0" in ada.last.text and "Tea 8" not in ada.last.text
    await ada.press("▶")
    assert "Tea 8" in ada.last.text and "Tea 0" not in ada.last.text
    await ada.press("Advanced")
    assert "5 of 10 · advanced" in ada.last.text
    assert "Tea 1" in ada.last.text and "Tea 2" not in ada.last.text
    await ada.press("Plants")
    assert "1 of 10 · advanced · Plants" in ada.last.text and "Tea 1" in ada.last.text
    await ada.press("Tea 1")
    assert "Level: advanced · Plants" in ada.last.text
    await ada.press("⬅ Courses")
    assert "10 of 10" in ada.last.text, "back to the whole catalog"
