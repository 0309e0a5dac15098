"""The Bot API emulator, exercised with the real PTB ``telegram.Bot`` over HTTP.

Each rejection test asserts PTB's own exception with Telegram's wording, because that is
what the bot's error handling sees in production. (PTB strips "Bad Request: " and
capitalises the rest, hence the case-insensitive matches.)
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.emulator import (
    BotApiEmulator,
    BotApiSpec,
    EmulatorError,
    HtmlError,
    UploadedFile,
    html_to_terminal,
    parse_html,
    render_transcript,
    utf16_len,
)
from tests.support import bot_api_spec

TOKEN = "123456:TEST-token_abc"
ADA = 42
PNG_2x3 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000020000000308020000001273a3f3"
    "0000000e49444154789c63f8cfc0f01f0002ff01ff7dcb5c6a0000000049454e44ae426082"
)


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(TOKEN, spec=bot_api_spec(), bot_username="tutorbot_test_bot")
    await emulator.start()
    emulator.user(ADA, "Ada", username="ada", language_code="en")
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as bot:
        yield bot


def keyboard(*labels_and_data: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in labels_and_data]]
    )


async def raw_call(
    emu: BotApiEmulator,
    method: str,
    *,
    data: dict[str, str] | None = None,
    json_body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    token: str = TOKEN,
    http_method: str = "POST",
) -> tuple[int, dict[str, Any]]:
    """Call the emulator without PTB, to send what PTB would never send."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            http_method,
            f"{emu.base_url}/bot{token}/{method}",
            data=data,
            json=json_body,
            params=query,
        ) as response,
    ):
        return response.status, await response.json()


# -- the basics ------------------------------------------------------------------------


async def test_get_me_describes_the_bot(bot: Bot, emu: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "tutorbot_test_bot", True)
    assert me.can_read_all_group_messages is False  # privacy mode, like a fresh bot
    assert emu.calls_to("getMe")[-1].ok


async def test_send_message_round_trip_is_parsed_by_ptb(bot: Bot, emu: BotApiEmulator) -> None:
    sent = await bot.send_message(
        ADA,
        "<b>Welcome</b>, &lt;Ada&gt; 👋 <a href='https://example.org/x'>docs</a>",
        parse_mode="HTML",
        reply_markup=keyboard(("Start", "start")),
    )
    assert sent.text == "Welcome, <Ada> 👋 docs"
    assert sent.chat.id == ADA and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == 123456
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 7),
        ("text_link", 18, 4),  # 👋 counts as two UTF-16 units
    ]
    assert sent.entities[1].url == "https://example.org/x"
    assert sent.reply_markup == keyboard(("Start", "start"))

    (stored,) = emu.chat(ADA)
    assert stored.message_id == sent.message_id
    assert stored.from_bot and stored.text == sent.text
    assert stored.html is not None and stored.html.startswith("<b>Welcome</b>")
    assert stored.buttons == [["Start"]]
    emu.assert_no_rejections()


async def test_method_names_are_case_insensitive(emu: BotApiEmulator) -> None:
    status, body = await raw_call(emu, "SENDMESSAGE", data={"chat_id": "42", "text": "hi"})
    assert status == 200 and body["result"]["text"] == "hi"
    assert emu.calls[-1].method == "sendMessage"


