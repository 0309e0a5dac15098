"""A local Telegram Bot API: the real bot talks to it in tests and in ``tutorbot demo``.

``BotApiEmulator`` serves the Bot API over HTTP on 127.0.0.1, checks every call the way
Telegram would (optionally against the published spec, ``BotApiSpec``), keeps the chats,
and plays the users. ``parse_html`` is Telegram's HTML parse mode on its own; it lives in
``bot/telegram_html.py``, outside this package, because the bot's views use it too.
"""

from bot.emulator.delivery import WebhookConfig
from bot.emulator.polls import EmulatedPoll
from bot.emulator.server import BotApiEmulator
from bot.emulator.spec import BotApiSpec, UploadedFile
from bot.emulator.state import (
    ApiCall,
    ApiError,
    CallbackQuery,
    ChatEvent,
    ChatMessage,
    EmulatedChat,
    EmulatedUser,
    EmulatorError,
    ForumTopic,
    RateWarning,
    StoredFile,
)
from bot.emulator.transcript import render_event, render_transcript
from bot.telegram_html import (
    HtmlError,
    ParsedText,
    entities_to_terminal,
    html_to_terminal,
    parse_html,
    utf16_len,
)

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "BotApiSpec",
    "CallbackQuery",
    "ChatEvent",
    "ChatMessage",
    "EmulatedChat",
    "EmulatedPoll",
    "EmulatedUser",
    "EmulatorError",
    "ForumTopic",
    "HtmlError",
    "ParsedText",
    "RateWarning",
    "StoredFile",
    "UploadedFile",
    "WebhookConfig",
    "entities_to_terminal",
    "html_to_terminal",
    "parse_html",
    "render_event",
    "render_transcript",
    "utf16_len",
]
