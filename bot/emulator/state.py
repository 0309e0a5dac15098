"""What the emulated Telegram remembers: users, chats, messages, files, calls.

These are plain records that tests read directly (``emu.chat(42)[-1].text``), so they keep
both the Bot API shape (``to_api()``, exactly what Telegram would put in an Update or a
method result) and conveniences for assertions (``buttons``, ``edit_count``, ``deleted``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot.telegram_html import Entity

if TYPE_CHECKING:
    from bot.emulator.polls import EmulatedPoll

ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "left", "kicked"]
Json = dict[str, Any]


class EmulatorError(RuntimeError):
    """A test asked the emulator for something impossible (e.g. pressing a missing button)."""


class ApiError(Exception):
    """A Bot API error response: ``{"ok": false, "error_code": …, "description": …}``."""

    def __init__(self, code: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, detail: str) -> ApiError:
        return cls(400, f"Bad Request: {detail}")

    def to_json(self) -> Json:
        body: Json = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class EmulatedUser:
    """A Telegram account: a simulated person, or the bot itself (``is_bot=True``)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    blocked_bot: bool = False  # the user pressed "Stop bot": sends fail with 403

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def to_api(self) -> Json:
        data: Json = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class EmulatedChat:
    """A private chat, group, supergroup or channel, with its messages in order."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    messages: list[ChatMessage] = field(default_factory=list, repr=False)
    next_message_id: int = 1
    is_forum: bool = False
    bot_status: MemberStatus = "member"
    bot_rights: dict[str, bool] = field(default_factory=dict)  # while the bot is an admin
    members: dict[int, MemberStatus] = field(default_factory=dict)
    topics: dict[int, ForumTopic] = field(default_factory=dict, repr=False)

    @property
    def bot_is_admin(self) -> bool:
        return self.bot_status == "administrator"

    def bot_can(self, right: str) -> bool:
        return self.bot_is_admin and self.bot_rights.get(right, False)

    def topic(self, thread_id: int) -> ForumTopic | None:
        found = self.topics.get(thread_id)
        return found if found is not None and not found.deleted else None

    def to_api(self) -> Json:
        data: Json = {"id": self.id}
        if self.type == "private":
            data["first_name"] = self.first_name or ""
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title or ""
        if self.username:
            data["username"] = self.username
        data["type"] = self.type
        if self.is_forum:
            data["is_forum"] = True
        return data

    def find(self, message_id: int) -> ChatMessage | None:
        for message in self.messages:
            if message.message_id == message_id:
                return message
        return None


@dataclass
class ForumTopic:
    """A topic of a forum supergroup; its id is that of the service message that opened it."""

    message_thread_id: int
    name: str
    icon_color: int
    creator_id: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def to_api(self) -> Json:
        data: Json = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data


@dataclass(frozen=True)
class MessageVersion:
    """A message's content before one of its edits."""

    text: str | None
    html: str | None
    entities: tuple[Entity, ...]
    reply_markup: Json | None
    edit_date: int | None


