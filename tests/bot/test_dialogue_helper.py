"""The test-side chat helper, driving a tiny real PTB Application through the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import BotApiEmulator
from tests.support import Dialogue, bot_api_spec

TOKEN = "654321:DIALOGUE-test"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    payload = " ".join(context.args or [])
    await update.message.reply_text(
        f"Welcome{', ' + payload if payload else ''}! Pick a course.",
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Enroll in Python", callback_data="enroll:python"),
                    InlineKeyboardButton("Enroll in SQL", callback_data="enroll:sql"),
                ],
                [
                    InlineKeyboardButton("Later", callback_data="later"),
                    InlineKeyboardButton("Website", url="https://example.org"),
                ],
            ]
        ),
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    if query.data == "silent":
        return  # forgets answerCallbackQuery
    if query.data == "later":
        await query.answer()
        await query.edit_message_text("Come back any time.")
        return
    course = query.data.split(":", 1)[1]
    await query.answer(f"Enrolled in {course}")
    await query.edit_message_text(f"You are enrolled in <b>{course}</b>.", parse_mode="HTML")
    assert query.message is not None
    await context.bot.send_message(query.message.chat.id, "First lesson tomorrow.")


async def quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        "Which is a list?",
        reply_markup=InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Option 1: []", callback_data="silent")],
                [InlineKeyboardButton("Option 2: {}", callback_data="silent")],
            ]
        ),
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(f"You said: {update.message.text}")


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(TOKEN, spec=bot_api_spec(), bot_username="dialogue_bot") as emu:
        yield emu


@pytest.fixture
async def application(
    emu: BotApiEmulator,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emu.api_base_url)
        .base_file_url(emu.file_base_url)
        .updater(None)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("quiz", quiz))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        yield app


@pytest.fixture
def chat(emu: BotApiEmulator, application: Application[Any, Any, Any, Any, Any, Any]) -> Dialogue:
    async def deliver(update: dict[str, Any]) -> None:
        await application.process_update(Update.de_json(update, application.bot))

    return Dialogue(emu, deliver, user_id=42, first_name="Ada")


async def test_send_returns_the_replies(chat: Dialogue, emu: BotApiEmulator) -> None:
    replies = await chat.send("/start python-101")
    assert [m.text for m in replies] == ["Welcome, python-101! Pick a course."]
    assert chat.last.buttons == [["Enroll in Python", "Enroll in SQL"], ["Later", "Website"]]
    assert chat.replies == replies
    emu.assert_no_rejections()


async def test_press_by_unique_substring_edits_and_answers(
    chat: Dialogue, emu: BotApiEmulator
) -> None:
    await chat.send("/start")
    replies = await chat.press("Python")
    assert [m.text for m in replies] == ["You are enrolled in python.", "First lesson tomorrow."]
    edited = replies[0]
    assert edited.edit_count == 1 and edited.buttons == []
    assert edited.html == "You are enrolled in <b>python</b>."
    assert edited.entities == [{"type": "bold", "offset": 20, "length": 6}]
    assert chat.answer_text == "Enrolled in python"
    assert chat.last.text == "First lesson tomorrow."
    assert emu.unanswered_callback_queries() == []


async def test_exact_label_wins_and_silent_answers_are_fine(chat: Dialogue) -> None:
    await chat.send("/start")
    replies = await chat.press("Later")
    assert [m.text for m in replies] == ["Come back any time."]
    assert chat.last_callback is not None and chat.last_callback.answered
    assert chat.answer_text is None


async def test_missing_button_lists_what_is_visible(chat: Dialogue) -> None:
    await chat.send("/start")
    with pytest.raises(AssertionError) as raised:
        await chat.press("Enroll in Rust")
    message = str(raised.value)
    assert "no button 'Enroll in Rust'" in message
    assert "[Enroll in Python] [Enroll in SQL] [Later] [Website]" in message


async def test_ambiguous_label_is_refused(chat: Dialogue) -> None:
    await chat.send("/start")
    with pytest.raises(AssertionError, match="matches several buttons"):
        await chat.press("Enroll")


async def test_url_buttons_cannot_be_pressed(chat: Dialogue) -> None:
    await chat.send("/start")
    with pytest.raises(AssertionError, match="is a url button"):
        await chat.press("Website")


async def test_unanswered_callback_query_fails_the_press(
    emu: BotApiEmulator, chat: Dialogue
) -> None:
    await chat.send("/quiz")
    with pytest.raises(AssertionError, match="never answered the callback query"):
        await chat.press("Option 1")
    chat.require_callback_answer = False
    await chat.press("Option 2")
    assert len(emu.unanswered_callback_queries()) == 2


async def test_newest_message_with_the_button_is_used(chat: Dialogue, emu: BotApiEmulator) -> None:
    await chat.send("/start")
    await chat.send("/start again")
    first, second = chat.messages
    await chat.press("Later")
    assert emu.message(42, second.message_id).text == "Come back any time."
    assert emu.message(42, first.message_id).edit_count == 0


async def test_transcript_reads_like_the_conversation(chat: Dialogue) -> None:
    await chat.send("/start")
    await chat.press("SQL")
    await chat.send("thanks!")
    assert chat.transcript() == (
        "Ada: /start\n"
        "Tutorbot: Welcome! Pick a course.\n"
        "  [Enroll in Python] [Enroll in SQL] [Later] [Website]\n"
        "Ada pressed [Enroll in SQL]\n"
        "Tutorbot (answer): Enrolled in sql\n"
        "Tutorbot (edited #2): You are enrolled in sql.\n"
        "Tutorbot: First lesson tomorrow.\n"
        "Ada: thanks!\n"
        "Tutorbot: You said: thanks!"
    )


async def test_photos_and_stickers_reach_the_bot(chat: Dialogue) -> None:
    assert await chat.send_photo(caption="homework") == []  # no handler: nothing sent
    assert await chat.send_sticker("🎉") == []
    assert await chat.send("hello") != []


async def test_group_chat_with_privacy_mode(
    emu: BotApiEmulator, application: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    emu.group(-500, "Study group")

    async def deliver(update: dict[str, Any]) -> None:
        await application.process_update(Update.de_json(update, application.bot))

    group_chat = Dialogue(emu, deliver, user_id=7, first_name="Grace", chat=-500)
    assert await group_chat.send("just chatting") == []  # Telegram hides it from the bot
    replies = await group_chat.send("/start@dialogue_bot")
    assert replies[0].chat_id == -500 and replies[0].text == "Welcome! Pick a course."
