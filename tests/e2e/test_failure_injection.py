"""When the outside world fails, the learner sees a sensible message or nothing, no data is
lost or written twice, and the bot recovers by itself.

Faults are injected only at the process boundaries: the Bot API emulator answers 500,
hangs past our client's timeout or answers 429 (`BotApiEmulator.inject`); the fake OpenAI
server refuses connections, fails or stalls; the test's own PostgreSQL server is stopped
and started again. Recovery goes through the real paths: the flood limiter's waits, the
inbox's retries (`note_failure`), long polling that confirms only what was stored.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from bot.app import build_application, open_services
from bot.emulator import BotApiEmulator
from bot.emulator.faults import Fault
from bot.settings import Settings
from bot.views.tutor import THINKING
from storage.database import create_pool
from storage.embedded import EmbeddedPostgres
from tests.conftest import TOKEN
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.courses import TINY_PACK, import_pack
from tests.support.fake_openai import FakeOpenAI
from tests.support.faults import eventually, inbox_health, own_postgres, polling_bot
from tests.support.report import report

# The right answers of the tiny tea course's module 1 quiz, by how the question starts.
RIGHT = {"Which plant": "Camellia sinensis", "What mainly makes": "Black tea is fully oxidised"}

Arm = Callable[[BotApiEmulator], Fault]


@dataclass(frozen=True)
class Step:
    """One thing the learner does and what the chat shows once it went through."""

    does: str  # "send" a text, "press" a button, "answer" the quiz question shown, rightly
    what: str
    shows: str | None
    new_messages: int = 0  # what it adds to the chat (the rest are edits in place)

    async def take(self, chat: Dialogue) -> None:
        if self.does == "send":
            await chat.send(self.what)
        elif self.does == "press":
            await chat.press(self.what)
        else:
            question = next(m.text for m in reversed(chat.messages) if "Question" in m.text)
            right = [answer for start, answer in RIGHT.items() if start in question]
            assert right, f"no tea quiz question on screen:\n{chat.transcript()}"
            await chat.press(right[0])


JOURNEY = [
    Step("send", "/start tiny", "You're enrolled in Tea basics", new_messages=1),
    Step("press", "📘 Normal", "Persona: 📘 Normal"),
    Step("press", "▶ Continue: 1.1", "The tea plant"),
    Step("press", "✅ Mark complete", None),
    Step("press", "Next ➡", "Green, oolong and black tea"),
    Step("press", "✅ Mark complete", "📝 Module 1 quiz"),
    Step("send", "What is oolong?", "Quoted from the course material", new_messages=1),
    Step("press", "⬅ Module", "📝 Take the Module 1 quiz"),
    Step("press", "📝 Take the Module 1 quiz", "▶ Start the quiz"),
    Step("press", "▶ Start the quiz", "Question 1 of 2"),
    Step("answer", "right", "Question 2 of 2", new_messages=1),
]

# Which step meets which trouble at Telegram, per scenario: mostly the first call after the
# step's state was written (the reply), so a retry would write it again if it could.
TROUBLE: dict[str, dict[int, Arm]] = {
    "500": {
        0: lambda emu: emu.inject("sendMessage", 500, count=1),
        1: lambda emu: emu.inject(None, 500, seconds=2.0),  # everything fails for a while
        3: lambda emu: emu.inject("answerCallbackQuery", 500, count=1),
        6: lambda emu: emu.inject("editMessageText", 500, count=1),
        10: lambda emu: emu.inject("editMessageText", 500, count=1),
    },
    # Held past our client's 5 s read timeout: one is enough to cost the learner a wait.
    "timeout": {6: lambda emu: emu.inject("editMessageText", "timeout", count=1)},
    "429": {
        3: lambda emu: emu.inject(None, 429, count=2, retry_after=1),  # the limiter waits
        # More 429s in a row than the flood limiter retries one call: the update goes back
        # to the inbox and is handled again later.
        6: lambda emu: emu.inject("editMessageText", 429, count=5, retry_after=1),
    },
}


async def learner_state(pool: asyncpg.Pool, user_id: int) -> dict[str, int]:
    """What the journey should have written, each exactly once."""
    return {
        "enrollments": await pool.fetchval(
            "SELECT count(*) FROM enrollments WHERE user_id = $1", user_id
        ),
        "topics done": await pool.fetchval(
            "SELECT count(*) FROM topic_progress WHERE user_id = $1 AND is_completed", user_id
        ),
        "typed questions": await pool.fetchval(
            "SELECT coalesce(sum(typed_count), 0) FROM module_prompt_usage WHERE user_id = $1",
            user_id,
        ),
        "exchange messages": await pool.fetchval(
            "SELECT count(*) FROM ai_mentor_thread_messages m "
            "JOIN ai_mentor_threads t ON t.id = m.thread_id WHERE t.user_id = $1",
            user_id,
        ),
        "quiz attempts": await pool.fetchval(
            "SELECT count(*) FROM quiz_attempts WHERE user_id = $1", user_id
        ),
        "quiz answers": await pool.fetchval(
            "SELECT coalesce(sum(current_index), 0) FROM quiz_attempts WHERE user_id = $1",
            user_id,
        ),
        "quiz answers right": await pool.fetchval(
            "SELECT coalesce(sum(correct_count), 0) FROM quiz_attempts WHERE user_id = $1",
            user_id,
        ),
    }


EXPECTED_STATE = {
    "enrollments": 1,
    "topics done": 2,
    "typed questions": 1,
    "exchange messages": 2,
    "quiz attempts": 1,
    "quiz answers": 1,
    "quiz answers right": 1,
}


def added(chat: Dialogue, before: set[int]) -> int:
    """Messages the bot added to the chat since `before` that are still there (a placeholder
    deleted again is not left behind, so it does not count)."""
    return sum(m.message_id not in before for m in chat.messages)


def shown_ids(chat: Dialogue) -> set[int]:
    return {m.message_id for m in chat.messages}


def compared(state: dict[str, int]) -> tuple[int, int]:
    """(short, over): how much of the state was written less, or more, than once."""
    short = sum(max(want - state[name], 0) for name, want in EXPECTED_STATE.items())
    over = sum(max(state[name] - want, 0) for name, want in EXPECTED_STATE.items())
    return short, over


@pytest.mark.parametrize("trouble", list(TROUBLE))
async def test_a_learner_gets_through_telegram_trouble_with_everything_written_once(
    trouble: str, talk, pool: asyncpg.Pool, emulator: BotApiEmulator
) -> None:
    await import_pack(pool, TINY_PACK)
    ada = talk(42, "Ada")
    faults: list[Fault] = []
    recovered_after = 0.0
    replies_lost: list[str] = []
    twice = 0

    for index, step in enumerate(JOURNEY):
        arm = TROUBLE[trouble].get(index)
        fault = arm(emulator) if arm else None
        before = shown_ids(ada)
        await step.take(ada)
        twice += max(added(ada, before) - step.new_messages, 0)
        if fault is not None:
            faults.append(fault)
            assert fault.hits, f"step {index} ({step.what}) never met its fault"
            assert fault.last_hit is not None
            recovered_after = max(recovered_after, time.monotonic() - fault.last_hit)
        shown = "".join(m.text + str(m.buttons) for m in ada.replies)
        if step.shows is not None and step.shows not in shown:
            replies_lost.append(f"{step.what}: {step.shows}")
    await ada.send("/quiz")
    resumed = "Question 2 of 2" in ada.last.text

    health = await inbox_health(pool)
    state = await learner_state(pool, 42)
    short, over = compared(state)
    report(
        f"faults: bot api {trouble}",
        updates=health.updates,
        faults_hit=sum(f.hits for f in faults),
        retried=health.retried,
        lost=short + health.unprocessed + health.failed,
        doubled=over + twice,
        replies_lost=len(replies_lost),
        recovered_after_s=recovered_after,
    )
    assert state == EXPECTED_STATE
    assert health.clean, health
    assert twice == 0, ada.transcript()
    # A quiz answer recorded just before Telegram failed is handled again as the same
    # update, which gets the outcome it recorded: its verdict and the next question arrive.
    assert replies_lost == [], ada.transcript()
    assert resumed, ada.transcript()
    assert emulator.unanswered_callback_queries() == []
    # A repeated edit finds the screen already shown; the bot lets that pass, as it should.
    assert all("message is not modified" in str(call.error) for call in emulator.rejections)
    emulator.expect(400)


# -- the language model goes away -------------------------------------------------------------


@pytest.fixture
async def tutored(
    settings: Settings, db_url: str, emulator: BotApiEmulator, model: FakeOpenAI
) -> AsyncIterator[Dialogue]:
    """Ada's chat with a bot that has a language model (the default fixtures have none)."""
    configured = settings.model_copy(
        update={
            "openai_api_key": SecretStr(model.api_key),
            "openai_base_url": model.base_url,
            "llm_timeout_seconds": 3.0,
        }
    )
    async with open_services(configured, db_url) as services:
        app = build_application(services, TOKEN, polling=False, api_url=emulator.base_url)
        async with app:
            yield Dialogue(emulator, deliver_to(app), user_id=42, first_name="Ada")