async def test_reply_parameters_produce_reply_to_message(bot: Bot, emu: BotApiEmulator) -> None:
    update = emu.send_text(ADA, "What is a list?")
    assert update is not None
    question_id = update["message"]["message_id"]
    answer = await bot.send_message(
        ADA, "An ordered collection.", reply_parameters=ReplyParameters(question_id)
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "What is a list?"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(ADA, "x", reply_parameters=ReplyParameters(999))


# -- rejections with Telegram's wording ------------------------------------------------------


async def test_text_limit_is_4096_utf16_units_after_parsing(bot: Bot, emu: BotApiEmulator) -> None:
    await bot.send_message(ADA, "😀" * 2048)  # 4096 UTF-16 units: exactly at the limit
    await bot.send_message(ADA, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")  # tags are free
    with pytest.raises(BadRequest, match=r"(?i)^message is too long$"):
        await bot.send_message(ADA, "😀" * 2048 + "!")
    with pytest.raises(BadRequest, match=r"(?i)^message text is empty$"):
        await bot.send_message(ADA, "<b> </b>\n", parse_mode="HTML")
    assert [c.error for c in emu.rejections] == [
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
    ]


async def test_a_user_cannot_send_what_no_telegram_app_can(emu: BotApiEmulator) -> None:
    """The same limits hold for what users send: an app splits a longer text into several
    messages, so one update never carries more than 4096 UTF-16 units (1024 in a caption),
    and there is no empty message. Asking for one is a mistake in the test, not the bot's."""
    emu.send_text(ADA, "😀" * 2048)  # exactly at the limit
    sent = emu.send_text(ADA, "hello")
    assert sent is not None
    emu.send_photo(ADA, caption="c" * 1024)
    with pytest.raises(EmulatorError, match="a message of 5000 characters: the limit is 4096"):
        emu.send_text(ADA, "x" * 5000)
    with pytest.raises(EmulatorError, match="a message of 4098 characters"):
        emu.send_text(ADA, "😀" * 2049)
    with pytest.raises(EmulatorError, match="an empty message"):
        emu.send_text(ADA, "  \n")
    with pytest.raises(EmulatorError, match="a message of 4097 characters"):
        emu.edit_text(ADA, sent["message"]["message_id"], "y" * 4097)
    with pytest.raises(EmulatorError, match="a caption of 1025 characters: the limit is 1024"):
        emu.send_photo(ADA, caption="c" * 1025)
    with pytest.raises(EmulatorError, match="a caption of 1025 characters"):
        emu.send_document(ADA, b"%PDF-1.4", file_name="notes.pdf", caption="/import " + "c" * 1017)
    assert emu.rejections == [], "refused before anything reached the bot"


async def test_callback_data_over_64_bytes_is_refused(bot: Bot) -> None:
    await bot.send_message(ADA, "ok", reply_markup=keyboard(("A", "é" * 32)))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)^button_data_invalid$"):
        await bot.send_message(ADA, "x", reply_markup=keyboard(("A", "x" * 65)))


async def test_buttons_without_text_or_action_are_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)button_text_invalid"):
        await bot.send_message(ADA, "x", reply_markup=keyboard((" ", "a")))
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(ADA, "x", reply_markup=keyboard(("A", "")))


async def test_more_than_100_buttons_is_too_long(bot: Bot) -> None:
    rows = [
        [InlineKeyboardButton(f"{r}.{c}", callback_data=f"{r}.{c}") for c in range(8)]
        for r in range(13)
    ]
    with pytest.raises(BadRequest, match=r"(?i)^reply markup is too long$"):
        await bot.send_message(ADA, "x", reply_markup=InlineKeyboardMarkup(rows))


async def test_malformed_html_is_refused_with_byte_offset(bot: Bot) -> None:
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(ADA, "<div>hi</div>", parse_mode="HTML")
    assert raised.value.message == (
        'Can\'t parse entities: unsupported start tag "div" at byte offset 0'
    )
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unmatched end tag"):
        await bot.send_message(ADA, "<b><i>x</b></i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)unsupported parse_mode"):
        await bot.send_message(ADA, "x", parse_mode="Html5")


async def test_html_telegram_shows_literally_is_a_warning(bot: Bot, emu: BotApiEmulator) -> None:
    sent = await bot.send_message(ADA, "Price:&nbsp;<b>5€</b>", parse_mode="HTML")
    assert sent.text == "Price:&nbsp;5€"  # accepted, but the user sees "&nbsp;"
    (warning,) = emu.warnings
    assert warning.startswith("sendMessage: &nbsp; at byte offset 6")
    emu.assert_no_rejections()


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)^chat not found$"):
        await bot.send_message(777, "hello?")
    with pytest.raises(BadRequest, match=r"(?i)^chat not found$"):
        await bot.send_message("@nobody_here", "hello?")