@dataclass
class ChatMessage:
    """One message in a chat, from a user, the bot, or a channel."""

    message_id: int
    chat: EmulatedChat = field(repr=False)
    sender: EmulatedUser | None
    date: int
    text: str | None = None
    html: str | None = None  # the text exactly as the bot sent it (before entity parsing)
    parse_mode: str | None = None
    entities: list[Entity] = field(default_factory=list)
    reply_markup: Json | None = None
    caption: str | None = None
    caption_entities: list[Entity] = field(default_factory=list)
    document: Json | None = None
    photo: list[Json] | None = None
    sticker: Json | None = None
    poll: EmulatedPoll | None = None
    reply_to: ChatMessage | None = field(default=None, repr=False)
    thread: int | None = None  # the forum topic the message is in
    media_group_id: str | None = None
    service: Json | None = None  # e.g. {"forum_topic_created": {...}}
    edit_date: int | None = None
    history: list[MessageVersion] = field(default_factory=list, repr=False)
    deleted: bool = False
    seq: int = 0  # global order of events in the emulator

    @property
    def chat_id(self) -> int:
        return self.chat.id

    def _topic_root(self) -> ChatMessage | None:
        """Telegram delivers a topic message that replies to nothing as a reply to the
        topic's ``forum_topic_created`` message; that is how old clients keep threads."""
        if self.thread is None or self.thread == self.message_id:
            return None
        return self.chat.find(self.thread)

    @property
    def from_bot(self) -> bool:
        return self.sender is not None and self.sender.is_bot

    @property
    def edit_count(self) -> int:
        return len(self.history)

    @property
    def inline_keyboard(self) -> list[list[Json]]:
        """The inline buttons as Bot API dicts (empty when there is no inline keyboard)."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    @property
    def button_data(self) -> dict[str, str]:
        """Each inline button's label and the callback data it carries (link buttons left out)."""
        return {
            str(b.get("text", "")): str(b["callback_data"])
            for row in self.inline_keyboard
            for b in row
            if "callback_data" in b
        }

    @property
    def buttons(self) -> list[list[str]]:
        """Labels of the inline keyboard, row by row — what the user sees under the message."""
        return [[str(button.get("text", "")) for button in row] for row in self.inline_keyboard]

    @property
    def reply_keyboard(self) -> list[list[str]]:
        """Labels of a custom reply keyboard (shown instead of the user's keyboard)."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [
            [button if isinstance(button, str) else str(button.get("text", "")) for button in row]
            for row in rows
        ]

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has ("" for a bare sticker/photo)."""
        return self.text if self.text is not None else (self.caption or "")

    def snapshot(self) -> MessageVersion:
        return MessageVersion(
            self.text, self.html, tuple(self.entities), self.reply_markup, self.edit_date
        )

    def to_api(self, *, with_reply: bool = True) -> Json:
        """The ``Message`` object exactly as the Bot API would return or deliver it."""
        data: Json = {"message_id": self.message_id}
        if self.sender is not None:
            data["from"] = self.sender.to_api()
        if self.chat.type == "channel":
            data["sender_chat"] = self.chat.to_api()
        data["chat"] = self.chat.to_api()
        data["date"] = self.date
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.thread is not None:
            data["message_thread_id"] = self.thread
            data["is_topic_message"] = True
        reply = self.reply_to or self._topic_root()
        if with_reply and reply is not None:
            data["reply_to_message"] = reply.to_api(with_reply=False)
        if self.media_group_id is not None:
            data["media_group_id"] = self.media_group_id
        if self.service is not None:
            data.update(self.service)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = [dict(e) for e in self.entities]
        if self.document is not None:
            data["document"] = dict(self.document)
        if self.photo is not None:
            data["photo"] = [dict(size) for size in self.photo]
        if self.sticker is not None:
            data["sticker"] = dict(self.sticker)
        if self.poll is not None:
            data["poll"] = self.poll.to_api()
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = [dict(e) for e in self.caption_entities]
        # Telegram echoes only inline keyboards; reply keyboards live on the client.
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass
class CallbackQuery:
    """A button press, and how (or whether) the bot answered it."""

    id: str
    user: EmulatedUser
    message: ChatMessage = field(repr=False)
    data: str
    label: str
    seq: int
    created_at: float = field(default_factory=time.monotonic)
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False
    answer_url: str | None = None


@dataclass
class StoredFile:
    """A file Telegram holds: uploaded by the bot, sent by a user, or referenced by URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes | None  # None for a URL the emulator did not download
    file_name: str | None = None
    mime_type: str | None = None
    source_url: str | None = None

    @property
    def size(self) -> int | None:
        return len(self.data) if self.data is not None else None

    def to_api(self) -> Json:
        """The ``File`` object returned by getFile."""
        data: Json = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.size is not None:
            data["file_size"] = self.size
        data["file_path"] = self.file_path
        return data


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made, with Telegram's verdict."""

    method: str
    params: Json
    ok: bool
    error: str | None = None
    error_code: int | None = None
    result: Any = None
    at: float = 0.0
    warnings: tuple[str, ...] = ()
    abandoned: bool = False  # the client hung up first (e.g. PTB cancelling a long poll)

    def __str__(self) -> str:
        verdict = "ok" if self.ok else f"{self.error_code} {self.error}"
        return f"{self.method}({_short(self.params)}) -> {verdict}"


RateScope = Literal["chat", "group", "global"]


@dataclass(frozen=True)
class RateWarning:
    """The bot sent faster than Telegram allows; Telegram would start answering 429."""

    scope: RateScope
    chat_id: int | None
    count: int
    window: float
    limit: int
    method: str

    def __str__(self) -> str:
        where = "overall" if self.scope == "global" else f"to chat {self.chat_id}"
        return (
            f"{self.method}: {self.count} messages {where} within {self.window:g}s "
            f"(Telegram allows {self.limit})"
        )


EventKind = Literal["message", "edit", "delete", "press", "answer", "action", "vote"]


@dataclass(frozen=True)
class ChatEvent:
    """Something visible that happened in a chat, in order — the raw material of transcripts."""

    seq: int
    chat_id: int
    kind: EventKind
    actor: str
    from_bot: bool
    message_id: int | None = None
    text: str = ""
    entities: tuple[Entity, ...] = ()
    buttons: tuple[tuple[str, ...], ...] = ()
    note: str = ""


def _short(params: Json, limit: int = 120) -> str:
    rendered = ", ".join(f"{key}={value!r}" for key, value in params.items())
    return rendered if len(rendered) <= limit else rendered[: limit - 1] + "…"
