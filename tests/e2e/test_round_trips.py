"""How many statements each kind of update costs the database, counted by the pool's query
logger (BEGIN and COMMIT included, and the inbox's own two: store, mark done; under load
those two are shared by the updates arriving together). A budget,
not a stopwatch: a change that adds a round trip to a hot path fails here."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, timedelta

import asyncpg
import pytest

from bot.context import Services
from tests.support import Dialogue
from tests.support.courses import DEMO_PACK, import_pack


@pytest.fixture(autouse=True)
async def demo_course(pool: asyncpg.Pool) -> None:
    await import_pack(pool, DEMO_PACK)


class Meter:
    def __init__(self, services: Services) -> None:
        self._metrics = services.metrics

    async def __call__(self, step: Awaitable[object]) -> int:
        before = self._metrics.value("tutorbot_db_queries_total")
        await step
        return int(self._metrics.value("tutorbot_db_queries_total") - before)


def buttons(chat: Dialogue) -> list[str]:
    rows = chat.last.reply_markup["inline_keyboard"]
    return [button["callback_data"] for row in rows for button in row]


def answer_steps(chat: Dialogue) -> list[str]:
    """The presses that answer the current question: its first option; for a "select
    all" question, tick its first box (an update of its own), then submit."""
    first_tick = next((d for d in buttons(chat) if d.startswith("qt:")), None)
    if first_tick is None:
        return [next(d for d in buttons(chat) if d.startswith("qa:"))]
    attempt, question, _ = first_tick[3:].split(":")
    mask = int(first_tick.rsplit(":", 1)[1])
    return [first_tick, f"qs:{attempt}:{question}:{mask}"]


async def ready_for_the_quiz(chat: Dialogue) -> None:
    await chat.send("/start ml-foundations")
    await chat.press("⚽ Sports")
    await chat.press("▶ Continue: 1.1")
    for topic in range(1, 5):
        await chat.press("✅ Mark complete")
        if topic < 4:
            await chat.press("Next ➡")
    await chat.press("Module 1 quiz")


async def test_navigating_topics_costs_at_most_three_round_trips(talk, services: Services) -> None:
    ada: Dialogue = talk(42, "Ada")
    spent = Meter(services)
    await ada.send("/start ml-foundations")
    await ada.press("⚽ Sports")
    await ada.press("▶ Continue: 1.1")  # the first look at a course reads its structure

    costs = {
        "complete": await spent(ada.press("✅ Mark complete")),
        "next": await spent(ada.press("Next ➡")),
        "previous": await spent(ada.press("⬅ Previous")),
        "/progress": await spent(ada.send("/progress")),
    }
    print(f"\nround trips per navigation update: {costs}")
    assert max(costs.values()) <= 3


async def test_answering_a_quiz_question_costs_at_most_three_round_trips(
    talk, services: Services
) -> None:
    ada: Dialogue = talk(42, "Ada")
    spent = Meter(services)
    await ready_for_the_quiz(ada)
    await ada.press("Start the quiz")

    costs: list[int] = []
    wrong: list[bool] = []  # per update: a wrong answer also puts its question in review
    for question in range(1, 11):
        assert f"Question {question} of 10" in ada.last.text
        for data in answer_steps(ada):
            costs.append(await spent(ada.press_forged(data)))
            wrong.append(ada.answer_text == "❌ Not quite")
    assert "of 10 correct" in ada.last.text  # the result screen
    assert any(wrong) and not all(wrong), "both kinds of answer are measured"

    print(f"\nround trips per quiz update (ticks included): {costs}")
    # The inbox's two, the answer's compare-and-set, and where the next question's message
    # is (the chat's one live copy of it, so that showing it elsewhere retires this one);
    # a wrong answer adds one insert: its question joins the learner's review deck.
    assert max(c - w for c, w in zip(costs, wrong, strict=True)) <= 4
    assert costs[-1] - wrong[-1] <= 3, "the last answer scores and unlocks in the same statement"


