"""A learner walks the demo course through the real Application, the Bot API emulator and
the real database. Each test reads like the conversation it checks."""

from __future__ import annotations

import asyncpg
import pytest
from telegram.ext import Application

from bot.app import build_application, open_services
from bot.callbacks import action
from bot.context import Services
from bot.emulator import BotApiEmulator
from tests.conftest import TOKEN
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.courses import DEMO_PACK, import_pack


@pytest.fixture(autouse=True)
async def demo_course(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)


@pytest.fixture
async def course_id(pool: asyncpg.Pool, demo_course: None):
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'ml-foundations'")


async def sports_text_of(pool: asyncpg.Pool, module: int, topic: int) -> str:
    return await pool.fetchval(
        "SELECT text_content_sports FROM topics WHERE module_no = $1 AND topic_number = $2",
        module,
        topic,
    )


def first_words(markdown: str, n: int = 6) -> str:
    """A phrase from the first paragraph as it appears once rendered (markup stripped)."""
    paragraph = next(p for p in markdown.split("\n\n") if p.strip() and not p.startswith("#"))
    words = paragraph.replace("*", "").replace("`", "").replace("_", " ").split()
    return " ".join(words[:n])


async def test_a_new_learner_enrolls_by_deep_link_and_reads_module_one(
    talk, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada")

    await ada.send("/start ml-foundations")
    assert "You're enrolled in Machine Learning Foundations" in ada.last.text
    assert "Pick a study persona" in ada.last.text

    await ada.press("⚽ Sports")
    assert ada.answer_text == "Persona set: ⚽ Sports"
    assert "Progress: ▱▱▱▱▱▱▱▱▱▱ 0% (0/12 topics)" in ada.last.text
    assert "🔒 Module 2" in ada.last.text

    await ada.press("▶ Continue: 1.1")
    for topic in range(1, 5):
        assert f"Module 1 · Topic {topic} of 4" in ada.last.text
        assert first_words(await sports_text_of(pool, 1, topic)) in ada.last.text
        await ada.press("✅ Mark complete")
        assert ada.answer_text == f"✅ Completed — {topic}/4 topics of Module 1"
        if topic < 4:
            await ada.press("Next ➡")

    await ada.send("/progress")
    assert "Machine Learning Foundations</b> — ▰▰▰▱▱▱▱▱▱▱ 33%" in ada.last.html
    assert "Module 1: ▰▰▰▰▰ 100% (4/4, completed, quiz to take)" in ada.last.text
    assert await pool.fetchval("SELECT count(*) FROM enrollments") == 1
    assert await pool.fetchval("SELECT count(*) FROM topic_progress WHERE is_completed") == 4


async def test_navigation_edits_the_current_message_instead_of_flooding(talk) -> None:
    ada: Dialogue = talk()
    await ada.send("/start ml-foundations")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue")
    await ada.press("Next ➡")
    await ada.press("⬅ Previous")
    await ada.press("⬅ Module")

    assert len(ada.messages) == 1, "one message, edited in place"
    assert ada.last.edit_count >= 5


async def test_changing_persona_shows_the_other_variant(talk, pool: asyncpg.Pool) -> None:
    ada: Dialogue = talk()
    await ada.send("/start ml-foundations")
    await ada.press("🍳 Cooking")
    await ada.press("▶ Continue")
    cooking = await pool.fetchval(
        "SELECT text_content_cooking FROM topics WHERE module_no = 1 AND topic_number = 1"
    )
    assert first_words(cooking) in ada.last.text

    await ada.press("⬅ Module")
    await ada.press("⬅ Course")
    await ada.press("🎭 Persona")
    await ada.press("🧭 Adventure")
    await ada.press("▶ Continue")

    adventure = await pool.fetchval(
        "SELECT text_content_adventure FROM topics WHERE module_no = 1 AND topic_number = 1"
    )
    assert first_words(adventure) in ada.last.text
    assert first_words(cooking) not in ada.last.text
    assert await pool.fetchval("SELECT persona FROM topic_personalization") == "adventure"


async def test_after_a_restart_the_learner_continues_at_the_same_topic(
    talk, settings, db_url: str, emulator: BotApiEmulator, application: Application
) -> None:
    ada: Dialogue = talk()
    await ada.send("/start ml-foundations")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue")
    await ada.press("Next ➡")
    await ada.press("Next ➡")
    assert "Module 1 · Topic 3 of 4" in ada.last.text
    await application.shutdown()  # the old process goes away

    async with open_services(settings, db_url) as services:
        restarted = build_application(services, TOKEN, polling=False, api_url=emulator.base_url)
        async with restarted:
            ada = Dialogue(emulator, deliver_to(restarted), user_id=42, first_name="Ada")
            await ada.send("/start")
            await ada.press("▶ Machine Learning Foundations")
            await ada.press("▶ Continue: 1.3")
            assert "Module 1 · Topic 3 of 4" in ada.last.text
    await application.initialize()  # let the fixture shut it down cleanly


async def test_locked_module_cannot_be_opened_by_button_forgery_or_command(
    talk, pool: asyncpg.Pool, course_id
) -> None:
    ada: Dialogue = talk()
    await ada.send("/start ml-foundations")
    await ada.press("📘 Normal")

    await ada.press("🔒 2. Models and training")
    assert ada.answer_text == "Module 2 is locked: pass the Module 1 quiz to unlock it."
    assert ada.last.text.startswith("Machine Learning Foundations\nProgress:"), "still the menu"

    for forged in (
        action("module", course=course_id, module=2),
        action("topic", course=course_id, module=2, topic=1, page=0),
        action("complete", course=course_id, module=3, topic=4),
    ):
        assert await ada.press_forged(forged) == []
        assert "locked" in (ada.answer_text or "")

    await ada.send("/module 2")
    assert ada.last.text == "Sorry, I don't know that command. /help lists what I can do."
    assert await pool.fetchval("SELECT count(*) FROM topic_progress") == 0
    assert await pool.fetchval("SELECT count(*) FROM module_progress") == 1


async def test_callbacks_forged_for_someone_elses_enrollment_change_nothing(
    talk, pool: asyncpg.Pool, course_id
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start ml-foundations")
    await ada.press("📘 Normal")
    mallory: Dialogue = talk(66, "Mallory")
    await mallory.send("/start")

    for forged in (
        action("complete", course=course_id, module=1, topic=1),
        action("topic", course=course_id, module=1, topic=1, page=0),
        action("persona", course=course_id, persona="sports"),
        action("course_menu", course=course_id),
    ):
        assert await mallory.press_forged(forged) == []
        assert mallory.answer_text == "You are not enrolled in this course. Open it from /courses."

    assert await pool.fetchval("SELECT count(*) FROM topic_progress") == 0
    assert await pool.fetchval("SELECT count(*) FROM enrollments WHERE user_id = 66") == 0
    assert await pool.fetchval("SELECT persona FROM topic_personalization") == "normal"


@pytest.mark.parametrize("data", ["zzz", "t:short:1:1:0", "t::::", "c:" + "A" * 60, "md:x:1"])
async def test_garbage_callback_data_gets_a_polite_answer(talk, data: str) -> None:
    ada: Dialogue = talk()
    await ada.send("/start")
    assert await ada.press_forged(data) == []
    assert ada.answer_text == "This button is no longer valid. Send /start to begin again."


async def test_enrolling_twice_never_duplicates_and_suspension_sticks(
    talk, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk()
    await ada.send("/start ml-foundations")
    await ada.press("📘 Normal")
    await ada.send("/start ml-foundations")
    assert "Machine Learning Foundations" in ada.last.text and "Progress:" in ada.last.text
    assert await pool.fetchval("SELECT count(*) FROM enrollments") == 1

    await pool.execute("UPDATE enrollments SET status = 'suspended'")
    await ada.send("/start ml-foundations")
    assert "suspended" in ada.last.text
    assert await pool.fetchval("SELECT status FROM enrollments") == "suspended"


async def test_catalog_and_course_card(talk) -> None:
    ada: Dialogue = talk()
    await ada.send("/courses")
    assert "Machine Learning Foundations" in ada.last.text
    await ada.press("Machine Learning Foundations")
    assert "Price: free" in ada.last.text
    assert "Modules: 3 · Topics: 12" in ada.last.text
    await ada.press("✅ Enroll for free")
    assert "Pick a study persona" in ada.last.text


async def test_every_page_of_every_topic_in_every_persona_fits_telegram(
    talk, pool: asyncpg.Pool, course_id, emulator: BotApiEmulator
) -> None:
    ada: Dialogue = talk()
    await ada.send("/start ml-foundations")
    await pool.execute(
        "INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at) "
        "SELECT 42, $1, m, now() FROM generate_series(2, 3) m",
        course_id,
    )
    pages_seen = 0
    for persona in ("📘 Normal", "⚽ Sports", "🍳 Cooking", "🧭 Adventure"):
        await ada.press(persona)
        for module in (1, 2, 3):
            for topic in (1, 2, 3, 4):
                await ada.press_forged(
                    action("topic", course=course_id, module=module, topic=topic, page=0)
                )
                pages_seen += 1
                while _has_next_page(ada.last.text):
                    await ada.press("Page ▶")
                    pages_seen += 1
        await ada.press("⬅ Module")
        await ada.press("⬅ Course")
        await ada.press("🎭 Persona")
    emulator.assert_no_rejections()
    assert pages_seen > 48, "the long topics were paged"


def _has_next_page(text: str) -> bool:
    marker = text.rsplit("page ", 1)
    if len(marker) < 2 or "/" not in marker[1]:
        return False
    current, total = marker[1].split("/")[:2]
    return int(current) < int("".join(ch for ch in total if ch.isdigit()))


async def test_odd_inputs_get_a_sensible_reply_or_are_ignored(
    talk, emulator: BotApiEmulator, application: Application, services: Services
) -> None:
    ada: Dialogue = talk()
    await ada.send("/start")

    await ada.send("/doesnotexist")
    assert ada.last.text.startswith("Sorry, I don't know that command")
    await ada.send("hello there")
    assert ada.last.text == "Open a course first (/courses), then type your question about it."
    await ada.send_sticker()
    assert ada.last.text.startswith("I can only read text messages")
    await ada.send_photo(b"\x89PNG fake", caption="look")
    assert ada.last.text.startswith("I can only read text messages")
    before = len(ada.messages)
    mine = [m for m in emulator.chat(42) if not m.from_bot and m.text][-1]
    await deliver_to(application)(emulator.edit_text(42, mine.message_id, "edit", deliver=False))
    assert len(ada.messages) == before, "edits are ignored"

    emulator.group(-100, "Study group")
    group = Dialogue(emulator, deliver_to(application), user_id=43, first_name="Bob", chat=-100)
    await group.send("/start@tutorbot_test_bot")
    assert "I teach in private chats" in group.last.text
    await group.send("just chatting")  # privacy mode: the bot never sees it
    await deliver_to(application)(emulator.channel_post(-200, "news", deliver=False))

    assert services.metrics.value("tutorbot_handler_errors_total") == 0
