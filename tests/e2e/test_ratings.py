"""Rating a course, as learners and staff live it: the stars come once the course is
completed (or, where the author says so, its first module), words are plain text, the
card shows the average only from three ratings up, and staff hide a review."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from bot.callbacks import action
from tests.support import Dialogue
from tests.support.courses import TINY_PACK, editable_copy, import_pack


@pytest.fixture
async def tea(pool: asyncpg.Pool, tmp_path: Path) -> UUID:
    """The tiny tea course without its quizzes: reading every topic completes it."""
    pack = editable_copy(TINY_PACK, tmp_path)
    for quiz in pack.glob("modules/*/quiz.yaml"):
        quiz.unlink()
    await import_pack(pool, pack)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def complete_the_course(chat: Dialogue) -> None:
    await chat.send("/start tiny")
    await chat.press("📘 Normal")
    await chat.press("▶ Continue: 1.1")
    await chat.press("Complete & go on")
    await chat.press("✅ Mark complete")  # Module 2 opens
    await chat.send("/start tiny")
    await chat.press("▶ Continue: 2.1")
    await chat.press("Complete & go on")
    await chat.press("✅ Mark complete")
    # The topic's screen says so; the certificate (a PDF) arrives below it.
    assert "You completed Tea basics" in chat.messages[-2].text, chat.transcript()
    assert chat.last.document is not None


async def test_a_learner_rates_a_completed_course_and_adds_words(talk, tea: UUID) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.send("/rate")
    assert "once you have completed it" in ada.last.text
    await ada.press_forged(action("rate", course=tea, stars=5))
    assert ada.answer_text == "You can rate this course once you have completed it."

    await complete_the_course(ada)
    await ada.press("⭐ Rate this course")  # on the topic's screen, above the certificate
    [rating] = ada.replies
    assert "⭐ Rate Tea basics" in rating.text
    await ada.press("4★")
    assert [m.message_id for m in ada.replies] == [rating.message_id]
    assert "Thank you! Your rating: ★★★★☆" in ada.replies[0].text
    await ada.send("/rate Clear <b>and</b> practical — https://example.org")
    assert "“Clear <b>and</b> practical — https://example.org”" in ada.last.text
    await ada.press("⬅ Course")

    await ada.send("/rate " + "x" * 4000)
    assert "at most 1,000 characters; yours has 4,000" in ada.last.text
    await ada.press_forged(action("rate", course=tea, stars=6))
    assert ada.answer_text == "A rating is 1 to 5 stars."
    await ada.send("/rate")  # one course to rate: its screen at once
    assert "Your rating: ★★★★☆" in ada.last.text and "Clear <b>and</b>" in ada.last.text
    await ada.press("5★")
    assert "★★★★★" in ada.last.text and "Clear <b>and</b> practical" in ada.last.text


async def test_the_card_shows_the_average_from_three_ratings_and_staff_hide_one(
    talk, tea: UUID, pool: asyncpg.Pool
) -> None:
    learners = [talk(50 + i, name) for i, name in enumerate(("Ada", "Bo", "Cy"))]
    for chat, stars in zip(learners, (5, 4, 2), strict=True):
        await complete_the_course(chat)
        await chat.press("⭐ Rate this course")
        await chat.press(f"{stars}★")
        if stars == 2:
            await chat.send("/rate Too short for me")

    dee: Dialogue = talk(60, "Dee")
    await dee.send("/courses")
    await dee.press("Tea basics")
    assert "Rating: ★ 3.7 (3 ratings)" in dee.last.text
    await dee.press("💬 What learners say")
    assert "★ 3.7 from 3 ratings" in dee.last.text
    assert "★★☆☆☆ “Too short for me”" in dee.last.text
    assert "Cy" not in dee.last.text, "reviews are shown without names"

    admin: Dialogue = talk(1, "Root")
    await admin.send("/hide_review 52 tiny spam")
    assert "review of tiny is hidden" in admin.last.text
    await admin.send("/hide_review 52 tiny spam")
    assert "Nothing to hide" in admin.last.text
    await dee.press("⬅ Course")
    assert "Rating:" not in dee.last.text, "two visible ratings: no average"
    await admin.send("/stats tiny")
    report = "\n".join(m.text or m.caption or "" for m in admin.messages[-2:])
    assert "Rating: ★ 4.5 from 2 ratings, 0 reviews with words" in report
    audit = await pool.fetchval("SELECT count(*) FROM admin_audit WHERE action = 'hide_review'")
    assert audit == 2

    await learners[0].send("/hide_review 52 tiny spam")
    assert "not allowed" in learners[0].last.text


async def test_an_author_may_open_rating_after_the_first_module(
    talk, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    pack = editable_copy(TINY_PACK, tmp_path)
    for quiz in pack.glob("modules/*/quiz.yaml"):
        quiz.unlink()
    meta = pack / "course.yaml"
    meta.write_text(
        re.sub(r"settings:\n", "settings:\n  reviews_after: first_module\n", meta.read_text())
    )
    await import_pack(pool, pack)
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue: 1.1")
    await ada.send("/rate")
    assert "some courses: once you have completed their first module" in ada.last.text
    await ada.press("Complete & go on")
    await ada.press("✅ Mark complete")  # module 1 done: module 2 opens
    await ada.send("/rate")
    assert "⭐ Rate Tea basics" in ada.last.text
