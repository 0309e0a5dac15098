"""A learner keeps notes and bookmarks while reading the demo course: through the real
Application, the Bot API emulator and the real database."""

from __future__ import annotations

import asyncpg
import pytest
from telegram.ext import Application

from bot.callbacks import action
from bot.emulator import BotApiEmulator
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.courses import DEMO_PACK, import_pack


@pytest.fixture(autouse=True)
async def demo_course(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)


async def reading_topic_one(ada: Dialogue) -> None:
    await ada.send("/start ml-foundations")
    await ada.press("⚽ Sports")
    await ada.press("▶ Continue: 1.1")


async def test_a_note_is_kept_with_the_topic_being_read_and_found_by_its_words(talk) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/note the loss is a mean")
    assert "Open a topic first" in ada.last.text

    await reading_topic_one(ada)
    await ada.send("/note The loss is a <b>mean</b> of errors & 100% of them count")
    assert "📝 Kept with 1.1" in ada.last.text
    assert "Machine Learning Foundations" in ada.last.text
    # Their own text, character for character: tags typed are not formatting.
    assert "The loss is a <b>mean</b> of errors & 100% of them count" in ada.last.text

    await ada.send("/note\nsecond thought:\ngradients point uphill")
    await ada.send("/notes")
    listing = ada.last.text
    assert "Your notes (2)" in listing
    assert listing.index("gradients point uphill") < listing.index("The loss is a")

    await ada.send("/notes MEAN errors")
    assert "Notes with “MEAN errors” (1)" in ada.last.text
    await ada.send("/notes 100%")
    assert "(1)" in ada.last.text, "a % is a character to find, not a pattern"
    await ada.send("/notes uphill loss")
    assert "No notes match those words." in ada.last.text


async def test_a_note_too_long_is_refused_and_nothing_is_kept(talk, pool: asyncpg.Pool) -> None:
    ada: Dialogue = talk(42, "Ada")
    await reading_topic_one(ada)
    await ada.send("/note " + "x" * 4000)  # the longest message Telegram carries: 4,096
    assert ada.last.text == (
        "A note holds at most 2,000 characters; yours has 4,000. Split it into shorter notes."
    )
    await ada.send("/note " + "y" * 2000)
    assert "📝 Kept with 1.1" in ada.last.text
    assert await pool.fetchval("SELECT count(*) FROM notes") == 1


async def test_the_same_update_delivered_twice_keeps_one_note(
    talk, emulator: BotApiEmulator, application: Application, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await reading_topic_one(ada)
    update = emulator.send_text(42, "/note keep me once", deliver=False)
    await deliver_to(application)(update)
    await deliver_to(application)(update)
    assert await pool.fetchval("SELECT count(*) FROM notes WHERE user_id = 42") == 1


async def test_a_topics_notes_screen_lists_deletes_and_bookmarks(talk) -> None:
    ada: Dialogue = talk(42, "Ada")
    await reading_topic_one(ada)
    await ada.send("/note first")
    await ada.send("/note second")
    await ada.send("/note")
    notes = ada.last.text
    assert "Notes on 1.1" in notes and "1. " in notes and "2. " in notes
    assert notes.index("second") < notes.index("first")

    await ada.press("🗑 1")
    assert ada.answer_text == "🗑 Deleted"
    assert "second" not in ada.last.text and "first" in ada.last.text

    await ada.press("🔖 Bookmark")
    assert ada.answer_text.startswith("🔖 Bookmarked 1.1")
    await ada.send("/bookmarks")
    assert "• 1.1 " in ada.last.text
    await ada.press("1.1")
    assert "Topic 1 of" in ada.last.text, "a bookmark opens its topic"

    await ada.press("🔖 Bookmark")  # the topic's own button toggles it off again
    assert ada.answer_text.startswith("Bookmark removed from 1.1")
    await ada.send("/bookmarks")
    assert "None yet" in ada.last.text


async def test_a_locked_module_takes_no_notes_or_bookmarks_and_other_notes_stay_theirs(
    talk, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada")
    bob: Dialogue = talk(43, "Bob")
    await reading_topic_one(ada)
    await reading_topic_one(bob)
    await bob.send("/note bob's own")
    bobs = await pool.fetchval("SELECT id FROM notes WHERE user_id = 43")
    course = await pool.fetchval("SELECT id FROM courses WHERE slug = 'ml-foundations'")

    await ada.press_forged(action("topic_notes", course=course, module=2, topic=1))
    assert ada.answer_text == "That topic does not exist (any more)."
    await ada.press_forged(action("bookmark", course=course, module=2, topic=1))
    assert ada.answer_text == "That topic does not exist (any more)."
    await ada.press_forged(action("note_delete", note=bobs))
    assert ada.answer_text == "That note is already deleted."
    assert await pool.fetchval("SELECT count(*) FROM notes WHERE user_id = 43") == 1
    assert await pool.fetchval("SELECT count(*) FROM bookmarks") == 0


async def test_notes_outlive_a_topic_the_author_removes(talk, pool: asyncpg.Pool) -> None:
    ada: Dialogue = talk(42, "Ada")
    await reading_topic_one(ada)
    await ada.send("/note worth keeping")
    await ada.press("🗂 All my notes")
    await pool.execute("DELETE FROM topics WHERE module_no = 1 AND topic_number = 1")
    await ada.send("/notes")
    assert "worth keeping" in ada.last.text and "1.1 " in ada.last.text
