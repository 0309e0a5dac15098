"""A learner in Tokyo keeps a daily goal over two weeks of a fake clock: the streak grows on
Home day by day (an evening's topic at 23:30 is that Tokyo day's), a week earns a freeze
that covers a missed day, a second miss ends it; a course target date says on track, then
behind. Through the real Application, the Bot API emulator and the real database."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from tests.support import Dialogue
from tests.support.clock import FakeClock
from tests.support.courses import DEMO_PACK, editable_copy, import_pack

# 09:00 UTC is 18:00 in Tokyo, the same calendar day.
MONDAY = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
async def course_without_quizzes(pool: asyncpg.Pool, tmp_path: Path) -> None:
    """The demo course's 12 topics with the quizzes taken out: finishing a module opens
    the next, so a topic a day lasts twelve days."""
    pack = editable_copy(DEMO_PACK, tmp_path)
    for quiz in pack.glob("modules/*/quiz.yaml"):
        quiz.unlink()
    meta = pack / "course.yaml"
    meta.write_text(re.sub(r"(?m)^slug: .*$", "slug: ml-daily", meta.read_text()))
    await import_pack(pool, pack)


@pytest.fixture
def tokyo_evening(clock: FakeClock) -> FakeClock:
    clock.now = MONDAY
    return clock


async def enrolled_in_tokyo(talk) -> Dialogue:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/timezone Asia/Tokyo")
    await ada.send("/start ml-daily")
    await ada.press("⚽ Sports")
    return ada


async def home(ada: Dialogue) -> str:
    await ada.send("/start")
    return ada.last.text.split("\n")[1]  # the line under the greeting


async def study_a_topic(ada: Dialogue) -> None:
    await ada.send("/start")
    await ada.press("▶ Machine Learning Foundations")
    await ada.press("▶ Continue:")
    await ada.press("✅ Mark complete")
    assert ada.answer_text is not None and ada.answer_text.startswith("✅ Completed")


async def test_a_daily_goal_keeps_a_streak_in_the_learners_days(
    talk, tokyo_evening: FakeClock, pool: asyncpg.Pool
) -> None:
    clock = tokyo_evening
    ada = await enrolled_in_tokyo(talk)
    assert "streak" not in await home(ada), "no goal, no streak line"

    await ada.send("/goal")
    assert "None set: pick one below" in ada.last.text
    assert "counted in Asia/Tokyo" in ada.last.text
    await ada.press("📘 1 topic")
    assert ada.answer_text == "🎯 Daily goal: 1 topic a day"
    assert "🎯 No streak yet · today 0/1 topic" in ada.last.text
    assert ada.last.buttons[0][0] == "✓ 1 topic"

    # Mon 4 Jan, 18:00 in Tokyo.
    await study_a_topic(ada)
    assert await home(ada) == "🔥 1-day streak · today 1/1 topic ✅"
    for day in (5, 6):
        clock.now = MONDAY.replace(day=day)
        assert await home(ada) == f"🔥 {day - 4}-day streak · today 0/1 topic", "not broken yet"
        await study_a_topic(ada)
    assert await home(ada) == "🔥 3-day streak · today 1/1 topic ✅"

    # Thu 7 Jan at 23:30 in Tokyo (14:30 UTC), then an hour later: Fri 8 Jan in Tokyo,
    # though still the 7th in UTC. Two topics an hour apart, two days of the streak.
    clock.now = datetime(2027, 1, 7, 14, 30, tzinfo=UTC)
    await study_a_topic(ada)
    assert await home(ada) == "🔥 4-day streak · today 1/1 topic ✅"
    clock.advance(hours=1)
    assert await home(ada) == "🔥 4-day streak · today 0/1 topic"
    await study_a_topic(ada)
    assert await home(ada) == "🔥 5-day streak · today 1/1 topic ✅"

    for day in (9, 10):  # a week of days met earns a freeze
        clock.now = MONDAY.replace(day=day)
        await study_a_topic(ada)
    assert await home(ada) == "🔥 7-day streak · today 1/1 topic ✅ · ❄️ 1 freeze"

    # Mon 11 Jan goes by without a topic; on the 12th the freeze has kept the streak.
    clock.now = MONDAY.replace(day=12)
    assert await home(ada) == "🔥 7-day streak · today 0/1 topic"
    await study_a_topic(ada)
    assert await home(ada) == "🔥 8-day streak · today 1/1 topic ✅"
    await ada.send("/goal")
    assert "❄️ A freeze kept your streak over 11 Jan." in ada.last.text

    # Two days missed with no freeze left: the streak is over.
    clock.now = MONDAY.replace(day=15)
    assert await home(ada) == "🎯 No streak yet · today 0/1 topic"
    await ada.send("/progress")
    assert "🎯 No streak yet · today 0/1 topic" in ada.last.text

    await ada.send("/goal")
    await ada.press("🚫 No daily goal")
    assert ada.answer_text == "Daily goal turned off"
    assert "None set" in ada.last.text
    assert "streak" not in await home(ada)
    assert await pool.fetchval("SELECT count(*) FROM daily_goals") == 0


async def test_a_course_target_date_is_on_track_then_behind(
    talk, tokyo_evening: FakeClock, pool: asyncpg.Pool
) -> None:
    clock = tokyo_evening
    ada = await enrolled_in_tokyo(talk)

    await ada.send("/goal by 31-02")
    assert ada.last.text == (
        "“31-02” isn't a date I can read. Try /goal by 2027-03-01 (or 1 Mar 2027)."
    )
    await ada.send("/goal by 2027-01-03")  # yesterday in Tokyo
    assert ada.last.text == "2027-01-03 has passed: pick today or a later day."
    assert await pool.fetchval("SELECT count(*) FROM course_goals") == 0, "nothing changed"

    # Twelve topics in twelve days (4 to 15 Jan): a topic a day.
    await ada.send("/goal by 15 Jan 2027")
    assert ada.last.text == (
        "🎯 Target set: finish Machine Learning Foundations by 15 Jan.\n"
        "12 topics to go — on track: 1 topic a day to finish by 15 Jan."
    )
    for day in range(4, 12):
        clock.now = MONDAY.replace(day=day)
        await study_a_topic(ada)
    await ada.send("/progress")
    assert "🎯 on track: 1 topic a day to finish by 15 Jan (8/12 topics)" in ada.last.text

    clock.now = MONDAY.replace(day=14)  # two idle days: 4 topics in 2 days
    await ada.send("/progress")
    assert "🎯 behind: 2 topics a day to finish by 15 Jan (8/12 topics)" in ada.last.text
    await ada.send("/goal")
    assert "• Machine Learning Foundations: behind: 2 topics a day" in ada.last.text

    clock.now = MONDAY.replace(day=16)
    await ada.send("/progress")
    assert "🎯 15 Jan has passed: 4 topics left (8/12 topics)" in ada.last.text
    await ada.send("/goal")
    await ada.press("✖ Drop the date for Machine Learning Foundations")
    assert ada.answer_text == "Target date dropped"
    await ada.send("/progress")
    assert "🎯" not in ada.last.text


async def test_a_forged_goal_or_a_target_without_a_course_is_refused_and_changes_nothing(
    talk, pool: asyncpg.Pool
) -> None:
    bob: Dialogue = talk(43, "Bob")
    await bob.send("/goal")
    await bob.press_forged("gs:t:7")
    assert bob.answer_text == "Pick one of the daily goals offered under /goal."
    await bob.send("/goal by 2099-01-01")
    assert bob.last.text == "Pick a date within 3 years from today."
    await bob.send(f"/goal by {date.today() + timedelta(days=30)}")
    assert bob.last.text.startswith("Enroll in a course first (/courses)")
    assert await pool.fetchval("SELECT count(*) FROM daily_goals") == 0
    assert await pool.fetchval("SELECT count(*) FROM course_goals") == 0


async def test_a_review_answered_in_review_counts_toward_a_reviews_goal(
    talk, tokyo_evening: FakeClock
) -> None:
    ada = await enrolled_in_tokyo(talk)  # Module 1 opens: its author's review card is due
    await ada.send("/goal")
    await ada.press("🔁 10 reviews")
    assert await home(ada) == "🎯 No streak yet · today 0/10 reviews"

    await ada.send("/review")
    await ada.answer_poll(0)
    assert await home(ada) == "🎯 No streak yet · today 1/10 reviews"
