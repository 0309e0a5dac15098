"""Quiz answers are recorded once and only for their owner, whatever the client sends:
forged callback data, double taps, a second device, re-delivered updates."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg
import pytest
from telegram.ext import Application

from bot.callbacks import action
from bot.emulator import BotApiEmulator
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.courses import TINY_PACK, editable_copy, import_pack

KINDS_QUIZ = """\
questions:
  - pair: 0
    question: "Which of these are true teas? (select all that apply)"
    options:
      - text: "Green tea"
        correct: true
      - text: "Black tea"
        correct: true
      - text: "Chamomile"
  - pair: 0
    question: "Oolong tea comes from Camellia sinensis."
    options:
      - text: "False"
      - text: "True"
        correct: true
"""


@pytest.fixture
async def course_id(pool: asyncpg.Pool, tmp_path: Path):
    pack = editable_copy(TINY_PACK, tmp_path)
    (pack / "modules" / "01-kinds-of-tea" / "quiz.yaml").write_text(KINDS_QUIZ)
    await import_pack(pool, pack)
    await pool.execute("UPDATE courses SET quiz_requires_topics = false")
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def start_quiz(chat: Dialogue) -> None:
    await chat.send("/start tiny")
    await chat.press("📘 Normal")
    await chat.press("1. Kinds of tea")
    await chat.press("📝 Take the Module 1 quiz")
    await chat.press("▶ Start the quiz")


async def attempt_of(pool: asyncpg.Pool, user_id: int) -> asyncpg.Record:
    return await pool.fetchrow("SELECT * FROM quiz_attempts WHERE user_id = $1", user_id)


def callback_data(chat: Dialogue) -> list[str]:
    markup = chat.last.reply_markup or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def answer_current(chat: Dialogue) -> None:
    """Answer whichever of the two questions is showing, correctly."""
    if "select all" in chat.last.text:
        await chat.press("Green tea")
        await chat.press("Black tea")
        await chat.press("✔ Submit")
    else:
        await chat.press("True")


async def test_multiple_choice_ticks_and_submits_the_whole_set(
    talk, course_id, pool: asyncpg.Pool
) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    if "select all" not in ada.last.text:
        await ada.press("True")
    assert "Tick every right option, then submit." in ada.last.text

    await ada.press("✔ Submit (0 ticked)")
    assert ada.answer_text == "Pick an option first."
    await ada.press("Green tea")
    ticked = [label for row in ada.last.buttons for label in row if label.startswith("☑")]
    assert len(ticked) == 1 and ticked[0].endswith(") Green tea")
    await ada.press("Chamomile")
    await ada.press("Chamomile")  # changed her mind: unticked again
    await ada.press("Black tea")
    await ada.press("✔ Submit (2 ticked)")
    assert ada.answer_text == "✅ Correct!"
    attempt = await attempt_of(pool, 42)
    multi = next(i for i, q in enumerate(attempt["question_set"]) if q["kind"] == "multiple")
    assert attempt["answers"][str(multi)] == attempt["question_set"][multi]["correct"]


async def test_a_partly_right_selection_is_wrong(talk, course_id) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    if "select all" not in ada.last.text:
        await ada.press("True")
    await ada.press("Green tea")
    await ada.press("✔ Submit (1 ticked)")
    assert ada.answer_text == "❌ Not quite"


async def test_true_or_false_offers_true_then_false(talk, course_id) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    if "select all" in ada.last.text:
        await answer_current(ada)
    assert ada.last.buttons[0] == ["True", "False"]
    await ada.press("False")
    assert ada.answer_text == "❌ Not quite"
    assert "Right answer: True" in ada.messages[-2].text


async def test_buttons_carry_option_indexes_only_never_correctness(
    talk, course_id, pool: asyncpg.Pool
) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    attempt = await attempt_of(pool, 42)
    for index in range(2):
        data = callback_data(ada)
        answers = [d for d in data if not d.startswith("qx:")]
        if "select all" in ada.last.text:
            # One toggle per option (the mask it would set) and a submit of the empty mask.
            assert len(answers) == 4
            assert all(re.fullmatch(rf"q[ts]:[\w-]{{22}}:{index}:\d{{1,2}}", d) for d in answers)
        else:
            expected = {
                action("quiz_answer", attempt=attempt["id"], question=index, option=i)
                for i in range(2)
            }
            assert set(answers) == expected
        assert "✅" not in ada.last.text and "❌" not in ada.last.text
        await answer_current(ada)


async def test_another_learner_cannot_answer_someone_elses_attempt(
    talk, course_id, pool: asyncpg.Pool
) -> None:
    ada, bob = talk(42, "Ada"), talk(43, "Bob")
    await start_quiz(ada)
    await bob.send("/start")
    attempt = await attempt_of(pool, 42)

    forged = action("quiz_answer", attempt=attempt["id"], question=0, option=0)
    await bob.press_forged(forged)
    assert bob.answer_text == "This quiz is no longer available."
    await bob.press_forged(action("quiz_abandon_confirm", attempt=attempt["id"]))
    assert bob.answer_text == "This quiz is no longer available."
    after = await attempt_of(pool, 42)
    assert (after["current_index"], after["answers"], after["status"]) == (0, {}, "in_progress")


async def test_an_answered_question_cannot_be_answered_again(
    talk, course_id, pool: asyncpg.Pool
) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    first = ada.last
    old_buttons = [d for d in callback_data(ada) if not d.startswith("qx:")]
    await answer_current(ada)
    sent = len(ada.messages)

    for data in old_buttons:
        await ada.press_forged(data, message_id=first.message_id)
        assert ada.answer_text in (
            "You already answered that question.",
            "Pick an option first.",  # the old submit carried an empty selection
        )
    assert len(ada.messages) == sent
    attempt = await attempt_of(pool, 42)
    assert attempt["current_index"] == 1 and attempt["correct_count"] == 1


async def test_forged_indexes_are_refused_politely(talk, course_id, pool: asyncpg.Pool) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    attempt = (await attempt_of(pool, 42))["id"]
    await ada.press_forged(action("quiz_answer", attempt=attempt, question=1, option=0))
    assert ada.answer_text == "That question isn't open yet."
    await ada.press_forged(action("quiz_answer", attempt=attempt, question=0, option=9))
    assert ada.answer_text in ("Pick an option first.", "Pick exactly one option.")
    await ada.press_forged(action("quiz_submit", attempt=attempt, question=0, mask=63))
    assert ada.answer_text in ("Pick an option first.", "Pick exactly one option.")
    assert (await attempt_of(pool, 42))["current_index"] == 0


async def test_no_quiz_can_start_during_the_cooldown_even_by_forged_data(
    talk, course_id, pool: asyncpg.Pool
) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    await ada.press("✖ Abandon the quiz")
    await ada.press("✖ Yes, abandon")
    await ada.press_forged(action("quiz_start", course=course_id, module=1))
    assert ada.answer_text.startswith("The Module 1 quiz reopens ")
    assert ada.answer_text.endswith(" UTC (in 1 h).")
    assert await pool.fetchval("SELECT quiz_attempts FROM module_progress WHERE module_no = 1") == 1
    assert await pool.fetchval("SELECT count(*) FROM quiz_attempts") == 1


async def test_a_locked_modules_quiz_cannot_be_started(talk, course_id, pool) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    await ada.press_forged(action("quiz_start", course=course_id, module=2))
    assert ada.answer_text == "Module 2 is locked: pass the Module 1 quiz first."
    assert await pool.fetchval("SELECT count(*) FROM quiz_attempts WHERE module_no = 2") == 0


async def test_a_redelivered_answer_is_recorded_once(
    talk, course_id, emulator: BotApiEmulator, application: Application, pool: asyncpg.Pool
) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    if "select all" in ada.last.text:
        await answer_current(ada)
    question = ada.last
    data = next(d for d in callback_data(ada) if d.startswith("qa:"))
    update = emulator.press_button(42, question.message_id, data, deliver=False)
    deliver = deliver_to(application)
    await deliver(update)
    await deliver(update)  # Telegram did not get our 200 in time and sent it again

    attempt = await attempt_of(pool, 42)
    assert attempt["current_index"] in (1, 2)
    assert len(attempt["answers"]) == attempt["current_index"]
    verdicts = [m for m in ada.messages if "Not quite" in m.text or "Correct!" in m.text]
    assert len(verdicts) == attempt["current_index"]


async def test_two_devices_tapping_at_once_record_one_answer(
    talk, course_id, emulator: BotApiEmulator, application: Application, pool: asyncpg.Pool
) -> None:
    ada = talk(42, "Ada")
    await start_quiz(ada)
    if "select all" in ada.last.text:
        await answer_current(ada)
    question = ada.last
    options = [d for d in callback_data(ada) if d.startswith("qa:")]
    taps = [emulator.press_button(42, question.message_id, d, deliver=False) for d in options]
    deliver = deliver_to(application)
    await asyncio.gather(*(deliver(tap) for tap in taps))

    attempt = await attempt_of(pool, 42)
    assert attempt["status"] in ("passed", "failed")
    assert len(attempt["answers"]) == 2 and attempt["correct_count"] <= 2
    verdicts = [q.answer_text for q in emulator.callback_queries.values() if q.data in options]
    assert sorted(verdicts, key=str) == sorted(
        [
            "✅ Correct!" if "Correct!" in ada.messages[-2].text else "❌ Not quite",
            "This quiz is already finished.",
        ],
        key=str,
    )
    results = [m for m in ada.messages if "of 2 correct." in m.text]
    assert len(results) == 1
