"""Spaced review, as a learner lives it: a question got wrong in a quiz comes back as a
native quiz poll once its interval has passed, each answer puts it further away, and
whatever Telegram delivers twice counts once. Through the real Application, the Bot API
emulator, the durable inbox and the real database, on a fake clock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest
from telegram.ext import Application

from bot.emulator import BotApiEmulator
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.clock import FakeClock
from tests.support.courses import TINY_PACK, editable_copy, import_pack

WRONG = {  # a wrong option of each Module 1 question of the tiny course
    "Which plant do green and black tea both come from?": "Peppermint",
    "What mainly makes black tea different from green tea?": "Black tea is never dried",
}
RIGHT = {
    "Which plant do green and black tea both come from?": "Camellia sinensis",
    "What mainly makes black tea different from green tea?": "Black tea is fully oxidised",
}


def without_author_cards(pack: Path) -> None:
    for topic in pack.glob("modules/*/*.md"):
        text = topic.read_text()
        topic.write_text(re.sub(r"\nreview:\n(?:  .*\n)+", "\n", text, count=1))


@pytest.fixture
async def quiz_only(pool: asyncpg.Pool, tmp_path: Path) -> UUID:
    """The tiny course without its authors' review cards: only quiz answers make cards."""
    pack = editable_copy(TINY_PACK, tmp_path)
    without_author_cards(pack)
    await import_pack(pool, pack)
    await pool.execute("UPDATE courses SET quiz_requires_topics = false")
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


@pytest.fixture
async def tiny(pool: asyncpg.Pool) -> UUID:
    await import_pack(pool, TINY_PACK)
    await pool.execute("UPDATE courses SET quiz_requires_topics = false")
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


def asked(chat: Dialogue) -> str:
    """The quiz question on screen: the text of its bold first line after the header."""
    return next(q for q in WRONG if q in chat.last.text)


async def take_the_quiz(chat: Dialogue, wrong_first: bool) -> str:
    """Take the Module 1 quiz; answer the first question wrong or right and the second
    right. Returns the first question."""
    await chat.send("/start tiny")
    await chat.press("📘 Normal")
    await chat.press("1. Kinds of tea")
    await chat.press("📝 Take the Module 1 quiz")
    await chat.press("▶ Start the quiz")
    first = asked(chat)
    await chat.press(WRONG[first] if wrong_first else RIGHT[first])
    await chat.press(RIGHT[asked(chat)])
    return first


async def card_row(pool: asyncpg.Pool, user_id: int) -> asyncpg.Record:
    return await pool.fetchrow(
        "SELECT due, reps, state FROM review_cards WHERE user_id = $1", user_id
    )


async def test_a_question_got_wrong_comes_back_as_a_quiz_poll_further_away_each_time(
    talk,
    quiz_only: UUID,
    clock: FakeClock,
    emulator: BotApiEmulator,
    application: Application,
    pool: asyncpg.Pool,
) -> None:
    ada: Dialogue = talk(42, "Ada")
    missed = await take_the_quiz(ada, wrong_first=True)
    assert "🔁 The 1 question you missed joins your /review" in ada.last.text
    assert await pool.fetchval("SELECT count(*) FROM review_cards") == 1

    await ada.send("/review")
    assert "Nothing is due yet" in ada.last.text, "not straight after the explanation"
    assert emulator.polls(42) == []

    deliver = deliver_to(application)
    intervals: list[timedelta] = []
    for _ in range(3):
        card = await card_row(pool, 42)
        clock.now = card["due"] + timedelta(minutes=1)
        await ada.send("/review")
        assert "🔁 Review · 1 card due today" in ada.messages[-2].text
        poll = emulator.polls(42)[-1]
        assert (poll.type, poll.is_anonymous, poll.question) == ("quiz", False, missed)
        right = [o.text for o in poll.options].index(RIGHT[missed])
        assert poll.correct_option_ids == (right,)
        assert poll.explanation is not None and poll.explanation.text

        answer = emulator.answer_poll(42, poll, [right], deliver=False)
        assert answer is not None and "chat" not in answer["poll_answer"]
        await deliver(answer)
        await deliver(answer)  # Telegram did not get our 200 in time and sent it again
        assert await pool.fetchval("SELECT count(*) FROM review_log") == len(intervals) + 1
        after = await card_row(pool, 42)
        assert after["reps"] == card["reps"] + 1
        assert "✅ All done for today: 1 card answered" in ada.last.text
        assert len(emulator.polls(42)) == len(intervals) + 1, "no second poll for a repeat"
        last = datetime.fromisoformat(after["state"]["last_review"])
        intervals.append(after["due"] - last)

    assert intervals[0] < intervals[1] < intervals[2], intervals
    # No chat in a poll_answer: the inbox orders it by the learner, in their chat's line.
    keys = await pool.fetch("SELECT DISTINCT chat_key FROM update_inbox WHERE kind = 'poll_answer'")
    assert [r["chat_key"] for r in keys] == [42]
    assert intervals[0] >= timedelta(days=1)