async def test_every_other_screen_of_the_journey_costs_at_most_three_round_trips(
    talk, services: Services
) -> None:
    ada: Dialogue = talk(42, "Ada")
    spent = Meter(services)
    await ada.send("/start")  # the first contact stores the learner

    costs = {
        "home": await spent(ada.send("/start")),
        "catalog": await spent(ada.send("/courses")),
        "course card": await spent(ada.press("Machine Learning Foundations")),
        "enroll": await spent(ada.press("✅ Enroll")),
        "persona": await spent(ada.press("⚽ Sports")),  # then the course menu
        "module": await spent(ada.press("🔓 1. What machine learning is")),
        "course menu": await spent(ada.press("⬅ Course")),
        "persona menu": await spent(ada.press("🎭 Persona: ⚽ Sports")),
    }
    print(f"\nround trips per screen: {costs}")

    assert max(costs.values()) <= 3, costs


async def test_starting_a_quiz_from_its_intro_costs_three_round_trips(
    talk, services: Services
) -> None:
    bob: Dialogue = talk(43, "Bob")
    await ready_for_the_quiz(bob)
    await bob.press("Start the quiz")  # the first start in a process reads the question bank
    ada: Dialogue = talk(42, "Ada")
    spent = Meter(services)
    await ready_for_the_quiz(ada)  # ends on the quiz's intro

    start = await spent(ada.press("Start the quiz"))

    print(f"\nround trips: quiz start {start}")
    assert "Question 1 of 10" in ada.last.text
    assert start <= 3, "the intro's read is checked by the start's compare-and-set"


async def test_a_review_session_costs_a_few_round_trips_per_card(talk, services: Services) -> None:
    bob: Dialogue = talk(43, "Bob")  # the first session in a process learns the array types
    await bob.send("/start ml-foundations")
    await bob.press("⚽ Sports")
    await bob.send("/review")
    await bob.answer_poll(0)

    ada: Dialogue = talk(42, "Ada")
    spent = Meter(services)
    await ada.send("/start ml-foundations")
    await ada.press("⚽ Sports")  # Module 1 opens: its review card (topic 1.3) is due

    start = await spent(ada.send("/review"))
    assert ada.emu.polls(42), "the card is asked as a poll"
    answer = await spent(ada.answer_poll(0))
    assert "All done for today" in ada.last.text
    print(f"\nround trips: /review {start}, a poll's answer {answer}")
    # The inbox's two; the open modules; the author's cards they have that the deck lacks
    # (and adding them, the first time); today's due cards, answers and next due in one
    # read; recording the poll sent.
    assert start <= 7
    # The inbox's two; the poll's ask with its card; the open modules; the answer's
    # compare-and-set; the queue to go on with (here: the end screen, so no ask recorded).
    assert answer <= 6


async def test_the_streak_costs_home_and_progress_no_round_trip(talk, services: Services) -> None:
    """The goal and its per-day totals are a column of Home's and /progress's own
    statement; /goal reads the goal and the target dates in one. Setting a goal writes and
    reads it back in one statement, then shows the /goal screen (one more)."""
    ada: Dialogue = talk(42, "Ada")
    spent = Meter(services)
    await ada.send("/timezone Asia/Tokyo")
    await ada.send("/start ml-foundations")
    await ada.press("⚽ Sports")
    await ada.send(f"/goal by {date.today() + timedelta(days=365)}")
    await ada.send("/goal")
    await ada.press("📘 2 topics")
    await ada.send("/start")  # the first zone name in a process reads the server's zones

    costs = {
        "home": await spent(ada.send("/start")),
        "/progress": await spent(ada.send("/progress")),
        "/goal": await spent(ada.send("/goal")),
        "set a goal": await spent(ada.press("📘 3 topics")),
    }
    print(f"\nround trips with a daily goal: {costs}")
    assert "today 0/3 topics" in ada.last.text and "Machine Learning Foundations: on" in (
        ada.last.text
    )
    assert max(costs["home"], costs["/progress"], costs["/goal"]) <= 3, costs
    assert costs["set a goal"] <= 4, costs
