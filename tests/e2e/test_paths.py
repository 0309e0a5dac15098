"""A learning path as a learner follows it: listed first in the catalog, its card shows
the courses in order with progress in each and leads to the next one."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from bot.callbacks import action
from bot.context import Services
from domain.paths import parse_path
from storage.paths import PgPathStore
from tests.e2e.test_prerequisites import master  # noqa: F401 (a fixture)
from tests.e2e.test_ratings import tea  # noqa: F401 (a fixture)
from tests.e2e.test_round_trips import Meter
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
    assert "You completed Tea basics" in ada.messages[-2].text  # its certificate below
    assert ada.last.document is not None
    await ada.send("/courses")
    await ada.press("🧭 From <leaf> to cup")
    assert "1 of 2 courses completed" in ada.last.text
    assert "✅ 1. Tea basics — completed" in ada.last.text
    await ada.press("➡ Next: Tea master")
    await ada.press("✅ Enroll for free")
    assert "You're enrolled in Tea master" in ada.last.text


async def test_the_catalog_path_card_and_a_refused_enrolment_stay_within_three_round_trips(
    talk,
    pool: asyncpg.Pool,
    services: Services,
    master: UUID,  # noqa: F811
) -> None:
    """Prerequisites and paths ride in the reads those screens already make."""
    await PgPathStore(pool).save_path(parse_path("tea.yaml", PATH))
    ada: Dialogue = talk(42, "Ada")
    spent = Meter(services)
    await ada.send("/start")  # the first contact stores the learner

    costs = {
        "catalog": await spent(ada.send("/courses")),
        "path card": await spent(ada.press("🧭 From <leaf> to cup")),
        "course card": await spent(ada.press("➡ Next: Tea basics")),
        "refused enrolment": await spent(ada.press_forged(action("enroll", course=master))),
    }
    await ada.send("/courses")
    costs["gated card"] = await spent(ada.press("Tea master"))
    gated_link = await spent(ada.send("/start master"))
    assert "Tea master needs Tea basics completed first" in ada.last.text
    bo: Dialogue = talk(43, "Bo")
    await bo.send("/start")
    open_link = await spent(bo.send("/start tiny"))  # finds the course, then enrols

    assert max(costs.values()) <= 3, costs
    assert gated_link <= open_link == 4, "a gated deep link costs what any deep link does"
