"""Telegram's content rules, as pure functions the server applies before accepting a call.

Each check raises :class:`~bot.emulator.state.ApiError` with the description Telegram
would send, so PTB raises the same ``BadRequest`` it would raise in production. Limits
are the documented ones (4096 characters per message after entity parsing, 1024 per
caption, 1-64 bytes of callback_data, 200 characters of callback answer, 100 buttons).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from typing import Any

from bot.emulator.state import ApiError, EmulatorError
from bot.telegram_html import Entity, HtmlError, ParsedText, normalize_url, parse_html, plain_text

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_BUTTONS = 100
MAX_COMMANDS = 100
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
_WEBHOOK_PORTS = (80, 88, 443, 8443)


def utf16_length(text: str) -> int:
    """Telegram counts text in UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def users_text(text: str, *, caption: bool = False) -> None:
    """What a Telegram app lets a user send: the same limits as the bot's own messages.
    A longer text is split by the app into several messages, never delivered as one, so
    an update carrying more cannot exist (EmulatorError: the test or demo asked for an
    impossible update, not the bot doing something wrong)."""
    limit = MAX_CAPTION_LENGTH if caption else MAX_MESSAGE_LENGTH
    what = "a caption" if caption else "a message"
    if not caption and not text.strip():
        raise EmulatorError("Telegram cannot send an empty message")
    length = utf16_length(text)
    if length > limit:
        raise EmulatorError(
            f"Telegram cannot send {what} of {length} characters: the limit is {limit} "
            "(a Telegram app splits longer text into several messages)"
        )


def format_text(text: str, parse_mode: str | None, entities: Sequence[Entity] | None) -> ParsedText:
    """Apply ``parse_mode`` (or explicit ``entities``) the way Telegram does.

    Markdown modes are not emulated: the text is kept as sent, with a warning, so a bot
    using them still works but its formatting isn't checked.
    """
    mode = (parse_mode or "").lower()
    if mode in ("", "none"):
        return plain_text(text, entities or ())
    if mode == "html":
        try:
            return parse_html(text)
        except HtmlError as error:
            raise ApiError.bad_request(f"can't parse entities: {error.detail}") from None
    if mode in ("markdown", "markdownv2"):
        parsed = plain_text(text)
        warning = f"parse_mode {parse_mode} is not emulated; the text is stored as sent"
        return ParsedText(parsed.text, parsed.entities, (warning,))
    raise ApiError.bad_request("unsupported parse_mode")


def message_text(
    text: str, parse_mode: str | None, entities: Sequence[Entity] | None
) -> ParsedText:
    """A message text: formatted, non-empty, and at most 4096 UTF-16 units."""
    parsed = format_text(text, parse_mode, entities)
    if not parsed.text:
        raise ApiError.bad_request("message text is empty")
    if parsed.utf16_length > MAX_MESSAGE_LENGTH:
        raise ApiError.bad_request("message is too long")
    return parsed


def caption_text(
    caption: str | None, parse_mode: str | None, entities: Sequence[Entity] | None
) -> ParsedText | None:
    """A media caption: optional, formatted, at most 1024 UTF-16 units."""
    if caption is None:
        return None
    parsed = format_text(caption, parse_mode, entities)
    if parsed.utf16_length > MAX_CAPTION_LENGTH:
        raise ApiError.bad_request("message caption is too long")
    return parsed if parsed.text else None


