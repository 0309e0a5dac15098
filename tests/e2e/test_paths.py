"""A learning path as a learner follows it: listed first in the catalog, its card shows
the courses in order with progress in each and leads to the next one."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.paths import parse_path
from storage.paths import PgPathStore
from tests.e2e.test_prerequisites import master  # noqa: F401 (a fixture)
from tests.e2e.test_ratings import tea  # noqa: F401 (a fixture)
from tests.support import Dialogue

PATH = """\
slug: tea-journey
name: From <leaf> to cup
description: Basics first, then mastery.
courses:
  - tiny
  - master
"""


async def test_a_path_card_lists_its_courses_with_progress_and_leads_to_the_next(
    talk,
    pool: asyncpg.Pool,
    master: UUID,  # noqa: F811
) -> None:
    await PgPathStore(pool).save_path(parse_path("tea.yaml", PATH))
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/courses")
    assert ada.last.text.startswith("🧭 Learning paths\n• From <leaf> to cup — 2 courses\n\n📚")
    await ada.press("🧭 From <leaf> to cup")
    assert "Basics first, then mastery." in ada.last.text
    assert "0 of 2 courses completed" in ada.last.text
    assert "▫️ 1. Tea basics — not started\n▫️ 2. Tea master — not started" in ada.last.text

    await ada.press("➡ Next: Tea basics")
    await ada.press("✅ Enroll for free")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue: 1.1")
    await ada.press("✅ Mark complete")
    await ada.send("/courses")
    await ada.press("🧭 From <leaf> to cup")
    assert "▶ 1. Tea basics — ▰▱▱▱▱ 25% 1/4 topics" in ada.last.text
    assert "➡ Continue: Tea basics" in str(ada.last.reply_markup)

    await ada.press("➡ Continue: Tea basics")
    await ada.press("▶ Open course")
    await ada.press("▶ Continue: 1.2")
    await ada.press("✅ Mark complete")  # Module 2 opens
    await ada.send("/start tiny")
    await ada.press("▶ Continue: 2.1")
    await ada.press("Complete & go on")
    await ada.press("✅ Mark complete")
    assert "You completed Tea basics" in ada.last.text
    await ada.send("/courses")
    await ada.press("🧭 From <leaf> to cup")
    assert "1 of 2 courses completed" in ada.last.text
    assert "✅ 1. Tea basics — completed" in ada.last.text
    await ada.press("➡ Next: Tea master")
    await ada.press("✅ Enroll for free")
    assert "You're enrolled in Tea master" in ada.last.text
