"""The demo course completed the long way, through its three quizzes: one certificate
that verifies in the chat, and nothing more when the last quiz's result comes again."""

from __future__ import annotations

import asyncpg
import pytest

from tests.e2e.test_certificates import code_of, documents
from tests.support import Dialogue
from tests.support.courses import DEMO_PACK, import_pack


@pytest.fixture(autouse=True)
async def demo_course(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)


async def right_options(pool: asyncpg.Pool, shown: str) -> list[str]:
    """The right options of the question on screen, as the course has them."""
    rows = await pool.fetch(
        "SELECT q.question_text, o.option_text FROM quiz_questions q "
        "JOIN quiz_options o ON o.question_id = q.id WHERE o.is_correct AND q.is_active"
    )
    asked = max((r["question_text"] for r in rows if r["question_text"] in shown), key=len)
    return [r["option_text"] for r in rows if r["question_text"] == asked]


def label_ending(chat: Dialogue, text: str) -> str:
    rows = chat.last.reply_markup["inline_keyboard"]
    [label] = [b["text"] for row in rows for b in row if b["text"].endswith(text)]
    return label


async def pass_the_quiz(chat: Dialogue, pool: asyncpg.Pool, module: int) -> None:
    await chat.press(f"📝 Module {module} quiz")
    await chat.press("Start the quiz")
    while "Question" in chat.last.text and "quiz" in chat.last.text:
        right = await right_options(pool, chat.last.text)
        for text in right:
            await chat.press(label_ending(chat, text))
        if len(right) > 1:
            await chat.press("Submit")


async def read_module(chat: Dialogue, module: int, topics: int) -> None:
    await chat.send("/start ml-foundations")
    await chat.press(f"▶ Continue: {module}.1")
    for _ in range(topics - 1):
        await chat.press("Complete & go on")
    await chat.press("✅ Mark complete")


async def test_completing_the_demo_course_through_its_quizzes_brings_one_certificate(
    talk, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada", last_name="Lovelace")
    await ada.send("/start ml-foundations")
    await ada.press("⚽ Sports")
    for module in (1, 2, 3):
        await read_module(ada, module, 4)
        await pass_the_quiz(ada, pool, module)
    assert "You completed Machine Learning Foundations" in ada.transcript()
    [certificate] = documents(ada)
    await ada.send(f"/verify {code_of(certificate)}")
    assert "✅ Valid certificate" in ada.last.text and "Ada Lovelace" in ada.last.text
    await ada.send("/certificates")
    assert ada.last.text.count("Machine Learning Foundations") == 1
    assert len(documents(ada)) == 1