def check_reply_markup(markup: Any) -> None:
    """Reject keyboards Telegram would reject (empty labels, bad callback_data, too many)."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
    elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(
            'can\'t parse inline keyboard button: Field "inline_keyboard" of the '
            "InlineKeyboardMarkup should be an Array of Arrays"
        )
    total = 0
    for row in rows:
        for button in row:
            total += 1
            _check_inline_button(button)
    if total > MAX_INLINE_BUTTONS:
        raise ApiError.bad_request("reply markup is too long")


def _check_inline_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise ApiError.bad_request(prefix + "InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise ApiError.bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise ApiError.bad_request(prefix + 'Field "text" must be of type String')
    if not button["text"].strip():
        raise ApiError.bad_request("BUTTON_TEXT_INVALID")
    # Telegram treats an empty string like a missing field, so callback_data="" leaves
    # a button without any action.
    actions = [key for key in _INLINE_ACTIONS if button.get(key) not in (None, "")]
    if not actions:
        raise ApiError.bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if isinstance(data, str) and len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
        raise ApiError.bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if isinstance(url, str) and url and normalize_url(url) is None:
        raise ApiError.bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(
            'Field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            text = button if isinstance(button, str) else (button or {}).get("text")
            if not isinstance(text, str) or not text.strip():
                raise ApiError.bad_request("BUTTON_TEXT_INVALID")


def check_callback_answer(text: str | None) -> None:
    if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")


def normalize_commands(commands: Any) -> list[dict[str, str]]:
    """setMyCommands' list, cleaned like TDLib does (trim, drop a leading "/"), or 400."""
    if not isinstance(commands, list):
        raise ApiError.bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise ApiError.bad_request("BOT_COMMANDS_TOO_MUCH")
    cleaned: list[dict[str, str]] = []
    for raw in commands:
        if not isinstance(raw, dict):
            raise ApiError.bad_request("can't parse BotCommand")
        command = str(raw.get("command", "")).strip().removeprefix("/")
        description = str(raw.get("description", "")).strip()
        if not command:
            raise ApiError.bad_request("command must be non-empty")
        if len(command) > 32:
            raise ApiError.bad_request("command length must not exceed 32")
        if not _COMMAND.match(command):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        if not description:
            raise ApiError.bad_request("command description must be non-empty")
        if len(description) > 256:
            raise ApiError.bad_request("command description length must not exceed 256")
        cleaned.append({"command": command, "description": description})
    return cleaned


def check_secret_token(token: Any) -> None:
    if token is not None and not (isinstance(token, str) and _SECRET_TOKEN.match(token)):
        raise ApiError.bad_request("secret token contains unallowed characters")


def check_webhook_url(url: str) -> None:
    """HTTPS on Telegram's ports only — except loopback, which the emulator allows over
    plain HTTP so tests and the local demo can receive webhooks without certificates."""
    match = re.match(r"^(https?)://([^/:?#]+|\[[^\]]+\])(?::(\d+))?", url, re.IGNORECASE)
    if not match:
        raise ApiError.bad_request("bad webhook: Failed to resolve host: Name or service not known")
    scheme, host, port = match.group(1).lower(), match.group(2).lower(), match.group(3)
    if host in _LOOPBACK_HOSTS:
        return
    if scheme != "https":
        raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if port is not None and int(port) not in _WEBHOOK_PORTS:
        raise ApiError.bad_request(
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        )


# -- what Telegram detects by itself in user messages -----------------------------------

_AUTO_ENTITIES = (
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    ("url", re.compile(r"(?<![\w@])https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'}]", re.IGNORECASE)),
)


def detect_entities(text: str) -> list[Entity]:
    """Bot commands, mentions, hashtags and URLs Telegram marks up in a user's text.

    That is how ``/start payload`` arrives with a ``bot_command`` entity at offset 0,
    which is what PTB's ``CommandHandler`` looks for.
    """
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _AUTO_ENTITIES:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            offset = _utf16_offset(text, start)
            length = _utf16_offset(text, end) - offset
            found.append({"type": kind, "offset": offset, "length": length})
    return sorted(found, key=lambda e: e["offset"])


def _utf16_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le", "surrogatepass")) // 2


# -- images --------------------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG, GIF or WebP image; None if it isn't one.

    Telegram refuses photo uploads it can't decode (``IMAGE_PROCESS_FAILED``) and reports
    the dimensions of the ones it can, so the emulator reads them from the header.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (segment_length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + segment_length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None
