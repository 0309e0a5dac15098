"""A learner takes module quizzes in the chat: fails, waits out the cooldown, is told the
quiz is open again, passes, unlocks the next module and completes the course.

Real Application, real database, the Bot API emulator; the services' clock is a test
clock, so "an hour later" is a line in the test, not an hour of waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from telegram.ext import Application

from bot.app import build_application, open_services
from bot.context import Services
from bot.emulator import BotApiEmulator
from bot.jobs.cooldowns import CooldownAnnouncer
from tests.conftest import TOKEN
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.clock import FakeClock
from tests.support.courses import TINY_PACK, editable_copy, import_pack

# What a learner who studied (or did not) would answer in the tiny tea course.
ANSWERS = {
    "Which plant": ("Camellia sinensis", "Peppermint"),
    "What mainly makes": ("Black tea is fully oxidised", "Black tea is never dried"),
    "Roughly what water": ("About 70–80 °C", "Room temperature"),
    "What usually happens": ("It becomes stronger and more bitter", "It loses all its colour"),
}


@pytest.fixture(autouse=True)
async def tea_course(pool: asyncpg.Pool) -> None:
    await import_pack(pool, TINY_PACK)


@pytest.fixture
def noon(clock: FakeClock) -> FakeClock:
    clock.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    return clock


async def answer(chat: Dialogue, *, right: bool) -> None:
    question = chat.last.text
    for start, (good, bad) in ANSWERS.items():
        if start in question:
            await chat.press(good if right else bad)
            return
    raise AssertionError(f"not a tea quiz question:\n{question}")


async def enroll(chat: Dialogue) -> None:
    await chat.send("/start tiny")
    await chat.press("📘 Normal")


FIRST_TOPICS = {1: "1. The tea plant", 2: "1. Water temperature"}


async def finish_topics(chat: Dialogue, module: int, *, from_course_menu: bool = True) -> None:
    if from_course_menu:
        await chat.press(f"{module}. ")
    await chat.press(FIRST_TOPICS[module])
    await chat.press("✅ Mark complete")
    await chat.press("Next ➡")
    await chat.press("✅ Mark complete")


async def sweep(services: Services, application: Application):
    return await CooldownAnnouncer(services, application.bot).sweep()


async def test_fail_wait_get_told_retake_pass_and_module_two_opens(
    talk, noon: FakeClock, services: Services, application: Application, pool: asyncpg.Pool
) -> None:
    ada = talk(42, "Ada")
    await enroll(ada)
    await finish_topics(ada, 1)

    await ada.press("📝 Module 1 quiz")
    assert "2 questions · pass mark 50%" in ada.last.text
    assert "Attempts left: 3" in ada.last.text
    assert "If you don't pass, you can retry after 1 hour." in ada.last.text

    await ada.press("▶ Start the quiz")
    assert "Module 1 quiz · Question 1 of 2" in ada.last.text
    await answer(ada, right=False)
    assert ada.answer_text == "❌ Not quite"
    feedback = ada.messages[-2]
    assert "❌ Not quite." in feedback.text and feedback.buttons == []
    assert "Question 2 of 2" in ada.last.text
    await answer(ada, right=False)

    assert "Not passed this time: 0% — the pass mark is 50%." in ada.last.text
    assert "⏳ You can retry at 13:00 UTC (in 1 h); I'll message you then." in ada.last.text
    assert "Attempts left: 2" in ada.last.text
    await ada.press("⬅ Module")
    assert ada.last.buttons[-2] == ["⏳ Quiz reopens at 13:00 UTC"]
    await ada.press("⏳ Quiz reopens")
    assert "The quiz reopens at 13:00 UTC (in 1 h)" in ada.last.text
    assert "Start the quiz" not in str(ada.last.buttons)

    noon.advance(minutes=59)
    assert (await sweep(services, application)).announced == 0
    noon.advance(minutes=1)
    assert (await sweep(services, application)).announced == 1
    assert "⏰ The Module 1 quiz is open again" in ada.last.text
    assert (await sweep(services, application)).claimed == 0
    notices = [m for m in ada.messages if "is open again" in m.text]
    assert len(notices) == 1

    await ada.press("📝 Take the quiz")
    await ada.press("▶ Start the quiz")
    await answer(ada, right=True)
    assert ada.answer_text == "✅ Correct!"
    await answer(ada, right=True)
    assert "🎉 Passed! 100% — the pass mark is 50%." in ada.last.text
    assert "🔓 Module 2: Brewing is now open." in ada.last.text

    await ada.press("▶ Module 2: Brewing")
    assert "Module 2: Brewing" in ada.last.text
    assert "1. Water temperature" in str(ada.last.buttons)
    await ada.send("/progress")
    assert "🏆 Module 1" in ada.last.text and "🔓 Module 2" in ada.last.text
    assert await pool.fetchval("SELECT count(*) FROM quiz_attempts") == 2


async def test_passing_the_last_module_completes_the_course(
    talk, noon: FakeClock, pool: asyncpg.Pool
) -> None:
    ada = talk(42, "Ada")
    await enroll(ada)
    for module in (1, 2):
        if module == 2:
            await ada.press("▶ Module 2: Brewing")
        await finish_topics(ada, module, from_course_menu=module == 1)
        await ada.press(f"📝 Module {module} quiz")
        await ada.press("▶ Start the quiz")
        await answer(ada, right=True)
        await answer(ada, right=module == 1)  # one of two is still a pass at 50%

    assert "🎉 Passed! 50%" in ada.last.text
    assert "🎓 You completed Tea basics! Congratulations." in ada.last.text
    status, completed_at = await pool.fetchrow(
        "SELECT status, completed_at FROM enrollments WHERE user_id = 42"
    )
    assert status == "completed" and completed_at == noon.now
    await ada.send("/progress")
    assert "Tea basics — ▰▰▰▰▰▰▰▰▰▰ 100% · 🎓 completed" in ada.last.text


async def test_the_quiz_waits_for_the_topics_and_shows_why(talk) -> None:
    ada = talk(42, "Ada")
    await enroll(ada)
    await ada.press("1. Kinds of tea")
    await ada.press("🔒 Quiz: finish the topics first (0/2)")
    assert "Finish the module's topics first: 0/2 done." in ada.last.text
    assert "Start the quiz" not in str(ada.last.buttons)


async def test_a_wrong_answer_shows_the_right_one_and_the_explanation(talk) -> None:
    ada = talk(42, "Ada")
    await enroll(ada)
    await finish_topics(ada, 1)
    await ada.press("📝 Module 1 quiz")
    await ada.press("▶ Start the quiz")
    asked = ada.last.text
    await answer(ada, right=False)
    feedback = ada.messages[-2].text
    good = next(g for s, (g, _) in ANSWERS.items() if s in asked)
    assert f") {good}" in feedback.split("Right answer:")[1]
    assert (
        "All true teas come from Camellia sinensis" in feedback
        or "Green tea is heated soon after picking" in feedback
    )


async def test_weak_topics_are_named_with_a_button_to_revisit_them(talk) -> None:
    ada = talk(42, "Ada")
    await enroll(ada)
    await finish_topics(ada, 1)
    await ada.press("📝 Module 1 quiz")
    await ada.press("▶ Start the quiz")
    await answer(ada, right=False)
    await answer(ada, right=False)
    assert "⚠️ 1.1 The tea plant, 1.2 Green, oolong and black tea: 0/2" in ada.last.text
    await ada.press("📖 Revisit 1.1 The tea plant")
    assert "Module 1 · Topic 1 of 2" in ada.last.text


async def test_quiz_resumes_after_a_restart_at_the_current_question(
    talk, settings, db_url: str, emulator: BotApiEmulator, clock: FakeClock
) -> None:
    ada = talk(42, "Ada")
    await enroll(ada)
    await finish_topics(ada, 1)
    await ada.press("📝 Module 1 quiz")
    await ada.press("▶ Start the quiz")
    await answer(ada, right=True)
    second = ada.last.text

    async with open_services(settings, db_url, clock=clock) as fresh:
        restarted = build_application(fresh, TOKEN, polling=False, api_url=emulator.base_url)
        async with restarted:
            again = Dialogue(emulator, deliver_to(restarted), user_id=42, first_name="Ada")
            await again.send("/quiz")
            assert again.last.text == second
            await answer(again, right=True)
            assert "🎉 Passed! 100%" in again.last.text


async def test_the_module_view_offers_to_resume_a_running_quiz(talk) -> None:
    ada = talk(42, "Ada")
    await enroll(ada)
    await finish_topics(ada, 1)
    await ada.press("📝 Module 1 quiz")
    await ada.press("▶ Start the quiz")
    await answer(ada, right=True)
    await ada.send("/courses")
    await ada.press("Tea basics")
    await ada.press("▶ Open course")
    await ada.press("1. Kinds of tea")
    await ada.press("▶ Resume the quiz (question 2/2)")
    assert "Question 2 of 2" in ada.last.text
    assert ada.answer_text == "Quiz resumed"


async def test_nothing_to_resume_says_so(talk) -> None:
    ada = talk(42, "Ada")
    await ada.send("/quiz")
    assert "You have no quiz in progress." in ada.last.text


async def test_abandoning_asks_first_then_counts_as_an_attempt(
    talk, noon: FakeClock, pool: asyncpg.Pool
) -> None:
    ada = talk(42, "Ada")
    await enroll(ada)
    await finish_topics(ada, 1)
    await ada.press("📝 Module 1 quiz")
    await ada.press("▶ Start the quiz")
    await ada.press("✖ Abandon the quiz")
    assert "It counts as an attempt, and the quiz reopens after 1 hour." in ada.last.text
    await ada.press("↩ Back to the question")
    assert "Question 1 of 2" in ada.last.text
    await ada.press("✖ Abandon the quiz")
    await ada.press("✖ Yes, abandon")
    assert ada.answer_text == "Quiz abandoned"
    assert "Quiz abandoned at 0%." in ada.last.text
    assert "You can retry at 13:00 UTC" in ada.last.text
    row = await pool.fetchrow("SELECT status, finished_at FROM quiz_attempts")
    assert row["status"] == "abandoned" and row["finished_at"] == noon.now


async def test_with_no_attempts_left_the_quiz_locks_and_nobody_is_told_it_reopened(
    talk, noon: FakeClock, services: Services, application: Application, pool: asyncpg.Pool
) -> None:
    await pool.execute("UPDATE courses SET quiz_attempts_limit = 1")
    ada = talk(42, "Ada")
    await enroll(ada)
    await finish_topics(ada, 1)
    await ada.press("📝 Module 1 quiz")
    await ada.press("▶ Start the quiz")
    await answer(ada, right=False)
    await answer(ada, right=False)
    assert "🔒 No attempts left; a tutor or admin can grant more." in ada.last.text

    noon.advance(hours=2)
    report = await sweep(services, application)
    assert (report.announced, report.skipped) == (0, 1)
    await ada.press("⬅ Module")
    await ada.press("🔒 Quiz: no attempts left")
    assert "You've used all your attempts" in ada.last.text

    await pool.execute("UPDATE module_progress SET extra_attempts = 1 WHERE module_no = 1")
    await ada.press("⬅ Module")
    await ada.press("📝 Take the Module 1 quiz")
    assert "Attempts left: 1" in ada.last.text


async def test_times_are_shown_in_the_learners_timezone(talk, noon: FakeClock) -> None:
    ada = talk(42, "Ada")
    await ada.send("/timezone Mars/Olympus")
    assert "I don't know the timezone “Mars/Olympus”." in ada.last.text
    await ada.send("/timezone europe/berlin")
    assert "Timezone set: Europe/Berlin (your time now: 13:00 CET)" in ada.last.text
    await ada.send("/timezone UTC+2")
    assert "Timezone set: UTC+02:00 (your time now: 14:00 UTC+02:00)" in ada.last.text
    assert "A fixed offset doesn't change with daylight saving time" in ada.last.text
    await ada.send("/timezone eastern")
    assert ada.last.text.startswith(
        "“eastern” could be several time zones: Canada/Eastern, US/Eastern. Send the one you mean"
    )
    await ada.send("/timezone berlin")
    assert "Timezone set: Europe/Berlin (your time now: 13:00 CET)" in ada.last.text
    await enroll(ada)
    await finish_topics(ada, 1)
    await ada.press("📝 Module 1 quiz")
    await ada.press("▶ Start the quiz")
    await answer(ada, right=False)
    await answer(ada, right=False)
    assert "You can retry at 14:00 CET (in 1 h)" in ada.last.text


async def test_a_course_without_quizzes_completes_when_its_last_topic_is_done(
    talk, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    pack = editable_copy(TINY_PACK, tmp_path)
    for quiz in pack.glob("modules/*/quiz.yaml"):
        quiz.unlink()
    await pool.execute("DELETE FROM courses")
    await import_pack(pool, pack)
    ada = talk(42, "Ada")
    await enroll(ada)
    await finish_topics(ada, 1)
    await ada.press("⬅ Module")
    assert "Quiz" not in str(ada.last.buttons)
    await ada.press("⬅ Course")
    await finish_topics(ada, 2)
    await ada.send("/progress")
    assert "🎓 completed" in ada.last.text
    assert await pool.fetchval("SELECT status FROM enrollments") == "completed"