async def test_blocked_user_gives_forbidden(bot: Bot, emu: BotApiEmulator) -> None:
    emu.block_bot(ADA)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ADA, "come back")


async def test_unknown_parameter_is_refused(bot: Bot, emu: BotApiEmulator) -> None:
    with pytest.raises(BadRequest, match=r'(?i)unknown parameter "colour"'):
        await bot.send_message(ADA, "x", api_kwargs={"colour": "red"})
    assert emu.chat(ADA) == []  # nothing was sent


async def test_spec_catches_missing_required_and_wrong_types(emu: BotApiEmulator) -> None:
    status, body = await raw_call(emu, "sendMessage", data={"chat_id": "42"})
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": 'Bad Request: parameter "text" is required',
    }
    status, body = await raw_call(
        emu,
        "sendMessage",
        json_body={
            "chat_id": 42,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": 5}]]},
        },
    )
    assert status == 400
    assert "reply_markup.inline_keyboard[0][0].callback_data" in body["description"]
    status, body = await raw_call(emu, "getUpdates", query={"limit": "ten"})
    assert status == 400 and '"limit" must be Integer' in body["description"]
    assert len(emu.rejections) == 3


async def test_bodies_in_every_encoding_are_understood(emu: BotApiEmulator) -> None:
    # A String parameter stays a string even when it looks like JSON.
    status, body = await raw_call(emu, "sendMessage", query={"chat_id": "42", "text": "123"})
    assert (status, body["result"]["text"]) == (200, "123")
    status, body = await raw_call(
        emu, "sendMessage", json_body={"chat_id": "42", "text": "[1]"}, http_method="POST"
    )
    assert (status, body["result"]["text"]) == (200, "[1]")
    status, body = await raw_call(emu, "getMe", http_method="GET")
    assert status == 200 and body["result"]["username"] == "tutorbot_test_bot"


async def test_token_and_method_errors_look_like_telegram(emu: BotApiEmulator) -> None:
    assert await raw_call(emu, "getMe", token="123456:WRONG") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await raw_call(emu, "sendMesage") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = await raw_call(emu, "sendPoll", data={"chat_id": "42", "question": "?"})
    assert status == 400
    assert "required" in body["description"]  # the spec speaks first...
    status, body = await raw_call(
        emu,
        "sendDice",
        data={"chat_id": "42"},
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: method is not supported by the emulator",
    )


async def test_wrong_token_is_invalid_token_in_ptb(emu: BotApiEmulator) -> None:
    other = Bot("123456:OTHER", base_url=emu.api_base_url)
    with pytest.raises(InvalidToken, match="was rejected by the server"):
        await other.initialize()
    await other.shutdown()
    assert emu.rejections[-1].error == "Unauthorized"


async def test_works_without_a_spec() -> None:
    async with BotApiEmulator(TOKEN) as emu:
        emu.user(ADA, "Ada")
        async with Bot(TOKEN, base_url=emu.api_base_url) as bot:
            sent = await bot.send_message(ADA, "123", reply_markup=keyboard(("A", "a")))
            assert sent.text == "123" and sent.reply_markup == keyboard(("A", "a"))
            with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
                await bot.send_message(ADA, "x", reply_markup=keyboard(("A", "x" * 65)))
        assert await raw_call(emu, "sendMessage", data={"chat_id": "42"}) == (
            400,
            {
                "ok": False,
                "error_code": 400,
                "description": 'Bad Request: parameter "text" is required',
            },
        )
        status, _ = await raw_call(emu, "sendVenue", data={"chat_id": "42"})
        assert status == 404  # without a spec, only the emulated methods exist
        with pytest.raises(TimeoutError):
            await emu.wait_for(lambda: bool(emu.bot_messages(ADA)[1:]), within=0.05)