async def prompts_used(pool: asyncpg.Pool) -> tuple[int, int]:
    """(typed questions counted, updates holding a counted prompt)."""
    used = await pool.fetchval("SELECT coalesce(sum(typed_count), 0) FROM module_prompt_usage")
    held = await pool.fetchval("SELECT count(*) FROM update_effects WHERE effect = 'prompt'")
    return used, held


async def test_while_the_model_is_down_questions_cost_nothing_and_the_next_is_answered(
    tutored: Dialogue, model: FakeOpenAI, pool: asyncpg.Pool
) -> None:
    await import_pack(pool, TINY_PACK)
    ada = tutored
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue: 1.1")
    outages = {
        "refusing connections": model.go_down,
        "answering 500": lambda: model.fail_next(3, status=500),  # more than the SDK retries
        "stalling": lambda: model.stall_next(4.0),  # past LLM_TIMEOUT_SECONDS
    }
    told: dict[str, str] = {}
    used_during: list[tuple[int, int]] = []
    twice = 0
    for how, break_it in outages.items():
        result = break_it()
        if result is not None:
            await result
        before = shown_ids(ada)
        await ada.send(f"What is oolong? (model {how})")
        twice += max(added(ada, before) - 1, 0)
        told[how] = ada.last.text
        used_during.append(await prompts_used(pool))
        if how == "refusing connections":
            await model.come_back()
    back = time.monotonic()
    model.replies.append("Oolong is partly oxidised [1].")
    before = shown_ids(ada)

    await ada.send("What is oolong?")

    recovered_after = time.monotonic() - back
    twice += max(added(ada, before) - 1, 0)
    answered = "Oolong is partly oxidised [1]." in ada.last.text
    health = await inbox_health(pool)
    report(
        "faults: model down",
        questions=len(outages) + 1,
        refunded=sum(used == (0, 0) for used in used_during),
        answered_after=int(answered),
        quota_used=(await prompts_used(pool))[0],
        lost=health.unprocessed + health.failed,
        doubled=twice,
        recovered_after_s=recovered_after,
    )
    for how, text in told.items():
        assert text.startswith("😕 Sorry — the AI model"), (how, text)
        assert "Your question wasn't counted" in text and "send it again" in text
    assert "can't be reached" in told["refusing connections"]
    assert "can't be reached" in told["answering 500"]
    assert "took too long" in told["stalling"]
    assert used_during == [(0, 0)] * len(outages), "every failed question was refunded"
    assert answered, ada.transcript()
    assert "4 of 5 typed questions left" in ada.last.text
    assert await prompts_used(pool) == (1, 1)
    assert health.clean and health.retried == 0, health
    assert twice == 0, ada.transcript()


