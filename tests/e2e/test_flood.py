"""One learner floods the bot while fifty others study: the flooder is slowed down before any
handler runs (told once per stretch, no model call for what is dropped), and the others get
every reply. The real bot, database and `openai` client; Telegram and the model are the
emulator and the fake server.

Incoming flood control runs with the production defaults on a clock the test holds still,
so what is let through is decided by the rules alone, not by how fast this machine is.
Outgoing pacing is off (`TELEGRAM_RATE_LIMIT=0`, as in the load benchmarks): the figures
are about what the flooder costs the others, not about Telegram's own limits.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr
from telegram.ext import Application

from bot.app import build_application, open_services
from bot.emulator import BotApiEmulator
from bot.settings import Settings
from bot.transport.flood import TOAST, FloodGuard
from domain.flood import FloodRules, Limit
from tests.conftest import TOKEN
from tests.e2e.test_ask_tutor import open_first_topic
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.clock import FakeClock
from tests.support.courses import TINY_PACK, import_pack
from tests.support.fake_openai import DEFAULT_REPLY_PREFIX, FakeOpenAI
from tests.support.report import report

FLOODER = 7000
FLOOD = 300
LEARNERS = 50
QUESTION_EVERY = 3  # the flooder's every third message is a typed question, the rest /help
ASKED = re.compile(r"Flood question #(\d+)\b")
PRODUCTION = FloodRules()  # the defaults Settings uses


Deliver = Callable[[dict[str, Any]], Awaitable[None]]


class StillClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def app(
    settings: Settings, db_url: str, emulator: BotApiEmulator, model: FakeOpenAI, clock: FakeClock
) -> AsyncIterator[Application]:
    defaults = Settings.model_fields
    configured = settings.model_copy(
        update={
            "openai_api_key": SecretStr(model.api_key),
            "openai_base_url": model.base_url,
            "stream_edit_seconds": 0.05,
            "telegram_rate_limit": 0,
            **{
                name: defaults[name].default
                for name in (
                    "flood_messages_per_minute",
                    "flood_burst",
                    "flood_questions_per_minute",
                    "flood_question_burst",
                )
            },
        }
    )
    async with open_services(configured, db_url, clock=clock) as services:
        application = build_application(
            services, TOKEN, polling=False, api_url=emulator.base_url, flood_clock=StillClock()
        )
        async with application:
            yield application


def flood_text(n: int) -> str:
    return f"Flood question #{n}: how is green tea made?" if n % QUESTION_EVERY == 0 else "/help"


def timed(deliver: Deliver, latencies: list[float]) -> Deliver:
    """`deliver`, noting how long each update took to be handled (its replies sent)."""

    async def deliver_and_time(update: dict[str, Any]) -> None:
        started = time.perf_counter()
        await deliver(update)
        latencies.append(time.perf_counter() - started)

    return deliver_and_time


async def study(learner: Dialogue) -> None:
    """A short session: enroll, pick a persona, open the first topic, ask one question."""
    await open_first_topic(learner)
    await learner.send("How is green tea made?")
    assert DEFAULT_REPLY_PREFIX in learner.last.text, learner.transcript()


async def test_a_flooder_is_slowed_down_once_per_stretch_and_costs_the_others_nothing(
    emulator: BotApiEmulator, app: Application, model: FakeOpenAI, pool: asyncpg.Pool
) -> None:
    await import_pack(pool, TINY_PACK)
    deliver = deliver_to(app)
    guard: FloodGuard = app.bot_data["flood"]

    alone: list[float] = []
    await asyncio.gather(
        *(
            study(Dialogue(emulator, timed(deliver, alone), user_id=2000 + i))
            for i in range(LEARNERS)
        )
    )

    flooder = Dialogue(emulator, deliver, user_id=FLOODER, first_name="Flo")
    await open_first_topic(flooder)
    flood = [emulator.send_text(FLOODER, flood_text(n), deliver=False) for n in range(FLOOD)]
    beside: list[float] = []
    await asyncio.gather(
        *(deliver(update) for update in flood),
        *(
            study(Dialogue(emulator, timed(deliver, beside), user_id=3000 + i))
            for i in range(LEARNERS)
        ),
    )
    await flooder.press("Next ➡")  # a button pressed while limited is still answered

    stats = guard.control.stats
    questions = list(range(0, FLOOD, QUESTION_EVERY))
    let_through = questions[: PRODUCTION.question_burst]
    asked_model = sorted(
        int(found.group(1))
        for body in model.chat_requests
        if (found := ASKED.search(str(body["messages"][-1]["content"])))
    )
    assert asked_model == let_through, "dropped questions never reach the model"
    assert len(model.chat_requests) == 2 * LEARNERS + len(let_through)

    # The flooder had the burst: 3 updates to open the topic, then 5 questions (their own
    # smaller burst) and /help until the 30 were spent. The rest was dropped.
    helped = [m for m in flooder.messages if m.text.startswith("What I can do")]
    assert len(helped) == PRODUCTION.burst - 3 - len(let_through)
    dropped = stats.dropped[Limit.MESSAGES] + stats.dropped[Limit.QUESTIONS]
    assert dropped == FLOOD - (PRODUCTION.burst - 3) + 1, "+1: the button press"

    notices = [m.text for m in flooder.messages if m.text.startswith("🐢")]
    assert stats.stretches == {Limit.MESSAGES: 1, Limit.QUESTIONS: 1}
    assert len(notices) == 2, "one notice per stretch: questions first, then messages"
    assert "questions" in notices[0] and "messages" in notices[1]
    assert flooder.answer_text == TOAST
    metrics = app.bot_data["services"].metrics
    assert metrics.value("tutorbot_flood_dropped_total") == dropped
    assert metrics.value("tutorbot_flood_notices_total") == 2

    def p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1] * 1000

    report(
        "flood: 1 flooder (300 messages) beside 50 learners",
        dropped=dropped,
        dropped_questions=len(questions) - len(let_through),
        notices=len(notices),
        model_calls_from_flooder=len(asked_model),
        p50_alone_ms=p(alone, 50),
        p95_alone_ms=p(alone, 95),
        p50_beside_flooder_ms=p(beside, 50),
        p95_beside_flooder_ms=p(beside, 95),
    )
