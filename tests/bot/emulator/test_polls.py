"""Polls and quizzes in the emulator, driven through the real PTB ``Bot``.

Spaced review asks its cards as quizzes and reads ``poll_answer`` updates, so these pin
down what the bot sees: the Message and Poll PTB parses from sendPoll, Telegram's limits
refused with 400, the shape of the updates a vote makes, and the votes no app can cast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Poll, Update
from telegram.error import BadRequest

from bot.emulator import BotApiEmulator, EmulatorError, render_transcript
from tests.support import bot_api_spec
from tests.support.dialogue import Dialogue

TOKEN = "123456:TEST-token_abc"
ADA = 42
BOB = 43
OPTIONS = ["Paris", "Rome", "Madrid"]


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(TOKEN, spec=bot_api_spec(), bot_username="tutorbot_test_bot")
    await emulator.start()
    emulator.user(ADA, "Ada", username="ada")
    emulator.user(BOB, "Bob")
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as bot:
        yield bot


async def send_quiz(bot: Bot, chat_id: int = ADA, **overrides: Any) -> Any:
    """A valid, non-anonymous quiz; ``overrides`` change one thing at a time."""
    arguments: dict[str, Any] = {
        "chat_id": chat_id,
        "question": "Capital of France?",
        "options": OPTIONS,
        "type": Poll.QUIZ,
        "correct_option_ids": [0],
        "is_anonymous": False,
        **overrides,
    }
    return await bot.send_poll(**arguments)


async def test_quiz_round_trip_is_parsed_by_ptb(bot: Bot, emu: BotApiEmulator) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Skip", callback_data="skip")]])
    message = await send_quiz(
        bot,
        explanation="It's <b>Paris</b>.\nSince 987.",
        explanation_parse_mode="HTML",
        open_period=60,
        reply_markup=markup,
    )
    poll = message.poll
    assert poll is not None and message.chat.id == ADA
    assert poll.type == Poll.QUIZ and not poll.is_anonymous and not poll.is_closed
    assert [o.text for o in poll.options] == OPTIONS
    assert [o.voter_count for o in poll.options] == [0, 0, 0]
    assert poll.total_voter_count == 0 and poll.allows_multiple_answers is False
    assert poll.correct_option_ids == (0,) and poll.allows_revoting is False
    assert poll.explanation == "It's Paris.\nSince 987."
    assert [(e.type, e.offset, e.length) for e in poll.explanation_entities] == [("bold", 5, 5)]
    assert message.reply_markup == markup
    stored = emu.polls(ADA)
    assert [p.id for p in stored] == [poll.id] and emu.poll(poll.id).message is not None
    assert emu.bot_messages(ADA)[-1].poll is stored[0]
    assert "[quiz] Capital of France?" in render_transcript(emu.events(ADA))
    emu.assert_no_rejections()


async def test_polls_are_anonymous_regular_by_default_with_unique_ids(
    bot: Bot, emu: BotApiEmulator
) -> None:
    first = await bot.send_poll(ADA, "Tea or coffee?", ["Tea", "Coffee"])
    second = await bot.send_poll(ADA, "Cats or dogs?", ["Cats", "Dogs"])
    assert first.poll is not None and second.poll is not None
    assert first.poll.is_anonymous and first.poll.type == Poll.REGULAR
    assert first.poll.allows_revoting is True
    assert "correct_option_ids" not in emu.calls_to("sendPoll")[0].result["poll"]
    assert first.poll.id != second.poll.id


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"question": "?" * 301}, "poll question length must not exceed 300"),
        ({"question": " "}, "poll question must be non-empty"),
        ({"options": []}, "poll must have at least 1 option"),
        ({"options": [f"o{i}" for i in range(13)]}, "poll can't have more than 12 options"),
        ({"options": ["Paris", "x" * 101]}, "poll options length must not exceed 100"),
        ({"explanation": "x" * 201}, "poll explanation length must not exceed 200"),
        ({"explanation": "a\nb\nc\nd"}, "poll explanation can't have more than 2 line feeds"),
        ({"correct_option_ids": [3]}, "wrong correct option IDs specified"),
        ({"correct_option_ids": [0, 1]}, "a quiz without multiple answers must have one"),
        ({"correct_option_ids": None}, "correct option IDs must be specified for a quiz"),
        ({"type": "survey"}, "wrong poll type specified"),
        ({"open_period": 3}, "wrong open period specified"),
        ({"explanation": "<b>Paris", "explanation_parse_mode": "HTML"}, "can't parse entities"),
    ],
)
async def test_limits_are_refused_with_400(
    bot: Bot, emu: BotApiEmulator, overrides: dict[str, Any], error: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i)^{error}"):
        await send_quiz(bot, **overrides)
    assert emu.calls_to("sendPoll")[-1].error_code == 400
    assert emu.polls() == []


async def test_limits_count_after_entity_parsing(bot: Bot) -> None:
    """200 visible characters pass even though the HTML around them is longer."""
    message = await send_quiz(bot, explanation=f"<i>{'x' * 200}</i>", explanation_parse_mode="HTML")
    assert message.poll is not None and len(message.poll.explanation or "") == 200
    single = await bot.send_poll(ADA, "One option is allowed by Bot API 10.1", ["Only"])
    assert single.poll is not None and len(single.poll.options) == 1


async def test_a_regular_poll_cannot_have_correct_options(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)only for quizzes"):
        await send_quiz(bot, type=Poll.REGULAR)


async def test_poll_answer_update_is_parsed_by_ptb(bot: Bot, emu: BotApiEmulator) -> None:
    message = await send_quiz(bot)
    assert message.poll is not None
    raw = emu.answer_poll(ADA, message.poll.id, [1], deliver=False)
    assert raw is not None
    update = Update.de_json(raw, bot)
    answer = update.poll_answer
    assert answer is not None and answer.poll_id == message.poll.id
    assert answer.user is not None and answer.user.id == ADA
    assert answer.option_ids == (1,) and answer.option_persistent_ids == ("1",)
    assert update.effective_chat is None and "chat" not in raw["poll_answer"]
    assert update.effective_user is not None and update.effective_user.id == ADA
    state = Update.de_json(emu.updates[-1], bot).poll
    assert state is not None and state.total_voter_count == 1
    assert [o.voter_count for o in state.options] == [0, 1, 0]
    assert "Ada voted [Rome]" in render_transcript(emu.events(ADA))


async def test_votes_arrive_by_long_polling(bot: Bot, emu: BotApiEmulator) -> None:
    message = await send_quiz(bot)
    emu.answer_poll(ADA, emu.message(ADA, message.message_id), [0])
    updates = await bot.get_updates(timeout=1)
    assert [(u.poll_answer is not None, u.poll is not None) for u in updates] == [
        (True, False),
        (False, True),
    ]


async def test_allowed_updates_decide_which_poll_updates_arrive(
    bot: Bot, emu: BotApiEmulator
) -> None:
    message = await send_quiz(bot)
    await bot.get_updates(timeout=0, allowed_updates=["poll_answer"])
    assert message.poll is not None
    emu.answer_poll(ADA, message.poll.id, [2])
    updates = await bot.get_updates(timeout=1)
    assert len(updates) == 1 and updates[0].poll_answer is not None


async def test_anonymous_poll_gives_no_poll_answer(bot: Bot, emu: BotApiEmulator) -> None:
    message = await bot.send_poll(ADA, "Tea or coffee?", ["Tea", "Coffee"])
    assert message.poll is not None
    assert emu.answer_poll(ADA, message.poll.id, [0], deliver=False) is None
    assert [next(k for k in u if k != "update_id") for u in emu.updates] == ["poll"]
    assert emu.poll(message.poll.id).voter_counts == [1, 0]


async def test_stop_poll_closes_it_once(bot: Bot, emu: BotApiEmulator) -> None:
    message = await send_quiz(bot)
    assert message.poll is not None
    emu.answer_poll(ADA, message.poll.id, [0], deliver=False)
    stopped = await bot.stop_poll(ADA, message.message_id)
    assert stopped.is_closed and stopped.id == message.poll.id
    assert stopped.total_voter_count == 1 and stopped.correct_option_ids == (0,)
    with pytest.raises(BadRequest, match=r"(?i)^poll has already been closed"):
        await bot.stop_poll(ADA, message.message_id)
    assert [next(k for k in u if k != "update_id") for u in emu.updates][-1] == "poll"
    text = await bot.send_message(ADA, "not a poll")
    with pytest.raises(BadRequest, match=r"(?i)^message with poll to stop not found"):
        await bot.stop_poll(ADA, text.message_id)


async def test_a_closed_poll_takes_no_votes(bot: Bot, emu: BotApiEmulator) -> None:
    message = await bot.send_poll(ADA, "Q?", ["A", "B"], is_anonymous=False)
    await bot.stop_poll(ADA, message.message_id)
    with pytest.raises(EmulatorError, match="is closed"):
        emu.answer_poll(ADA, emu.polls(ADA)[0], [0])


async def test_quiz_answer_cannot_be_changed(bot: Bot, emu: BotApiEmulator) -> None:
    message = await send_quiz(bot)
    assert message.poll is not None
    emu.answer_poll(ADA, message.poll.id, [1], deliver=False)
    with pytest.raises(EmulatorError, match="quiz answer can't be changed"):
        emu.answer_poll(ADA, message.poll.id, [0], deliver=False)
    with pytest.raises(EmulatorError, match="quiz answer can't be changed"):
        emu.answer_poll(ADA, message.poll.id, [], deliver=False)


async def test_impossible_votes_are_refused(bot: Bot, emu: BotApiEmulator) -> None:
    message = await bot.send_poll(ADA, "Q?", ["A", "B"], is_anonymous=False)
    assert message.poll is not None
    poll_id = message.poll.id
    with pytest.raises(EmulatorError, match="out of range"):
        emu.answer_poll(ADA, poll_id, [2])
    with pytest.raises(EmulatorError, match="only one answer"):
        emu.answer_poll(ADA, poll_id, [0, 1])
    with pytest.raises(EmulatorError, match=r"no vote .* to retract"):
        emu.answer_poll(ADA, poll_id, [])
    with pytest.raises(EmulatorError, match="can't see"):
        emu.answer_poll(BOB, poll_id, [0])
    with pytest.raises(EmulatorError, match="no poll"):
        emu.answer_poll(ADA, "nope", [0])


async def test_regular_vote_can_be_changed_and_retracted(bot: Bot, emu: BotApiEmulator) -> None:
    message = await bot.send_poll(
        ADA, "Pick any", ["A", "B", "C"], is_anonymous=False, allows_multiple_answers=True
    )
    assert message.poll is not None
    emu.answer_poll(ADA, message.poll.id, [0, 2], deliver=False)
    assert emu.poll(message.poll.id).voter_counts == [1, 0, 1]
    retracted = emu.answer_poll(ADA, message.poll.id, [], deliver=False)
    assert retracted is not None and retracted["poll_answer"]["option_ids"] == []
    assert emu.poll(message.poll.id).total_voter_count == 0
    assert "Ada retracted their vote" in render_transcript(emu.events(ADA))


async def test_dialogue_answers_the_latest_poll(bot: Bot, emu: BotApiEmulator) -> None:
    async def reply_to_answer(raw: dict[str, Any]) -> None:
        answer = Update.de_json(raw, bot).poll_answer
        assert answer is not None and answer.user is not None
        await bot.send_message(answer.user.id, f"You chose {answer.option_ids[0]}")

    chat = Dialogue(emu, reply_to_answer, user_id=ADA)
    await send_quiz(bot, question="Old card")
    await send_quiz(bot, question="New card")
    replies = await chat.answer_poll(option=1)
    assert [m.text for m in replies] == ["You chose 1"]
    assert emu.polls(ADA)[-1].votes == {ADA: (1,)} and emu.polls(ADA)[0].votes == {}


async def test_without_a_spec_strings_stay_strings_and_the_legacy_id_is_understood() -> None:
    """Bot API 10.1 has only ``correct_option_ids``; with the spec PTB's legacy
    ``correct_option_id`` is an unknown parameter, without it the emulator reads it as
    a list of one."""
    async with BotApiEmulator(TOKEN) as emu:
        emu.user(ADA, "Ada")
        async with Bot(TOKEN, base_url=emu.api_base_url) as bot:
            with pytest.warns(DeprecationWarning):
                message = await bot.send_poll(
                    ADA, "123", ["1", "2"], type=Poll.QUIZ, correct_option_id=1, explanation="42"
                )
    assert message.poll is not None and message.poll.question == "123"
    assert message.poll.correct_option_ids == (1,) and message.poll.explanation == "42"


async def test_ptb_sends_the_legacy_correct_option_id_as_ids(bot: Bot, emu: BotApiEmulator) -> None:
    """PTB 22.8 turns its deprecated ``correct_option_id`` into ``correct_option_ids``,
    the only field Bot API 10.1 defines, so the spec check passes."""
    with pytest.warns(DeprecationWarning):
        message = await send_quiz(bot, correct_option_ids=None, correct_option_id=2)
    assert message.poll is not None and message.poll.correct_option_ids == (2,)
    assert emu.calls_to("sendPoll")[-1].params["correct_option_ids"] == [2]