# -- edits, deletions, callback queries ----------------------------------------------------


async def test_edit_that_changes_nothing_is_not_modified(bot: Bot, emu: BotApiEmulator) -> None:
    sent = await bot.send_message(
        ADA, "<b>Quiz</b>", parse_mode="HTML", reply_markup=keyboard(("A", "a"))
    )
    with pytest.raises(BadRequest, match=r"(?i)^message is not modified: specified new"):
        await bot.edit_message_text(
            "<b>Quiz</b>",
            ADA,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard(("A", "a")),
        )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(ADA, sent.message_id, reply_markup=keyboard(("A", "a")))

    edited = await bot.edit_message_text("Quiz", ADA, sent.message_id)  # bold dropped
    assert isinstance(edited, type(sent)) and edited.edit_date is not None
    stored = emu.message(ADA, sent.message_id)
    assert stored.edit_count == 1 and stored.history[0].text == "Quiz"
    assert stored.buttons == []  # no reply_markup in the edit removes the keyboard

    with pytest.raises(BadRequest, match=r"(?i)^message to edit not found$"):
        await bot.edit_message_text("x", ADA, 999)


async def test_delete_message(bot: Bot, emu: BotApiEmulator) -> None:
    sent = await bot.send_message(ADA, "temporary")
    assert await bot.delete_message(ADA, sent.message_id) is True
    assert emu.chat(ADA)[0].deleted and emu.bot_messages(ADA) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ADA, sent.message_id)


async def test_callback_query_can_be_answered_once(bot: Bot, emu: BotApiEmulator) -> None:
    sent = await bot.send_message(ADA, "Ready?", reply_markup=keyboard(("Go", "go")))
    update = Update.de_json(emu.press_button(ADA, sent.message_id, "go"), bot)
    query = update.callback_query
    assert query is not None and query.data == "go"
    assert query.message is not None and query.message.message_id == sent.message_id
    assert query.from_user.first_name == "Ada"
    assert emu.unanswered_callback_queries()[0].id == query.id

    with pytest.raises(BadRequest, match=r"(?i)^message_too_long$"):
        await bot.answer_callback_query(query.id, text="x" * 201)
    assert await bot.answer_callback_query(query.id, text="Let's go!") is True
    with pytest.raises(BadRequest, match=r"(?i)^query is too old and response timeout expired"):
        await bot.answer_callback_query(query.id)
    assert emu.unanswered_callback_queries() == []
    assert emu.answered_callback_queries()[0].answer_text == "Let's go!"


async def test_pressing_a_button_that_is_not_there_is_impossible(
    bot: Bot, emu: BotApiEmulator
) -> None:
    sent = await bot.send_message(ADA, "Ready?", reply_markup=keyboard(("Go", "go")))
    with pytest.raises(EmulatorError, match="no button with callback_data 'stop'"):
        emu.press_button(ADA, sent.message_id, "stop")


# -- getUpdates and webhooks ---------------------------------------------------------------


async def test_long_polling_wakes_up_when_a_user_writes(bot: Bot, emu: BotApiEmulator) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    started = time.monotonic()
    emu.send_text(ADA, "/start course-42")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 2
    (update,) = updates
    assert update.message is not None and update.message.text == "/start course-42"
    entity = update.message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)

    # Not confirmed yet: the same update comes again until offset moves past it.
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert emu.pending_updates == []


async def test_application_runs_against_the_emulator_by_long_polling(
    emu: BotApiEmulator,
) -> None:
    async def greet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None and update.message is not None
        await update.message.reply_text(f"Hello, {update.effective_user.first_name}!")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emu.api_base_url)
        .base_file_url(emu.file_base_url)
        .build()
    )
    app.add_handler(CommandHandler("start", greet))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        emu.send_text(ADA, "/start")
        await emu.wait_for(lambda: len(emu.bot_messages(ADA)) == 1, within=5)
        await app.updater.stop()
        await app.stop()
    assert emu.bot_messages(ADA)[0].text == "Hello, Ada!"
    assert emu.calls_to("deleteWebhook") and emu.calls_to("getUpdates")
    assert emu.pending_updates == []  # PTB confirmed what it processed
    emu.assert_no_rejections()


