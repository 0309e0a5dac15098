"""What every facet of the emulator shares: the bot, its chats and the record of what happened.

``BotApiEmulator`` is one object to the tests, put together in ``server.py`` from facets
that each live in a module of their own (the HTTP core, the Bot API methods, the users,
the inspection API, rate limits, faults). They all stand on this base: the state they
read and write (the bot's own user, the people and chats, files, callback queries, the
calls received, the chat events) and the few operations more than one facet needs —
resolving a ``chat_id`` the way Telegram does, adding a message, storing a file,
recording an event. State only one facet uses is set up by that facet.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator.delivery import ChangeSignal, UpdateQueue
from bot.emulator.spec import BotApiSpec
from bot.emulator.state import (
    ApiCall,
    ApiError,
    CallbackQuery,
    ChatEvent,
    ChatMessage,
    EmulatedChat,
    EmulatedUser,
    EventKind,
    Json,
    StoredFile,
)

log = logging.getLogger(__name__)

Handler = Callable[[Json], Awaitable[Any]]
EventListener = Callable[[ChatEvent], None]

TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class EmulatorCore:
    """The state of one emulated bot's world, and the operations on it the facets share."""

    def __init__(
        self,
        token: str,
        *,
        spec: BotApiSpec | None,
        bot_username: str,
        bot_first_name: str,
        deliver: bool,
        privacy_mode: bool,
        webhook_retries: int,
        webhook_retry_delay: float,
        first_update_id: int,
    ) -> None:
        if not TOKEN_SHAPE.match(token):
            raise ValueError("token must look like Telegram's: <bot id>:<secret>")
        self.token = token
        self.spec = spec
        self.deliver = deliver
        self.privacy_mode = privacy_mode
        self.bot_user = EmulatedUser(
            id=int(token.split(":", 1)[0]),
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
        )

        self.users: dict[int, EmulatedUser] = {}
        self.chats: dict[int, EmulatedChat] = {}
        self.calls: list[ApiCall] = []
        self._expected: set[int] = set()  # ids of refused calls a test provoked on purpose
        self.updates: list[Json] = []  # every update ever created, delivered or not
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, Json] = {}
        self.chat_actions: list[tuple[int, str]] = []

        self._events: list[ChatEvent] = []
        self._listeners: list[EventListener] = []
        self._seq = itertools.count(1)
        self._update_ids = itertools.count(first_update_id)
        self._file_numbers = itertools.count(1)
        self._query_numbers = itertools.count(1)
        self._signal = ChangeSignal()
        self.queue = UpdateQueue(
            self._signal, retries=webhook_retries, retry_delay=webhook_retry_delay
        )

    def _resolve_chat(self, chat_id: Any) -> EmulatedChat:
        chat: EmulatedChat | None = None
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            chat = next(
                (c for c in self.chats.values() if c.username and c.username.lower() == wanted),
                None,
            )
        elif isinstance(chat_id, int) or (isinstance(chat_id, str) and _is_int(chat_id)):
            chat = self.chats.get(int(chat_id))
        if chat is None:
            raise ApiError.bad_request("chat not found")
        user = self.users.get(chat.id)
        if chat.type == "private" and user is not None and user.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.type in ("group", "supergroup") and chat.bot_status in ("left", "kicked"):
            where = "supergroup chat" if chat.type == "supergroup" else "group chat"
            if chat.bot_status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {where}")
            raise ApiError(403, f"Forbidden: bot is not a member of the {where}")
        return chat

    def _thread_for(self, chat: EmulatedChat, thread_id: Any) -> int | None:
        """The forum topic a ``message_thread_id`` names, if the bot may post in it: a
        closed topic takes messages only from admins who can manage topics, as in the apps."""
        if thread_id is None:
            return None
        topic = chat.topic(int(thread_id)) if chat.is_forum else None
        if topic is None:
            raise ApiError.bad_request("message thread not found")
        if topic.closed and not chat.bot_can("can_manage_topics"):
            raise ApiError.bad_request("TOPIC_CLOSED")
        return topic.message_thread_id

    def _add_message(
        self, chat: EmulatedChat, sender: EmulatedUser | None, **fields: Any
    ) -> ChatMessage:
        message = ChatMessage(
            message_id=chat.next_message_id,
            chat=chat,
            sender=sender,
            date=now(),
            seq=next(self._seq),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages.append(message)
        return message

    def _store_file(
        self,
        data: bytes | None,
        folder: str,
        suffix: str,
        file_name: str | None,
        mime_type: str | None,
    ) -> StoredFile:
        number = next(self._file_numbers)
        stored = StoredFile(
            file_id=f"EMU{folder[:3].upper()}{number:06d}{self.bot_user.id}",
            file_unique_id=f"U{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def _event(self, kind: EventKind, message: ChatMessage, note: str = "") -> None:
        actor = (
            message.sender.display_name
            if message.sender is not None
            else (message.chat.title or str(message.chat.id))
        )
        self._record(
            ChatEvent(
                seq=next(self._seq),
                chat_id=message.chat_id,
                kind=kind,
                actor=actor,
                from_bot=message.from_bot,
                message_id=message.message_id,
                text=message.content,
                entities=tuple(
                    message.entities if message.text is not None else message.caption_entities
                ),
                buttons=tuple(tuple(row) for row in message.buttons),
                note=note,
            )
        )

    def _record(self, event: ChatEvent) -> None:
        self._events.append(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken display must not break the API
                log.exception("emulator event listener failed")
        self._signal.notify()


def photo_size(stored: StoredFile, size: tuple[int, int]) -> Json:
    """A ``PhotoSize`` for a stored image of `size` (width, height)."""
    photo: Json = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": size[0],
        "height": size[1],
    }
    if stored.size is not None:
        photo["file_size"] = stored.size
    return photo


def _is_int(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+", text))


def now() -> int:
    """Unix seconds, as in a message's ``date``."""
    return int(time.time())


def clock() -> float:
    """Monotonic seconds, for rate windows, fault deadlines and call times."""
    return time.monotonic()
