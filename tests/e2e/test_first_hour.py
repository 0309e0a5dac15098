"""The rough edges a new learner met in their first hour (issue 19), each as the dialogue
that showed it. Real Application, real database, the Bot API emulator (which refuses what
Telegram refuses); the tiny tea course has 2 modules × 2 topics, the demo course 3 × 4."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.callbacks import action
from bot.pack_files import load_pack
from domain.personas import Persona
from tests.conftest import ADMIN_ID
from tests.support import Dialogue
from tests.support.clock import FakeClock
from tests.support.courses import DEMO_PACK, TINY_PACK, import_pack

# What a learner who did not study answers in the tiny tea course.
WRONG = {
    "Which plant": "Peppermint",
    "What mainly makes": "Black tea is never dried",
    "Roughly what water": "Room temperature",
    "What usually happens": "It loses all its colour",
}


@pytest.fixture
async def tea(pool: asyncpg.Pool) -> None:
    await import_pack(pool, TINY_PACK)


@pytest.fixture
async def demo(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)


@pytest.fixture
def noon(clock: FakeClock) -> FakeClock:
    clock.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    return clock


async def answer_wrongly(chat: Dialogue) -> None:
    question = chat.last.text
    await chat.press(next(bad for start, bad in WRONG.items() if start in question))


async def fail_the_first_quiz(ada: Dialogue) -> None:
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("1. Kinds of tea")
    await ada.press("1. The tea plant")
    await ada.press("✅ Mark complete")
    await ada.press("Next ➡")
    await ada.press("✅ Mark complete")
    await ada.press("📝 Module 1 quiz")
    await ada.press("▶ Start the quiz")
    await answer_wrongly(ada)
    await answer_wrongly(ada)
    assert "Not passed this time" in ada.last.text


# -- "Revisit" after a failed quiz --------------------------------------------------------------


async def test_revisit_offers_every_topic_of_a_weak_pair(talk, tea, noon) -> None:
    ada: Dialogue = talk(42, "Ada")
    await fail_the_first_quiz(ada)

    assert "⚠️ 1.1 The tea plant, 1.2 Green, oolong and black tea: 0/2" in ada.last.text
    revisits = [row[0] for row in ada.last.buttons if row[0].startswith("📖 Revisit")]
    assert revisits == [
        "📖 Revisit 1.1 The tea plant",
        "📖 Revisit 1.2 Green, oolong and black tea",
    ]
    await ada.press("📖 Revisit 1.2 Green, oolong and black tea")
    assert "Module 1 · Topic 2 of 2" in ada.last.text


# -- "Mark complete" and going on --------------------------------------------------------------


async def test_completing_a_topic_can_go_on_to_the_next_in_the_same_press(talk, demo) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start ml-foundations")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue")
    assert "Module 1 · Topic 1 of 4" in ada.last.text

    await ada.press("✅ Complete & go on ➡")
    assert ada.answer_text == "✅ Completed — 1/4 topics of Module 1"
    assert "Module 1 · Topic 2 of 4" in ada.last.text
    assert len(ada.messages) == 1, "the same message, edited"
    await ada.press("⬅ Previous")
    assert "✅ completed" in ada.last.text

    await ada.press("Next ➡")
    await ada.press("✅ Complete & go on ➡")
    await ada.press("✅ Complete & go on ➡")
    assert "Module 1 · Topic 4 of 4" in ada.last.text
    assert "Complete & go on" not in str(ada.last.buttons), "the last topic has no next"
    await ada.press("✅ Mark complete")
    assert ada.answer_text == "✅ Completed — 4/4 topics of Module 1"
    assert "📝 Module 1 quiz" in str(ada.last.buttons)


# -- "▶ Continue" ----------------------------------------------------------------------------


async def test_continue_names_the_topic_and_skips_what_is_done(talk, demo) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start ml-foundations")
    await ada.press("📘 Normal")
    assert ada.last.buttons[0] == ["▶ Continue: 1.1 What machine learning is"]

    await ada.press("▶ Continue")
    await ada.press("✅ Mark complete")  # done with 1.1, and still on it
    await ada.press("⬅ Module")
    await ada.press("⬅ Course")
    assert ada.last.buttons[0] == [
        "▶ Continue: 1.2 Supervised, unsupervised and reinforcement learning"
    ]
    await ada.press("▶ Continue")
    assert "Module 1 · Topic 2 of 4" in ada.last.text

    await ada.press("Next ➡")  # looked at 1.3, left it unfinished: that is where to go on
    await ada.press("⬅ Module")
    await ada.press("⬅ Course")
    assert ada.last.buttons[0][0].startswith("▶ Continue: 1.3 ")

    for _ in range(3):  # 1.3, 1.4, then back to 1.2, which was skipped
        await ada.press("▶ Continue")
        await ada.press("✅ Mark complete")
        await ada.press("⬅ Module")
        await ada.press("⬅ Course")
    assert ada.last.buttons[0] == ["▶ Continue: Module 1 quiz"], "every open topic is done"
    await ada.press("▶ Continue: Module 1 quiz")
    assert "📝 Module 1 quiz" in ada.last.text


# -- Home -------------------------------------------------------------------------------------


async def test_home_says_one_thing_per_state(talk, tea) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start")
    assert "<b>Catalog</b>\n• Tea basics" in ada.last.html

    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.send("/start")  # enrolled in every course there is
    assert "<b>Your courses</b>\n• Tea basics" in ada.last.html
    assert "\n\n\n" not in ada.last.html and "Catalog" not in ada.last.text
    assert ada.last.text.endswith("Tea basics — ▱▱▱▱▱▱▱▱▱▱ 0%\n\nType /help to see what I can do.")

    admin: Dialogue = talk(ADMIN_ID, "Grace")
    await admin.send("/courses_admin")
    await admin.press("📝 Unpublish tiny")
    await ada.send("/start")  # still hers, though no longer in the catalog
    assert "Tea basics — ▱▱▱▱▱▱▱▱▱▱ 0%" in ada.last.text
    assert "No courses are published yet" not in ada.last.text
    assert "\n\n\n" not in ada.last.html

    bob: Dialogue = talk(43, "Bob")
    await bob.send("/start")  # nothing to join, nothing joined
    assert "No courses are published yet" in bob.last.text
    assert "\n\n\n" not in bob.last.html


# -- the demo course's media buttons -----------------------------------------------------------


async def test_the_demo_course_links_to_real_videos(talk, demo, pool: asyncpg.Pool) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start ml-foundations")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue")
    video = next(b for row in ada.last.inline_keyboard for b in row if b["text"] == "🎬 Video")
    assert video["url"] == "https://www.youtube.com/watch?v=Gv9_4yMHFhI"  # StatQuest's intro

    links = [
        url
        for module in load_pack(DEMO_PACK).modules
        for topic in module.topics
        for url in (topic.ppt_url, topic.video_url)
        if url
    ]
    assert links and all(urlsplit(url).hostname == "www.youtube.com" for url in links), links
    stored = await pool.fetch("SELECT ppt_url, video_url FROM topics")
    assert not [r for r in stored if "example." in f"{r['ppt_url']}{r['video_url']}"]


# -- a source button under an answer ----------------------------------------------------------


async def test_a_source_button_opens_the_topic_below_and_the_answer_stays(talk, tea) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue")
    await ada.send("What is oolong?")
    answer = ada.last
    assert "Sources" in answer.text
    assert "📖 1.2 Green, oolong and black tea" in str(answer.buttons)

    await ada.press("📖 1.2 Green, oolong and black tea")
    assert "Module 1 · Topic 2 of 2" in ada.last.text, "the topic, in a new message"
    assert ada.last.message_id != answer.message_id
    kept = next(m for m in ada.messages if m.message_id == answer.message_id)
    assert kept.text == answer.text and kept.edit_count == answer.edit_count


# -- buttons that lead nowhere new ----------------------------------------------------------------


async def test_page_buttons_at_the_ends_and_the_counter_answer_with_a_note(
    talk, demo, pool: asyncpg.Pool, emulator
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start ml-foundations")
    await ada.press("📘 Normal")
    await pool.execute(
        "INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at) "
        "SELECT 42, id, 2, now() FROM courses"
    )
    await ada.press("2. Models and training")
    await ada.press("2. Loss functions and gradient descent")
    assert "page 1/2" in ada.last.text
    edits = ada.last.edit_count

    await ada.press("◀ Page")
    assert ada.answer_text == "Page 1 of 2 — the first page."
    await ada.press("1/2")
    assert ada.answer_text == "Page 1 of 2 — the first page."
    assert ada.last.edit_count == edits, "nothing to change, nothing sent"

    await ada.press("Page ▶")
    assert "page 2/2" in ada.last.text and ada.answer_text is None
    await ada.press("Page ▶")
    assert ada.answer_text == "Page 2 of 2 — the last page."
    await ada.press("2/2")
    assert ada.answer_text == "Page 2 of 2 — the last page."

    back = next(b for row in ada.last.inline_keyboard for b in row if b["text"] == "⬅ Module")
    await ada.press("⬅ Module")
    await ada.press_forged(back["callback_data"])  # a double tap lands on the same screen
    assert ada.answer_text == "You're already here."
    assert not [c for c in emulator.calls if not c.ok], "Telegram never had to refuse a call"


# -- one live copy of the quiz question ------------------------------------------------------


def live_questions(chat: Dialogue) -> list[int]:
    """The messages with buttons that answer a quiz question."""
    return [
        m.message_id
        for m in chat.messages
        if any(
            str(b.get("callback_data", "")).startswith(("qa:", "qt:"))
            for r in m.inline_keyboard
            for b in r
        )
    ]


async def test_back_to_the_quiz_moves_the_question_instead_of_copying_it(talk, tea, noon) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("1. Kinds of tea")
    await ada.press("1. The tea plant")
    await ada.press("✅ Complete & go on ➡")
    await ada.press("✅ Mark complete")
    await ada.press("📝 Module 1 quiz")
    await ada.press("▶ Start the quiz")
    first = ada.last
    assert live_questions(ada) == [first.message_id]

    await ada.send("Which plant does tea come from?")
    assert "I'm not answering questions while your Module 1 quiz is running" in ada.last.text
    await ada.press("▶ Back to the quiz")
    assert "Question 1 of 2" in ada.last.text
    assert live_questions(ada) == [ada.last.message_id], "one live copy"
    left = next(m for m in ada.messages if m.message_id == first.message_id)
    assert "This question moved to a newer message below." in left.text
    assert left.buttons == []

    await ada.send("/quiz")  # shows it again, below: the copy above retires
    assert live_questions(ada) == [ada.last.message_id]
    await answer_wrongly(ada)
    assert "Question 2 of 2" in ada.last.text
    assert live_questions(ada) == [ada.last.message_id]
    assert len([m for m in ada.messages if "❌ Not quite." in m.text]) == 1


# -- the end of a suggestion thread -------------------------------------------------------------


async def test_a_follow_up_answer_ends_with_somewhere_to_go(talk, tea) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue")
    await ada.press("💡 Is chamomile a real tea?")
    assert ada.last.buttons[0] == ["💡 Do herbal infusions contain caffeine?"]

    await ada.press("💡 Do herbal infusions contain caffeine?")  # has no follow-ups of its own
    assert "naturally caffeine-free" in ada.last.text
    assert ada.last.buttons == [
        ["💡 Which tea should a beginner try first?"],
        ["📚 Tea basics", "🙋 Ask a tutor"],
    ]
    answer = ada.last
    await ada.press("📚 Tea basics")
    assert ada.last.text.startswith("Tea basics\nProgress:"), "the course menu, below"
    assert ada.last.message_id != answer.message_id


# -- personas the course is written for --------------------------------------------------------


async def test_only_personas_the_course_has_are_offered_and_a_missing_variant_is_said(
    talk, tea, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")  # tea: a sports retelling of 1.1 only, nothing else
    assert ada.last.buttons == [["📘 Normal"], ["⚽ Sports · 1 of 4 topics"]]
    assert "(1 of 4 topics; the others in the plain text)" in ada.last.text
    assert "Cooking" not in ada.last.text and "Adventure" not in ada.last.text

    await ada.press("⚽ Sports")
    assert "Persona: ⚽ Sports · 1 of 4 topics" in ada.last.text
    await ada.press("▶ Continue")
    assert "⚽ Sports · not completed yet" in ada.last.text, "1.1 has its sports version"
    await ada.press("Next ➡")
    assert "⚽ Sports: no version of this topic yet, shown in the plain text" in ada.last.text

    course = await pool.fetchval("SELECT id FROM courses")
    await ada.press_forged(action("persona", course=course, persona=Persona.COOKING))
    assert ada.answer_text == "Tea basics has no cooking version yet."
    assert await pool.fetchval("SELECT persona FROM topic_personalization") == "sports"


# -- one module state, worded one way -----------------------------------------------------------


async def test_a_failed_quiz_is_the_same_module_state_on_every_screen(talk, tea, noon) -> None:
    ada: Dialogue = talk(42, "Ada")
    await fail_the_first_quiz(ada)
    said = "quiz not passed, reopens at 13:00 UTC"

    await ada.send("/quiz")
    assert ada.last.text.startswith("You have no quiz in progress.")
    assert f"⏳ Tea basics, Module 1: {said}" in ada.last.text
    await ada.send("/progress")
    assert f"⏳ Module 1: ▰▰▰▰▰ 100% (2/2, {said})" in ada.last.text
    assert "completed" not in ada.last.text
    await ada.press("▶ Tea basics")
    assert f"⏳ Module 1: Kinds of tea — {said}, 2/2" in ada.last.text
    await ada.press("⏳ 1. Kinds of tea")
    assert f"▰▰▰▰▰▰▰▰▰▰ 100% · {said}" in ada.last.text

    admin: Dialogue = talk(ADMIN_ID, "Grace")
    await admin.send("/learner 42")
    assert f"M1 ⏳ {said} · topics 2/2" in admin.last.text
    assert "🔓" not in admin.last.text and "cooldown until" not in admin.last.text
    assert "M2 🔒 locked" in admin.last.text

    noon.advance(hours=1)  # the cooldown ran out: every screen says the quiz is to take
    await ada.send("/quiz")
    assert "✅ Tea basics, Module 1: completed, quiz to take" in ada.last.text
    await ada.press("📝 Take the Module 1 quiz")
    assert "Ready? One question at a time" in ada.last.text
    await admin.send("/learner 42")
    assert "M1 ✅ completed, quiz to take" in admin.last.text