async def test_get_updates_respects_limit_and_allowed_updates(
    bot: Bot, emu: BotApiEmulator
) -> None:
    emu.send_text(ADA, "one")
    emu.send_text(ADA, "two")
    first = await bot.get_updates(limit=1)
    assert [u.message.text for u in first if u.message] == ["one"]
    sent = await bot.send_message(ADA, "Pick", reply_markup=keyboard(("X", "x")))
    emu.press_button(ADA, sent.message_id, "x")
    only_buttons = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in only_buttons if u.callback_query] == ["x"]


async def test_second_poller_terminates_the_first(bot: Bot, emu: BotApiEmulator) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(TOKEN, base_url=emu.api_base_url) as second_instance:
        second = asyncio.create_task(second_instance.get_updates(timeout=0))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert await second == ()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[tuple[dict[str, str], Any]], list[int]]]:
    """A tiny webhook endpoint: records requests; answers with the queued status codes."""
    received: list[tuple[dict[str, str], Any]] = []
    statuses: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.json()))
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/hook", received, statuses
    await runner.cleanup()


async def test_webhook_push_carries_the_secret_token(
    bot: Bot,
    emu: BotApiEmulator,
    receiver: tuple[str, list[tuple[dict[str, str], Any]], list[int]],
) -> None:
    url, received, _ = receiver
    assert await bot.set_webhook(url, secret_token="s3cr3t-Token_1")
    info = await bot.get_webhook_info()
    assert info.url == url and info.pending_update_count == 0

    update = emu.send_text(ADA, "hello webhook")
    await emu.wait_for(lambda: len(received) == 1)
    headers, body = received[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-Token_1"
    assert headers["Content-Type"] == "application/json"
    assert body == update
    assert emu.webhook_deliveries == 1

    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()

    assert await bot.delete_webhook()
    emu.send_text(ADA, "back to polling")
    (polled,) = await bot.get_updates()
    assert polled.message is not None and polled.message.text == "back to polling"


async def test_failed_webhook_deliveries_are_retried_and_counted(
    bot: Bot,
    emu: BotApiEmulator,
    receiver: tuple[str, list[tuple[dict[str, str], Any]], list[int]],
) -> None:
    url, received, statuses = receiver
    statuses.extend([500, 502])  # two failures, then success
    await bot.set_webhook(url)
    emu.send_text(ADA, "eventually")
    await emu.wait_for(lambda: emu.webhook_deliveries == 1)
    assert len(received) == 3 and emu.webhook_failures == 2
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    assert info.pending_update_count == 0


async def test_webhook_requires_https_except_on_loopback(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)an https url must be provided"):
        await bot.set_webhook("http://example.org/hook")
    with pytest.raises(BadRequest, match=r"(?i)ports 80, 88, 443 or 8443"):
        await bot.set_webhook("https://example.org:9000/hook")
    with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
        await bot.set_webhook("https://example.org/hook", secret_token="no spaces")


async def test_delete_webhook_can_drop_pending_updates(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ADA, "old news")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


# -- files -----------------------------------------------------------------------------------


async def test_document_upload_get_file_and_download(bot: Bot, emu: BotApiEmulator) -> None:
    content = bytes(range(256)) * 40
    sent = await bot.send_document(
        ADA, content, filename="notes.bin", caption="<i>Your notes</i>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.file_size) == ("notes.bin", len(content))
    assert sent.caption == "Your notes" and sent.caption_entities[0].type == "italic"
    telegram_file = await bot.get_file(sent.document.file_id)
    assert telegram_file.file_size == len(content)
    assert bytes(await telegram_file.download_as_bytearray()) == content

    # The file_id can be re-sent without uploading again.
    again = await bot.send_document(ADA, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(ADA, "no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("no-such-file-id")


async def test_photo_upload_reports_dimensions_and_refuses_non_images(bot: Bot) -> None:
    sent = await bot.send_photo(ADA, PNG_2x3, caption="chart")
    (size,) = sent.photo
    assert (size.width, size.height) == (2, 3)
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(ADA, b"definitely not an image")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(ADA, PNG_2x3, caption="x" * 1025)


async def test_user_photos_and_stickers_arrive_as_telegram_shapes(
    bot: Bot, emu: BotApiEmulator
) -> None:
    photo = Update.de_json(emu.send_photo(ADA, PNG_2x3, caption="my homework"), bot)
    assert photo.message is not None and photo.message.caption == "my homework"
    assert (photo.message.photo[-1].width, photo.message.photo[-1].height) == (2, 3)
    downloaded = await (await bot.get_file(photo.message.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == PNG_2x3
    sticker = Update.de_json(emu.send_sticker(ADA, "🔥"), bot)
    assert sticker.message is not None and sticker.message.sticker is not None
    assert sticker.message.sticker.emoji == "🔥"


# -- other methods ---------------------------------------------------------------------------


async def test_commands_per_scope_and_menu_button(bot: Bot) -> None:
    commands = [BotCommand("start", "Start learning"), BotCommand("help", "How it works")]
    assert await bot.set_my_commands(commands)
    assert await bot.set_my_commands(
        [BotCommand("admin", "Admin tools")], scope=BotCommandScopeChat(ADA)
    )
    assert await bot.get_my_commands() == tuple(commands)
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(ADA))] == [
        "admin"
    ]
    assert await bot.get_my_commands(language_code="de") == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Now", "nope")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    assert await bot.set_chat_menu_button(ADA, MenuButtonCommands())
    assert isinstance(await bot.get_chat_menu_button(ADA), MenuButtonCommands)


async def test_chat_actions_are_checked_and_recorded(bot: Bot, emu: BotApiEmulator) -> None:
    assert await bot.send_chat_action(ADA, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(ADA, "dancing")
    assert emu.chat_actions == [(ADA, "typing")]


async def test_log_out_and_close_are_accepted(bot: Bot) -> None:
    assert await bot.log_out() is True
    assert await bot.close() is True


@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
async def test_rate_limits_are_recorded_or_enforced(bot: Bot, emu: BotApiEmulator) -> None:
    for n in range(4):
        await bot.send_message(ADA, f"message {n}")
    (warning,) = emu.rate_warnings
    assert (warning.scope, warning.chat_id, warning.count) == ("chat", ADA, 4)

    emu.enforce_rate_limits = True
    with pytest.raises(RetryAfter, match=r"Retry in [123](\.0)? seconds"):
        await bot.send_message(ADA, "one too many")
    assert emu.rejections[-1].error_code == 429
    assert emu.rejections[-1].error in {f"Too Many Requests: retry after {n}" for n in (1, 2, 3)}
    assert len(emu.bot_messages(ADA)) == 4


# -- simulated users, groups, channels -------------------------------------------------------


async def test_updates_have_telegram_shapes(bot: Bot, emu: BotApiEmulator) -> None:
    first = emu.send_text(ADA, "/help@tutorbot_test_bot now", deliver=False)
    second = emu.send_text(ADA, "thanks")
    assert first is not None and second is not None
    assert second["update_id"] == first["update_id"] + 1
    assert emu.pending_updates == [second]  # deliver=False only returns the update
    message = first["message"]
    assert message["from"] == {
        "id": ADA,
        "is_bot": False,
        "first_name": "Ada",
        "username": "ada",
        "language_code": "en",
    }
    assert message["chat"] == {"id": ADA, "first_name": "Ada", "username": "ada", "type": "private"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 23}]
    assert isinstance(message["date"], int)

    edited = Update.de_json(emu.edit_text(ADA, message["message_id"], "/help"), bot)
    assert edited.edited_message is not None and edited.edited_message.text == "/help"
    assert edited.edited_message.edit_date is not None


async def test_groups_respect_privacy_mode(bot: Bot, emu: BotApiEmulator) -> None:
    emu.group(-1001, "Study group", supergroup=True)
    assert emu.send_text(ADA, "just chatting", chat=-1001) is None
    assert emu.send_text(ADA, "/quiz@some_other_bot", chat=-1001) is None
    assert emu.send_text(ADA, "hey @tutorbot_test_bot", chat=-1001) is not None
    update = emu.send_text(ADA, "/quiz@tutorbot_test_bot", chat=-1001)
    assert update is not None
    parsed = Update.de_json(update, bot)
    assert parsed.effective_chat is not None and parsed.effective_chat.title == "Study group"
    assert parsed.effective_chat.type == "supergroup"
    await bot.send_message(-1001, "Quiz time!")
    assert [m.content for m in emu.chat(-1001)][-2:] == ["/quiz@tutorbot_test_bot", "Quiz time!"]


async def test_channel_posts(bot: Bot, emu: BotApiEmulator) -> None:
    update = Update.de_json(emu.channel_post(-100500, "New lesson is out"), bot)
    assert update.channel_post is not None
    assert update.channel_post.sender_chat is not None
    assert update.channel_post.chat.type == "channel"
    assert update.channel_post.from_user is None


async def test_transcript_follows_the_conversation(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ADA, "/start")
    sent = await bot.send_message(
        ADA, "Hi <b>Ada</b>", parse_mode="HTML", reply_markup=keyboard(("Go", "go"))
    )
    query = emu.press_button(ADA, sent.message_id, "go")
    await bot.answer_callback_query(query["callback_query"]["id"], "Off we go")
    await bot.edit_message_text("Lesson 1", ADA, sent.message_id)
    assert render_transcript(emu.events(ADA)) == (
        "Ada: /start\n"
        "Tutorbot: Hi Ada\n"
        "  [Go]\n"
        "Ada pressed [Go]\n"
        "Tutorbot (answer): Off we go\n"
        "Tutorbot (edited #2): Lesson 1"
    )


# -- Telegram's HTML parse mode, on its own ----------------------------------------------


def test_parse_html_nesting_and_entities() -> None:
    parsed = parse_html(
        "<b>bold <i>both</i></b> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler> "
        '<span class="tg-spoiler">y</span> <code>c</code> '
        '<pre><code class="language-python">print(1)</code></pre> '
        "<blockquote expandable>quote</blockquote> "
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> '
        "&lt;&amp;&gt;&quot;&#65;&#x42;"
    )
    assert parsed.text == 'bold both u s x y c print(1) quote 👍 <&>"AB'
    kinds = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    assert kinds == [
        ("bold", 0, 9),
        ("italic", 5, 4),
        ("underline", 10, 1),
        ("strikethrough", 12, 1),
        ("spoiler", 14, 1),
        ("spoiler", 16, 1),
        ("code", 18, 1),
        ("pre", 20, 8),
        ("expandable_blockquote", 29, 5),
        ("custom_emoji", 35, 2),
    ]
    assert parsed.entities[7]["language"] == "python"
    assert parsed.entities[9]["custom_emoji_id"] == "5368324170671202286"


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<i>x</b>", 'Unmatched end tag at byte offset 4, expected "</i>", found "</b>"'),
        ("é</b>", "Unexpected end tag at byte offset 2"),  # é is two bytes in UTF-8
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<i>a</i   ", "Unclosed end tag at byte offset 4"),
        (
            "<a href>x</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ("<a =x>y</a>", 'Empty attribute name in the tag "a" at byte offset 0'),
        ("<a href=x,y>z</a>", "Unexpected end of name token at byte offset 8"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<tg-emoji emoji-id=abc>x</tg-emoji>", "Invalid custom emoji identifier specified"),
    ],
)
def test_parse_html_errors_use_telegrams_wording(html: str, detail: str) -> None:
    with pytest.raises(HtmlError) as raised:
        parse_html(html)
    assert raised.value.detail == detail
    assert str(raised.value) == f"Can't parse entities: {detail}"


def test_parse_html_counts_utf16_units() -> None:
    parsed = parse_html("👩‍💻 <b>Python</b> 🐍")
    # 👩 (2) + ZWJ (1) + 💻 (2) + space = 6 units before "Python"
    assert parsed.entities == [{"type": "bold", "offset": 6, "length": 6}]
    assert parsed.utf16_length == utf16_len(parsed.text) == 15
    assert len(parsed.text) == 12
    assert [text for text, _ in parsed.spans()] == ["Python"]


def test_parse_html_is_lenient_where_telegram_is() -> None:
    # Unknown named entities are shown literally (with a warning for the developer)...
    parsed = parse_html("a&nbsp;b &lt")
    assert parsed.text == "a&nbsp;b <"
    assert "&nbsp;" in parsed.warnings[0]
    # ...and text is trimmed, "\r" dropped, whitespace-only entities removed, like Telegram.
    parsed = parse_html("\n  <b> </b>Hi\r\n <i>there</i>  \n")
    assert parsed.text == "Hi\n there"
    assert parsed.entities == [{"type": "italic", "offset": 4, "length": 5}]
    # A link Telegram can't use is dropped silently, but the text stays.
    parsed = parse_html('<a href="not a url">x</a> <a href="example.org">y</a>')
    assert parsed.entities == [
        {"type": "text_link", "offset": 2, "length": 1, "url": "http://example.org/"}
    ]


def test_html_to_terminal_keeps_links_visible() -> None:
    assert html_to_terminal('Read <a href="https://docs.python.org">the docs</a>!') == (
        "Read the docs (https://docs.python.org/)!"
    )
    assert html_to_terminal("<b>x</b>", ansi=True) == "\x1b[1mx\x1b[22m"
    assert html_to_terminal("<b>broken") == "<b>broken"


# -- the spec on its own -----------------------------------------------------------------------


def test_spec_validation_is_shallow_but_correct() -> None:
    spec = bot_api_spec()
    assert isinstance(spec, BotApiSpec) and spec.canonical_name("GETME") == "getMe"
    assert spec.validate("sendMessage", {"chat_id": "@channel", "text": "x"}) == []
    assert spec.validate("sendMessage", {"chat_id": 1.5, "text": "x"}) == [
        '"chat_id" must be Integer or String, not a float'
    ]
    assert (
        spec.validate("sendDocument", {"chat_id": 1, "document": UploadedFile("a", "", b"x")}) == []
    )
    assert spec.validate("sendDocument", {"chat_id": 1, "document": "file-id-or-url"}) == []
    assert spec.validate("getUpdates", {"allowed_updates": ["message", 3]}) == [
        '"allowed_updates[1]" must be String, not an integer'
    ]
    assert spec.validate("setMyCommands", {"commands": [], "scope": {"type": "chat"}}) == [
        '"scope.chat_id" is required in BotCommandScopeChat'
    ]
    assert spec.validate("noSuchMethod", {}) == [
        'method "noSuchMethod" does not exist in the Bot API'
    ]
    assert spec.param_types("sendMessage")["reply_markup"][0] == "InlineKeyboardMarkup"


def test_spec_loads_from_the_json_shape(tmp_path: Any) -> None:
    path = tmp_path / "api.json"
    path.write_text(
        json.dumps(
            {
                "version": "Bot API 0.1",
                "methods": {
                    "ping": {
                        "name": "ping",
                        "fields": [
                            {"name": "n", "types": ["Integer"], "required": True, "description": ""}
                        ],
                    }
                },
                "types": {},
            }
        )
    )
    spec = BotApiSpec.load(path)
    assert spec.validate("PING", {"n": True}) == ['"n" must be Integer, not a boolean']
