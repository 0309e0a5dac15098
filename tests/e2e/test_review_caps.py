"""Spaced review's daily cap: what is due beyond it waits for the learner's next day, and
the end screen says so rather than "nothing due"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.emulator import BotApiEmulator
from bot.settings import Settings
from tests.support import Dialogue
from tests.support.clock import FakeClock
from tests.support.courses import TINY_PACK, import_pack


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"review_new_per_day": 1})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 2, 20, 0, tzinfo=UTC))  # 05:00 in Tokyo, 3 Dec


async def test_a_new_card_beyond_the_cap_waits_for_the_learners_tomorrow(
    talk, clock: FakeClock, emulator: BotApiEmulator, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await import_pack(pool, TINY_PACK)
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/timezone Asia/Tokyo")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.send("/review")
    assert "🔁 Review · 1 card due today · more wait for tomorrow" in ada.messages[-2].text
    await ada.press("How long the leaves oxidise")
    assert "That's today's share: 1 card answered" in ada.last.text
    assert emulator.polls(42) == []

    clock.advance(hours=18)  # 23:00 in Tokyo: still the same day there
    await ada.send("/review")
    assert "That's today's share" in ada.last.text
    clock.advance(hours=1, minutes=1)  # past Tokyo's midnight
    await ada.send("/review")
    assert emulator.polls(42)[-1].question == "Which plant gives us green, oolong and black tea?"