async def test_the_authors_cards_of_open_modules_join_and_long_ones_are_asked_with_buttons(
    talk, tiny: UUID, emulator: BotApiEmulator, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.send("/review")
    assert "🔁 Review · 2 cards due today" in ada.messages[-2].text
    # Its explanation is longer than a poll's 200 characters: asked with buttons instead.
    assert "What tells green, oolong and black tea apart?" in ada.last.text
    assert emulator.polls(42) == []
    await ada.press("The plant they come from")
    verdict = ada.messages[-2].text
    assert "❌ Not quite. The answer: A) How long the leaves oxidise" in verdict
    assert "fully oxidised, which darkens the leaf" in verdict
    assert "Next time: in 1 min" in verdict, "a lapse comes back within the session"

    poll = emulator.polls(42)[-1]
    assert poll.question == "Which plant gives us green, oolong and black tea?"
    await ada.answer_poll(0)
    assert "✅ All done for today: 2 cards answered" in ada.last.text

    sources = await pool.fetch("SELECT source FROM review_cards ORDER BY source")
    assert [r["source"] for r in sources] == ["author:oxidation", "author:tea-plant"]
    # Module 2's card ("steeping") stays out of the deck until Module 2 opens.


async def test_later_puts_a_card_off_and_the_poll_closes(
    talk, tiny: UUID, clock: FakeClock, emulator: BotApiEmulator, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.send("/review")
    assert "What tells green, oolong and black tea apart?" in ada.last.text
    await ada.press("⏭ Later")
    assert ada.answer_text is not None and "back in 1 h" in ada.answer_text
    first = emulator.polls(42)[-1]
    assert first.question == "Which plant gives us green, oolong and black tea?"
    await ada.press("⏭ Later")
    assert first.stopped, "the put-off poll can no longer be answered"
    assert "Nothing is due yet" in ada.last.text
    await ada.send("/review")
    assert "Nothing is due yet" in ada.last.text

    clock.advance(minutes=61)
    await ada.send("/review")
    assert "2 cards due today" in ada.messages[-2].text
    await ada.press("⏹ Stop · 1 more")
    assert "⏹ Stopped. 2 cards still due today" in ada.last.text


async def test_an_answer_to_someone_elses_card_changes_nobodys_deck(
    talk, tiny: UUID, emulator: BotApiEmulator, application: Application, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada")
    bob: Dialogue = talk(43, "Bob")
    await bob.send("/start")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.send("/review")
    await ada.press("How long the leaves oxidise")
    poll = emulator.polls(42)[-1]
    # Ada forwarded her quiz to Bob and Bob answered it (the emulator has no forwarding:
    # the update is the one Telegram would send).
    bobs_vote = {
        "update_id": 10**9,
        "poll_answer": {
            "poll_id": poll.id,
            "user": {"id": 43, "is_bot": False, "first_name": "Bob"},
            "option_ids": [0],
            "option_persistent_ids": ["0"],
        },
    }
    await deliver_to(application)(bobs_vote)
    assert "someone else's review card" in bob.last.text
    assert await pool.fetchval("SELECT count(*) FROM review_log") == 1, "Ada's button answer"
    assert await pool.fetchval("SELECT count(*) FROM review_cards WHERE user_id = 43") == 0
    await ada.answer_poll(0)
    assert await pool.fetchval("SELECT count(*) FROM review_log") == 2, "hers still counts"


async def test_a_quiz_question_answered_right_makes_no_card(
    talk, quiz_only: UUID, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await take_the_quiz(ada, wrong_first=False)
    assert "2 of 2 correct" in ada.last.text and "/review" not in ada.last.text
    assert await pool.fetchval("SELECT count(*) FROM review_cards") == 0
    await ada.send("/review")
    assert "Nothing to review yet" in ada.last.text


LONG_EXPLANATION = (
    "Oolong is partly oxidised and black tea fully; green tea is heated soon after "
    "picking, which stops oxidation before it starts. " * 2
).strip()
SELECT_ALL_CARDS = {
    "01-the-tea-plant.md": """review:
  - id: true-teas
    question: "Which of these are true teas? (select all that apply)"
    options:
      - text: "Green tea"
        correct: true
      - text: "Black tea"
        correct: true
      - text: "Chamomile"
    explanation: "Both come from Camellia sinensis."
""",
    "02-green-oolong-and-black.md": f"""review:
  - id: oxidised-teas
    question: "Which teas are oxidised at all? (select all that apply)"
    options:
      - text: "Oolong"
        correct: true
      - text: "Black tea"
        correct: true
      - text: "Green tea"
    explanation: "{LONG_EXPLANATION}"
""",
}


@pytest.fixture
async def select_all(pool: asyncpg.Pool, tmp_path: Path) -> UUID:
    pack = editable_copy(TINY_PACK, tmp_path)
    without_author_cards(pack)
    for name, cards in SELECT_ALL_CARDS.items():
        topic = pack / "modules" / "01-kinds-of-tea" / name
        head, body = topic.read_text().split("\n---\n", 1)
        topic.write_text(f"{head}\n{cards}---\n{body}")
    await import_pack(pool, pack)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def test_select_all_cards_take_every_right_option_as_a_poll_or_with_ticks(
    talk, select_all: UUID, emulator: BotApiEmulator, pool: asyncpg.Pool
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.send("/review")
    assert "Which teas are oxidised at all?" in ada.last.text, "too long for a poll"
    await ada.press("Oolong")
    await ada.press("Black tea")
    assert "☑ A) Oolong" in str(ada.last.reply_markup)
    await ada.press("Submit")
    assert "✅ Right." in ada.messages[-2].text

    poll = emulator.polls(42)[-1]
    assert poll.allows_multiple_answers and poll.correct_option_ids == (0, 1)
    await ada.answer_poll(options=[0])
    rows = await pool.fetch("SELECT source, is_right FROM review_log ORDER BY reviewed_at, source")
    assert {(r["source"], r["is_right"]) for r in rows} == {
        ("author:oxidised-teas", True),
        ("author:true-teas", False),
    }
