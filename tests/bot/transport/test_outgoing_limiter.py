"""Outgoing pacing against a Telegram that answers 429 when a chat or the bot overall gets
more than it allows: one chat's 429 holds back only that chat, a button press is answered
at once whatever its chat is waiting for, and a broadcast keeps under 30 messages a second
overall and one a second per chat while learners keep chatting."""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections.abc import AsyncIterator

import asyncpg
import pytest
from telegram.error import RetryAfter
from telegram.ext import Application

from bot.emulator import ApiCall, BotApiEmulator
from bot.settings import Settings
from bot.transport.outgoing import OutgoingLimiter, is_content
from tests.conftest import ADMIN_ID, TOKEN
from tests.e2e.test_admin_broadcast import NEWS, learners, received
from tests.support import Dialogue, bot_api_spec
from tests.support.courses import TINY_PACK, import_pack
from tests.support.report import report

ADA, BOB = 42, 43
PAUSE = 2  # the retry_after Telegram names for Ada's chat


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The production pacing (the suite's settings switch per-chat pacing off)."""
    defaults = Settings.model_fields
    return settings.model_copy(
        update={
            "telegram_chat_burst": defaults["telegram_chat_burst"].default,
            "telegram_rate_limit": defaults["telegram_rate_limit"].default,
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """Telegram that refuses with 429 what goes over its limits, instead of only noting it."""
    async with BotApiEmulator(TOKEN, spec=bot_api_spec(), enforce_rate_limits=True) as emu:
        yield emu
        emu.assert_no_rejections()


@pytest.fixture
async def tea(pool: asyncpg.Pool):
    await import_pack(pool, TINY_PACK)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


def sends_to(emulator: BotApiEmulator, chat_id: int) -> list[ApiCall]:
    return [
        c
        for c in emulator.calls
        if c.method == "sendMessage" and str(c.params.get("chat_id")) == str(chat_id)
    ]


def too_many(emulator: BotApiEmulator, chat_id: int) -> list[ApiCall]:
    """The 429s Telegram answered in this chat (provoked by the test, so accepted)."""
    emulator.expect(429, chat_id=chat_id)
    return [
        c
        for c in emulator.calls
        if c.error_code == 429 and str(c.params.get("chat_id")) == str(chat_id)
    ]


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max((bisect_left(times, start + window) - i for i, start in enumerate(times)), default=0)


async def test_a_429_in_one_chat_holds_back_that_chat_only(emulator: BotApiEmulator, talk) -> None:
    ada: Dialogue = talk(ADA, "Ada")
    bob: Dialogue = talk(BOB, "Bob")
    emulator.throttle_chat(ADA, retry_after=PAUSE)

    asking = asyncio.create_task(ada.send("/help"))
    await emulator.wait_for(lambda: bool(too_many(emulator, ADA)))
    started = time.perf_counter()
    await bob.send("/help")
    bob_delay = time.perf_counter() - started
    await asking

    (refused,) = too_many(emulator, ADA)
    ada_sent = [c for c in sends_to(emulator, ADA) if c.ok]
    (bob_sent,) = sends_to(emulator, BOB)
    calls = emulator.calls
    assert calls.index(refused) < calls.index(bob_sent) < calls.index(ada_sent[0]), (
        "Bob's reply went out while Ada's chat waited out its 429"
    )
    assert len(ada.messages) == 1 and len(bob.messages) == 1, "Ada's reply came once, late"
    report(
        "outgoing: a 429 in one chat",
        retry_after=PAUSE,
        ada_waited_s=ada_sent[0].at - refused.at,
        unrelated_chat_delay_ms=bob_delay * 1000,
    )


async def test_a_button_press_is_answered_at_once_while_its_chat_waits_out_a_429(
    emulator: BotApiEmulator, talk, application: Application
) -> None:
    ada: Dialogue = talk(ADA, "Ada")
    await ada.send("/start")
    with_buttons = next(m for m in reversed(ada.messages) if m.inline_keyboard)
    emulator.throttle_chat(ADA, retry_after=PAUSE)

    sending = asyncio.create_task(application.bot.send_message(ADA, "Held back"))
    await emulator.wait_for(lambda: bool(too_many(emulator, ADA)))
    data = with_buttons.inline_keyboard[0][0]["callback_data"]
    press = emulator.press_button(ADA, with_buttons.message_id, data, deliver=False)
    query_id = press["callback_query"]["id"]
    await application.bot.answer_callback_query(query_id, text="On it")
    answered_while_waiting = not sending.done()
    await sending

    assert answered_while_waiting, "the answer did not queue behind the chat's pause"
    assert emulator.callback_queries[query_id].answer_text == "On it"
    (answer,) = emulator.calls_to("answerCallbackQuery")
    held = [c for c in sends_to(emulator, ADA) if c.ok][-1]
    assert emulator.calls.index(answer) < emulator.calls.index(held)


async def test_a_broadcast_to_100_keeps_under_30_a_second_and_1_a_second_per_chat(
    emulator: BotApiEmulator, talk, tea, pool: asyncpg.Pool
) -> None:
    ids = await learners(pool, emulator, tea, 100)
    chatting = [talk(user_id, f"L{user_id}") for user_id in ids[:3]]
    admin: Dialogue = talk(ADMIN_ID, "Grace")
    await admin.send(f"/broadcast tiny {NEWS}")

    started = time.perf_counter()
    await admin.press("✅ Send to 100")

    async def keep_chatting(learner: Dialogue) -> None:
        for command in ("/help", "/courses", "/progress", "/help", "/courses"):
            await learner.send(command)

    await asyncio.gather(*(keep_chatting(learner) for learner in chatting))
    await emulator.wait_for(lambda: sum(received(emulator, ids).values()) == 100, within=30)
    seconds = time.perf_counter() - started

    assert set(received(emulator, ids).values()) == {1}
    assert all(len(learner.messages) == 5 + 1 for learner in chatting), "5 replies + the news"
    assert emulator.rate_warnings == [], "Telegram never had to refuse anything"
    content = [c for c in emulator.calls if is_content(c.method) and c.ok]
    overall = most_in_any_window([c.at for c in content], 1.0)
    per_chat = max(
        most_in_any_window(
            [c.at for c in content if str(c.params.get("chat_id")) == str(chat)], 3.0
        )
        for chat in [*ids, ADMIN_ID]
    )
    assert overall <= 30
    assert per_chat <= 3
    report(
        "outgoing: broadcast to 100 while 3 of them chat",
        messages=len(content),
        max_per_second=overall,
        max_per_chat_in_3s=per_chat,
        broadcast_s=seconds,
    )


async def test_a_429_on_a_broadcast_pauses_the_broadcast_while_replies_go_on(
    emulator: BotApiEmulator, talk, tea, pool: asyncpg.Pool
) -> None:
    ids = await learners(pool, emulator, tea, 10)
    emulator.throttle_chat(ids[3], retry_after=PAUSE)
    admin: Dialogue = talk(ADMIN_ID, "Grace")
    bob: Dialogue = talk(BOB, "Bob")
    await admin.send(f"/broadcast tiny {NEWS}")

    await admin.press("✅ Send to 10")
    await emulator.wait_for(lambda: bool(too_many(emulator, ids[3])))
    await bob.send("/help")
    await emulator.wait_for(lambda: sum(received(emulator, ids).values()) == 10, within=15)

    assert set(received(emulator, ids).values()) == {1}, "the refused one was sent again"
    (refused,) = too_many(emulator, ids[3])
    (bob_reply,) = sends_to(emulator, BOB)
    news_after = [
        c
        for c in emulator.calls[emulator.calls.index(refused) + 1 :]
        if c.method == "sendMessage" and c.params.get("text") == NEWS
    ]
    assert emulator.calls.index(bob_reply) < emulator.calls.index(news_after[0]), (
        "Bob was answered while the broadcast waited"
    )
    assert str(news_after[0].params["chat_id"]) == str(ids[3]), "then the refused one first"


async def test_chats_with_nothing_in_their_window_are_forgotten() -> None:
    now = [0.0]

    async def sent(*_: object) -> bool:  # where PTB's transport would post the request
        return True

    async def pass_time(seconds: float) -> None:
        now[0] += seconds

    limiter = OutgoingLimiter(chat_burst=3, clock=lambda: now[0], sleep=pass_time, forget_every=3)
    for chat_id in (ADA, BOB):
        await limiter.process_request(sent, (), {}, "sendMessage", {"chat_id": chat_id}, None)
    assert limiter.tracked_chats() == 2

    now[0] += 10.0
    await limiter.process_request(sent, (), {}, "sendMessage", {"chat_id": 44}, None)

    assert limiter.tracked_chats() == 1


async def test_with_pacing_off_a_429_still_holds_back_its_chat_and_no_other() -> None:
    """TELEGRAM_RATE_LIMIT=0 (a local Bot API, the benchmarks): calls go straight out and
    no chat is tracked, until Telegram answers 429 for one chat."""
    now = [0.0]
    slept: list[float] = []
    refuse = {ADA}

    async def pass_time(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    async def sent(chat_id: int) -> bool:
        if chat_id in refuse:
            refuse.discard(chat_id)
            raise RetryAfter(PAUSE)
        return True

    limiter = OutgoingLimiter(overall_rate=0, chat_burst=0, clock=lambda: now[0], sleep=pass_time)
    await limiter.process_request(sent, (BOB,), {}, "sendMessage", {"chat_id": BOB}, None)
    assert (slept, limiter.tracked_chats()) == ([], 0)

    await limiter.process_request(sent, (ADA,), {}, "sendMessage", {"chat_id": ADA}, None)
    await limiter.process_request(sent, (BOB,), {}, "sendMessage", {"chat_id": BOB}, None)

    assert slept == [PAUSE], "Ada's chat waited out its 429; Bob's went straight out"
    assert limiter.tracked_chats() == 1