# -- the database restarts mid-dialogue --------------------------------------------------------


async def test_updates_sent_while_the_database_restarts_are_handled_after_it_in_order_once(
    settings: Settings, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    async with own_postgres(tmp_path / "restarting") as postgres:
        pool = await create_pool(postgres.url, max_size=2)
        try:
            await import_pack(pool, TINY_PACK)
            async with (
                open_services(settings, postgres.url) as services,
                polling_bot(services, emulator),
            ):
                await _restart_during_a_dialogue(postgres, pool, emulator)
        finally:
            await pool.close()


OUTAGE_SECONDS = 1.0


async def all_processed(pool: asyncpg.Pool, update_ids: list[int]) -> bool:
    done = await pool.fetchval(
        "SELECT count(*) FROM update_inbox WHERE update_id = ANY($1::bigint[]) "
        "AND processed_at IS NOT NULL",
        update_ids,
    )
    return done == len(update_ids)


async def processed(pool: asyncpg.Pool) -> list[int]:
    rows = await pool.fetch(
        "SELECT update_id FROM update_inbox WHERE processed_at IS NOT NULL "
        "ORDER BY processed_at, update_id"
    )
    return [row["update_id"] for row in rows]


async def _restart_during_a_dialogue(
    postgres: EmbeddedPostgres, pool: asyncpg.Pool, emulator: BotApiEmulator
) -> None:
    async def handled(update: dict) -> None:
        """Telegram holds the update until the bot's long poll takes it; wait till done."""
        emulator.queue.put(update)
        await eventually(lambda: all_processed(pool, [update["update_id"]]))

    ada = Dialogue(emulator, handled, user_id=42, first_name="Ada")
    # While the database is away the bot can store nothing: its replies come afterwards.
    hasty = Dialogue(emulator, emulator.queue.put, user_id=42, require_callback_answer=False)
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue: 1.1")
    before = len(emulator.updates)
    shown = shown_ids(ada)

    # The question is being handled (its placeholder held up at Telegram) when the
    # database stops: storing the quota fails, and the inbox must retry it afterwards.
    held = emulator.inject("sendMessage", "timeout", count=1, hold=1.5)
    await hasty.send("What is oolong?")
    await emulator.wait_for(lambda: held.hits == 1)
    await postgres.halt()
    await hasty.press("✅ Mark complete")
    await hasty.send("/timezone Europe/Berlin")
    await hasty.send("/timezone Asia/Tokyo")
    await hasty.send("/progress")
    sent = [u["update_id"] for u in emulator.updates[before:]]
    await asyncio.sleep(OUTAGE_SECONDS)
    await postgres.resume()
    back = time.monotonic()

    await eventually(lambda: all_processed(pool, sent), within=30)
    recovered_after = time.monotonic() - back
    # Four replies (the answer, two timezones, the progress); the press edits in place.
    twice = max(added(ada, shown) - 4, 0)
    await ada.send("/progress")  # and the bot goes on, on the same pool, unrestarted

    order = [u for u in await processed(pool) if u in sent]
    health = await inbox_health(pool)
    timezone = await pool.fetchval("SELECT timezone FROM users WHERE id = 42")
    used = await pool.fetchval("SELECT coalesce(sum(typed_count), 0) FROM module_prompt_usage")
    said = await pool.fetchval("SELECT count(*) FROM ai_mentor_thread_messages")
    done = await pool.fetchval("SELECT count(*) FROM topic_progress WHERE is_completed")
    replies = [m.text for m in emulator.bot_messages(42)]
    zones = [t for t in replies if t.startswith("Timezone set")]
    report(
        "faults: database restart",
        updates=len(sent),
        retried=health.retried,
        lost=len(sent) - len(order) + health.failed,
        doubled=twice + max(used - 1, 0) + max(said - 2, 0),
        recovered_after_s=recovered_after,
    )
    assert order == sent, "handled after the outage, in the order sent"
    assert health.clean and health.retried >= 1, health
    assert (timezone, used, said, done) == ("Asia/Tokyo", 1, 2, 1)
    assert [z.split(" (")[0] for z in zones] == [
        "Timezone set: Europe/Berlin",
        "Timezone set: Asia/Tokyo",
    ]
    assert sum("Quoted from the course material" in t for t in replies) == 1
    assert THINKING not in replies, "no placeholder left behind by the interrupted run"
    assert twice == 0, ada.transcript()
    assert "Module 1: ▰▰▱▱▱ 50% (1/2, in progress)" in ada.last.text
