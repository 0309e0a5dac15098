"""A local, single-bot imitation of the Telegram Bot API over real HTTP.

Why a server rather than a mocked ``Bot``: the real python-telegram-bot ``Bot`` and
``Application`` talk to it unchanged (only ``base_url`` differs), so requests go through
PTB's real serialisation, and the answers go through PTB's real, strict parsing. Every
call is checked against the published Bot API description and against Telegram's
content rules, and refused with Telegram's own error text — a test fails here for the same
reason production would.

The emulator also plays the users: ``send_text``/``press_button``/… create Updates shaped
exactly like Telegram's and deliver them by long polling (getUpdates) or webhook push, or
just return them for a test that feeds ``Application.process_update`` itself.

Everything runs on the event loop that called :meth:`BotApiEmulator.start`; the
user-simulation methods are synchronous and must be called from that loop's thread.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from bot.emulator import checks
from bot.emulator.delivery import ChangeSignal, UpdateQueue, WebhookConfig
from bot.emulator.spec import BotApiSpec, UploadedFile
from bot.emulator.state import (
    ApiCall,
    ApiError,
    CallbackQuery,
    ChatEvent,
    ChatMessage,
    ChatType,
    EmulatedChat,
    EmulatedUser,
    EmulatorError,
    EventKind,
    Json,
    RateScope,
    RateWarning,
    StoredFile,
)
from bot.telegram_html import Entity, ParsedText

log = logging.getLogger(__name__)

Handler = Callable[[Json], Awaitable[Any]]
EventListener = Callable[[ChatEvent], None]

_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_MAX_UPLOAD = 50 * 1024 * 1024
# Without a spec the server still has to know which form values are plain strings.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_data",
        "url",
        "secret_token",
        "callback_query_id",
        "file_id",
        "document",
        "photo",
        "action",
        "language_code",
        "inline_message_id",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
    }
)
# A 1x1 transparent PNG, used when a test sends a photo without giving bytes.
_TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class BotApiEmulator:
    """Telegram's Bot API for one bot, served on 127.0.0.1.

    >>> emu = BotApiEmulator(token="123456:TEST", spec=BotApiSpec.load(path))
    >>> base_url = await emu.start()   # "http://127.0.0.1:PORT"
    >>> bot = telegram.Bot(token, base_url=f"{base_url}/bot", base_file_url=f"{base_url}/file/bot")

    Constructor flags:

    ``deliver``             False: updates made by the simulated users are only returned,
                            never queued for getUpdates/webhook (for ``process_update``).
    ``enforce_rate_limits`` True: answer 429 with ``retry_after`` instead of only recording
                            ``rate_warnings``.
    ``privacy_mode``        Telegram's group privacy: plain group messages that are not
                            commands, mentions or replies to the bot aren't delivered.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        spec: BotApiSpec | None = None,
        bot_username: str = "tutorbot_test_bot",
        bot_first_name: str = "Tutorbot",
        deliver: bool = True,
        enforce_rate_limits: bool = False,
        privacy_mode: bool = True,
        webhook_retries: int = 3,
        webhook_retry_delay: float = 0.05,
        host: str = "127.0.0.1",
        port: int = 0,
        first_update_id: int = 1,
    ) -> None:
        if not _TOKEN_SHAPE.match(token):
            raise ValueError("token must look like Telegram's: <bot id>:<secret>")
        self.token = token
        self.spec = spec
        self.deliver = deliver
        self.enforce_rate_limits = enforce_rate_limits
        self.privacy_mode = privacy_mode
        self.bot_user = EmulatedUser(
            id=int(token.split(":", 1)[0]),
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
        )
        self._host = host
        self._port = port

        self.users: dict[int, EmulatedUser] = {}
        self.chats: dict[int, EmulatedChat] = {}
        self.calls: list[ApiCall] = []
        self.rate_warnings: list[RateWarning] = []
        self._expected: set[int] = set()  # ids of refused calls a test provoked on purpose
        self._outages: dict[str, int] = {}  # method -> calls still to fail with 502
        self.faults: list[Fault] = []  # armed by inject(), oldest first
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
        self._chat_sends: dict[int, deque[float]] = {}
        self._global_sends: deque[float] = deque()
        self._throttled: dict[int, tuple[int, int]] = {}  # chat -> (calls left, retry_after)
        self._signal = ChangeSignal()
        self.queue = UpdateQueue(
            self._signal, retries=webhook_retries, retry_delay=webhook_retry_delay
        )
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

        self._handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
        }
        self._handler_names = {name.lower(): name for name in self._handlers}

    # == lifecycle ==========================================================================

    async def start(self) -> str:
        """Bind the HTTP server and return its base URL, e.g. ``http://127.0.0.1:53117``."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        app = web.Application(client_max_size=_MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        # handler_cancellation: a long poll whose client went away stops waiting at once,
        # as on Telegram, instead of superseding the client's next poll.
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        port = runner.addresses[0][1]
        self.base_url = f"http://{self._host}:{port}"
        await self.queue.start()
        return self.base_url

    async def stop(self) -> None:
        """Stop serving; long polls in progress return an empty result."""
        await self.queue.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_base_url(self) -> str:
        """What to pass as PTB's ``base_url`` (the token is appended by PTB)."""
        return f"{self._require_started()}/bot"

    @property
    def file_base_url(self) -> str:
        """What to pass as PTB's ``base_file_url``."""
        return f"{self._require_started()}/file/bot"

    def _require_started(self) -> str:
        if self.base_url is None:
            raise RuntimeError("call await emulator.start() first")
        return self.base_url

    # == what tests read ======================================================================

    @property
    def rejections(self) -> list[ApiCall]:
        """Every call Telegram refused (non-2xx) while the bot was still listening."""
        return [
            call
            for call in self.calls
            if not call.ok and not call.abandoned and id(call) not in self._expected
        ]

    def outage(self, method: str, calls: int) -> None:
        """Telegram has a bad moment: the next `calls` calls of `method` answer 502."""
        canonical = self._canonical(method) or method
        self._outages[canonical] = calls

    def throttle_chat(self, chat_id: int, retry_after: int, calls: int = 1) -> None:
        """The next `calls` messages or edits in this chat answer 429 with `retry_after`,
        as Telegram does when one chat gets more than it allows (other chats go on). Tests
        accept them with ``expect(429, chat_id=...)``."""
        self._throttled[chat_id] = (calls, retry_after)

    def inject(
        self,
        method: str | None = None,
        status: int | Literal["timeout"] = 500,
        *,
        count: int | None = None,
        seconds: float | None = None,
        retry_after: int = 1,
        hold: float = 30.0,
    ) -> Fault:
        """Telegram misbehaves for a while: calls of `method` (None: every method) fail with
        `status` — 500, 429 with `retry_after`, any other error code — or, with "timeout",
        are held `hold` seconds before Telegram handles them (a client that gives up first
        hangs up, and the call is never performed). The fault lasts for `count` calls or
        `seconds`, whichever ends first (neither: until `Fault.end()`). Calls it fails are
        provoked on purpose, so `assert_no_rejections` does not count them. Returns the
        fault, which counts the calls it hit."""
        canonical = None if method is None else (self._canonical(method) or method)
        until = None if seconds is None else _clock() + seconds
        fault = Fault(canonical, status, count, until, retry_after, hold)
        self.faults.append(fault)
        return fault

    def synchronization_error(self, at: float | None = None) -> None:
        """Telegram failed to sync the bot's updates between its datacenters (at ``at``, Unix
        time, default now); getWebhookInfo reports it as ``last_synchronization_error_date``."""
        self.queue.last_synchronization_error_date = int(time.time() if at is None else at)

    def expect(self, error_code: int, chat_id: int | None = None) -> list[ApiCall]:
        """Accept refusals a test provoked on purpose (e.g. 403 from a user who blocked the
        bot), so that ``assert_no_rejections`` keeps guarding everything else."""
        matched = [
            call
            for call in self.rejections
            if call.error_code == error_code
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]
        self._expected.update(id(call) for call in matched)
        return matched

    @property
    def warnings(self) -> list[str]:
        """Things Telegram accepted but a user would see as a bug (e.g. a literal ``&nbsp;``)."""
        return [f"{call.method}: {warning}" for call in self.calls for warning in call.warnings]

    def calls_to(self, method: str) -> list[ApiCall]:
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def assert_no_rejections(self) -> None:
        """Fail with a readable list if the bot made any call Telegram would refuse."""
        if self.rejections:
            lines = "\n".join(f"  {call}" for call in self.rejections)
            count = len(self.rejections)
            raise AssertionError(f"Telegram would have rejected {count} call(s):\n{lines}")

    def chat(self, chat_id: int) -> list[ChatMessage]:
        """All messages in the chat, oldest first, both sides, deleted ones included."""
        return list(self._known_chat(chat_id).messages)

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        return [
            message
            for message in self._known_chat(chat_id).messages
            if message.from_bot and (include_deleted or not message.deleted)
        ]

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        found = self._known_chat(chat_id).find(message_id)
        if found is None:
            raise EmulatorError(f"chat {chat_id} has no message {message_id}")
        return found

    def events(self, chat_id: int | None = None) -> list[ChatEvent]:
        """What happened, in order (messages, edits, deletions, presses, answers)."""
        return [e for e in self._events if chat_id is None or e.chat_id == chat_id]

    def unanswered_callback_queries(self) -> list[CallbackQuery]:
        return [q for q in self.callback_queries.values() if not q.answered]

    def answered_callback_queries(self) -> list[CallbackQuery]:
        return [q for q in self.callback_queries.values() if q.answered]

    @property
    def pending_updates(self) -> list[Json]:
        """Updates queued for getUpdates or the webhook and not yet confirmed."""
        return list(self.queue.pending)

    @property
    def webhook(self) -> WebhookConfig | None:
        return self.queue.webhook

    @property
    def webhook_deliveries(self) -> int:
        return self.queue.deliveries

    @property
    def webhook_failures(self) -> int:
        """Failed push attempts (each retry counts)."""
        return self.queue.failures

    @property
    def undelivered_updates(self) -> list[Json]:
        """Updates given up on after all webhook retries failed."""
        return list(self.queue.undelivered)

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener`` for every chat event (e.g. to print the chat in a terminal)."""
        self._listeners.append(listener)

    async def wait_for(self, predicate: Callable[[], bool], *, within: float = 5.0) -> None:
        """Wait until ``predicate()`` holds, re-checking whenever the emulator's state changes.

        For tests that run the bot by polling: ``await emu.wait_for(lambda:
        len(emu.bot_messages(42)) == 1)``. Raises ``TimeoutError`` otherwise.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {within}s")
            await self._signal.wait(remaining)

    # == simulated users =======================================================================

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> EmulatedUser:
        """Register (or update) a person; their private chat with the bot has id ``user_id``."""
        existing = self.users.get(user_id)
        if existing is None:
            existing = EmulatedUser(id=user_id, first_name=first_name or f"User{user_id}")
            self.users[user_id] = existing
        elif first_name is not None:
            existing.first_name = first_name
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                setattr(existing, key, value)
        chat = self.chats.get(user_id)
        if chat is None:
            chat = EmulatedChat(id=user_id, type="private")
            self.chats[user_id] = chat
        chat.first_name, chat.last_name, chat.username = (
            existing.first_name,
            existing.last_name,
            existing.username,
        )
        return existing

    def group(
        self,
        chat_id: int,
        title: str,
        *,
        supergroup: bool = False,
        username: str | None = None,
    ) -> EmulatedChat:
        """Register a group the bot is a member of (group ids are negative in Telegram)."""
        kind: ChatType = "supergroup" if supergroup else "group"
        return self._register_chat(chat_id, kind, title, username)

    def channel(self, chat_id: int, title: str, *, username: str | None = None) -> EmulatedChat:
        """Register a channel where the bot is an administrator."""
        return self._register_chat(chat_id, "channel", title, username)

    def block_bot(self, user_id: int, blocked: bool = True) -> None:
        """The user stops the bot: further sends to them fail with 403 like Telegram's."""
        self._user(user_id).blocked_bot = blocked

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat: int | None = None,
        reply_to: int | None = None,
        deliver: bool | None = None,
    ) -> Json | None:
        """The user writes ``text``; returns the ``message`` Update.

        Telegram marks ``/command``, ``/start payload`` and ``/cmd@bot`` with a
        ``bot_command`` entity (plus mentions, hashtags, URLs). In a group with
        ``privacy_mode`` a message that isn't for the bot is stored in the chat but not
        delivered, and None is returned.
        """
        checks.users_text(text)
        user = self._user(user_id)
        target = self._chat_for(user, chat)
        reply_message = self._existing_message(target, reply_to) if reply_to else None
        message = self._add_message(
            target,
            user,
            text=text,
            entities=checks.detect_entities(text),
            reply_to=reply_message,
        )
        self._event("message", message)
        if target.type in ("group", "supergroup") and not self._visible_to_bot(message):
            return None
        return self._new_update("message", message.to_api(), deliver)

    def send_photo(
        self,
        user_id: int,
        data: bytes | None = None,
        *,
        caption: str | None = None,
        chat: int | None = None,
        deliver: bool | None = None,
    ) -> Json:
        """The user sends a photo (a 1x1 PNG unless ``data`` is given)."""
        if caption is not None:
            checks.users_text(caption, caption=True)
        user = self._user(user_id)
        target = self._chat_for(user, chat)
        content = data if data is not None else _TINY_PNG
        size = checks.image_size(content) or (0, 0)
        stored = self._store_file(content, "photos", ".jpg", None, "image/jpeg")
        photo = [_photo_size(stored, size)]
        message = self._add_message(target, user, photo=photo, caption=caption)
        self._event("message", message, note="[photo]")
        return self._new_update("message", message.to_api(), deliver)

    def send_sticker(
        self,
        user_id: int,
        emoji: str = "👍",
        *,
        chat: int | None = None,
        deliver: bool | None = None,
    ) -> Json:
        """The user sends a (regular, static) sticker showing ``emoji``."""
        user = self._user(user_id)
        target = self._chat_for(user, chat)
        stored = self._store_file(b"RIFF\0\0\0\0WEBP", "stickers", ".webp", None, "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        message = self._add_message(target, user, sticker=sticker)
        self._event("message", message, note=f"[sticker {emoji}]")
        return self._new_update("message", message.to_api(), deliver)

    def send_document(
        self,
        user_id: int,
        data: bytes,
        *,
        file_name: str = "file.bin",
        mime_type: str | None = None,
        caption: str | None = None,
        file_size: int | None = None,
        chat: int | None = None,
        deliver: bool | None = None,
    ) -> Json:
        """The user sends a file as a document, optionally with a caption (a ``/command``
        in it gets a ``bot_command`` caption entity). ``file_size`` overrides the size
        Telegram reports, to stand in for a file too big to build in a test."""
        if caption is not None:
            checks.users_text(caption, caption=True)
        user = self._user(user_id)
        target = self._chat_for(user, chat)
        suffix = "." + file_name.rsplit(".", 1)[-1] if "." in file_name else ""
        stored = self._store_file(data, "documents", suffix, file_name, mime_type)
        document: Json = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "file_size": stored.size if file_size is None else file_size,
        }
        if mime_type:
            document["mime_type"] = mime_type
        fields: Json = {"document": document}
        if caption is not None:
            fields["caption"] = caption
            fields["caption_entities"] = checks.detect_entities(caption)
        message = self._add_message(target, user, **fields)
        self._event("message", message, note=f"[document {file_name}]")
        return self._new_update("message", message.to_api(), deliver)

    def edit_text(
        self,
        user_id: int,
        message_id: int,
        new_text: str,
        *,
        chat: int | None = None,
        deliver: bool | None = None,
    ) -> Json:
        """The user edits one of their own messages; returns the ``edited_message`` Update."""
        checks.users_text(new_text)
        user = self._user(user_id)
        target = self._chat_for(user, chat)
        message = self._existing_message(target, message_id)
        if message.sender is not user or message.text is None:
            raise EmulatorError(f"message {message_id} is not a text message of user {user_id}")
        message.history.append(message.snapshot())
        message.text = new_text
        message.entities = checks.detect_entities(new_text)
        message.edit_date = _now()
        self._event("edit", message)
        return self._new_update("edited_message", message.to_api(), deliver)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat: int | None = None,
        deliver: bool | None = None,
        forged: bool = False,
    ) -> Json:
        """The user taps the inline button carrying ``callback_data`` under a bot message.

        Refuses (EmulatorError) when that message has no such button — a real user can only
        press what is on screen. ``forged=True`` sends the data anyway, as a modified client
        can (the Bot API cannot stop it), to test that the bot re-checks every press.
        """
        user = self._user(user_id)
        target = self._chat_for(user, chat)
        message = self._existing_message(target, message_id)
        label = next(
            (
                str(button.get("text", ""))
                for row in message.inline_keyboard
                for button in row
                if button.get("callback_data") == callback_data
            ),
            None,
        )
        if forged and message.from_bot:
            label = label or "(forged)"
        if not message.from_bot or label is None:
            raise EmulatorError(
                f"message {message_id} in chat {target.id} has no button with callback_data "
                f"{callback_data!r}; buttons: {message.buttons}"
            )
        query_id = str(self.bot_user.id * 1_000_000 + next(self._query_numbers))
        query = CallbackQuery(
            id=query_id,
            user=user,
            message=message,
            data=callback_data,
            label=label,
            seq=next(self._seq),
        )
        self.callback_queries[query_id] = query
        self._record(
            ChatEvent(
                seq=query.seq,
                chat_id=target.id,
                kind="press",
                actor=user.display_name,
                from_bot=False,
                message_id=message_id,
                text=label,
            )
        )
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": message.to_api(),
            "chat_instance": str(-abs(target.id) * 7919 - 17),
            "data": callback_data,
        }
        return self._new_update("callback_query", payload, deliver)

    def channel_post(self, chat_id: int, text: str, *, deliver: bool | None = None) -> Json:
        """A post in a channel the bot administers (registered on first use)."""
        checks.users_text(text)
        chat = self.chats.get(chat_id) or self.channel(chat_id, f"Channel {chat_id}")
        if chat.type != "channel":
            raise EmulatorError(f"chat {chat_id} is a {chat.type}, not a channel")
        message = self._add_message(chat, None, text=text, entities=checks.detect_entities(text))
        self._event("message", message)
        return self._new_update("channel_post", message.to_api(), deliver)

    # == HTTP layer ============================================================================

    async def _handle_api(self, request: web.Request) -> web.Response:
        method_name = request.match_info["method"]
        params: Json = {}
        canonical = method_name
        warnings: tuple[str, ...] = ()
        try:
            token = request.match_info["token"]
            if token != self.token:
                if _TOKEN_SHAPE.match(token):
                    raise ApiError(401, "Unauthorized")
                raise ApiError(404, "Not Found")
            found = self._canonical(method_name)
            if found is None:
                raise ApiError(404, "Not Found")
            canonical = found
            params = await self._read_params(request, canonical)
            if self.spec is not None:
                problems = self.spec.validate(canonical, params)
                if problems:
                    raise ApiError.bad_request("; ".join(problems))
            handler = self._handlers.get(canonical)
            if handler is None:
                raise ApiError.bad_request("method is not supported by the emulator")
            if self._outages.get(canonical):
                self._outages[canonical] -= 1
                raise ApiError(502, "Bad Gateway")
            fault = self._fault_for(canonical)
            if fault is not None:
                await fault.strike()
            try:
                result = await handler(params)
            except KeyError as missing:
                if self.spec is not None:  # the spec already checked required parameters
                    raise
                raise ApiError.bad_request(f'parameter "{missing.args[0]}" is required') from None
            if isinstance(result, _WithWarnings):
                warnings, result = result.warnings, result.value
        except asyncio.CancelledError:  # the client disconnected mid-request
            self._record_call(ApiCall(canonical, params, True, at=_clock(), abandoned=True))
            raise
        except ApiError as error:
            gone = request.transport is None or request.transport.is_closing()
            refused = ApiCall(
                canonical,
                params,
                False,
                error.description,
                error.code,
                at=_clock(),
                abandoned=gone,
            )
            self._record_call(refused)
            if isinstance(error, InjectedError):
                self._expected.add(id(refused))
            log.debug("emulator refused %s: %s", canonical, error.description)
            return web.json_response(error.to_json(), status=error.code)
        except Exception as exc:  # an emulator bug: answer like a Telegram outage, loudly
            log.exception("emulator failed on %s", canonical)
            failure = ApiError(500, f"Internal Server Error: emulator bug: {exc!r}")
            self._record_call(
                ApiCall(canonical, params, False, failure.description, failure.code, at=_clock())
            )
            return web.json_response(failure.to_json(), status=500)
        self._record_call(
            ApiCall(canonical, params, True, result=result, at=_clock(), warnings=warnings)
        )
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").to_json(), status=401)
        for stored in self.files.values():
            if stored.file_path == path and stored.data is not None:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").to_json(), status=404)

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404, "Not Found").to_json(), status=404)

    def _fault_for(self, method: str) -> Fault | None:
        """The oldest armed fault that applies to a call of `method` now (spent ones go)."""
        now = _clock()
        self.faults = [fault for fault in self.faults if fault.armed(now)]
        return next((f for f in self.faults if f.method in (None, method)), None)

    def _canonical(self, method_name: str) -> str | None:
        if self.spec is not None:
            return self.spec.canonical_name(method_name)
        return self._handler_names.get(method_name.lower())

    async def _read_params(self, request: web.Request, method: str) -> Json:
        """Collect query string + body into one dict of decoded values.

        Telegram accepts query strings, urlencoded and multipart forms, and JSON bodies.
        Form values are strings; clients JSON-encode every non-string value, so a value is
        JSON-decoded unless its parameter is declared as a plain String.
        """
        raw: dict[str, str | UploadedFile] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.read()
            if body.strip():
                try:
                    data = json.loads(body)
                except ValueError:
                    raise ApiError.bad_request("can't parse JSON object") from None
                if not isinstance(data, dict):
                    raise ApiError.bad_request("JSON object expected")
                for key, value in data.items():
                    if value is not None:
                        raw[key] = value if isinstance(value, str) else json.dumps(value)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(
                        filename=value.filename,
                        content_type=value.content_type,
                        data=value.file.read(),
                    )
                elif isinstance(value, bytes | bytearray):
                    raw[key] = bytes(value).decode("utf-8", "replace")
                else:
                    raw[key] = value
        return self._decode_params(method, raw)

    def _decode_params(self, method: str, raw: dict[str, str | UploadedFile]) -> Json:
        declared = self.spec.param_types(method) if self.spec is not None else {}
        params: Json = {}
        for name, value in raw.items():
            if isinstance(value, UploadedFile):
                params[name] = value
            else:
                params[name] = self._decode(value, declared.get(name), name)
        # Files sent as attach://<name> are parts of the request, not parameters.
        attached = {ref for value in params.values() for ref in _attach_refs(value)}
        for name in attached:
            part = params.get(name)
            if isinstance(part, UploadedFile):
                del params[name]
                for key, value in params.items():
                    if value == f"attach://{name}":
                        params[key] = part
        return params

    def _decode(self, value: str, types: tuple[str, ...] | None, name: str) -> Any:
        if types == ("String",) or (types is None and name in _STRING_PARAMS):
            return value
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if types is None or self.spec is None or self.spec.fits(decoded, types):
            return decoded
        return value if "String" in types else decoded

    def _record_call(self, call: ApiCall) -> None:
        self.calls.append(call)
        self._signal.notify()

    # == Bot API methods =======================================================================

    async def _ok(self, params: Json) -> bool:
        return True

    async def _get_me(self, params: Json) -> Json:
        return {
            **self.bot_user.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Json) -> list[Json]:
        return await self.queue.get_updates(
            offset=params.get("offset"),
            limit=min(max(int(params.get("limit") or 100), 1), 100),
            poll_seconds=max(float(params.get("timeout") or 0), 0.0),
            allowed_updates=params.get("allowed_updates"),
        )

    async def _set_webhook(self, params: Json) -> bool:
        drop = bool(params.get("drop_pending_updates"))
        url = params.get("url", "")
        if not url:
            self.queue.set_webhook(None, drop_pending=drop)
            return True
        checks.check_webhook_url(url)
        checks.check_secret_token(params.get("secret_token"))
        max_connections = params.get("max_connections", 40)
        if not 1 <= max_connections <= 100:
            raise ApiError.bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get("allowed_updates")
        config = WebhookConfig(
            url=url,
            secret_token=params.get("secret_token"),
            max_connections=max_connections,
            allowed_updates=list(allowed) if allowed else None,
            ip_address=params.get("ip_address"),
        )
        self.queue.set_webhook(config, drop_pending=drop)
        return True

    async def _delete_webhook(self, params: Json) -> bool:
        self.queue.set_webhook(None, drop_pending=bool(params.get("drop_pending_updates")))
        return True

    async def _get_webhook_info(self, params: Json) -> Json:
        return self.queue.webhook_info()

    async def _set_my_commands(self, params: Json) -> bool:
        commands = checks.normalize_commands(params["commands"])
        key = self._commands_key(params)
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: Json) -> list[dict[str, str]]:
        return [dict(c) for c in self.commands.get(self._commands_key(params), [])]

    async def _delete_my_commands(self, params: Json) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _commands_key(self, params: Json) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError.bad_request("invalid language code specified")
        if scope.get("type") in ("chat", "chat_administrators", "chat_member"):
            # "@name", "42" and 42 are the same chat, so they must be the same scope
            scope = {**scope, "chat_id": self._resolve_chat(scope.get("chat_id")).id}
        return json.dumps(scope, sort_keys=True), language

    async def _set_chat_menu_button(self, params: Json) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat = self._resolve_chat(chat_id)
            if chat.type != "private":
                raise ApiError.bad_request("menu button can be set only in private chats")
            chat_id = chat.id
        self.menu_buttons[chat_id] = params.get("menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, params: Json) -> Json:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self._resolve_chat(chat_id).id
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        if button is None or button.get("type") == "default":
            return {"type": "commands"}
        return dict(button)

    async def _send_message(self, params: Json) -> Any:
        chat = self._resolve_chat(params["chat_id"])
        parsed = checks.message_text(
            params["text"], params.get("parse_mode"), params.get("entities")
        )
        markup = params.get("reply_markup")
        checks.check_reply_markup(markup)
        reply_to = self._reply_target(chat, params)
        self._account_rate(chat, "sendMessage")
        message = self._add_message(
            chat,
            self.bot_user,
            text=parsed.text,
            html=params["text"],
            parse_mode=params.get("parse_mode"),
            entities=self._resolve_mentions(parsed.entities),
            reply_markup=markup,
            reply_to=reply_to,
        )
        self._event("message", message)
        return _WithWarnings(message.to_api(), parsed.warnings)

    async def _edit_message_text(self, params: Json) -> Any:
        chat, message = self._message_to_edit(params)
        if message.text is None:
            raise ApiError.bad_request("there is no text in the message to edit")
        parsed = checks.message_text(
            params["text"], params.get("parse_mode"), params.get("entities")
        )
        markup = params.get("reply_markup")
        checks.check_reply_markup(markup)
        entities = self._resolve_mentions(parsed.entities)
        if (
            parsed.text == message.text
            and entities == message.entities
            and _inline_part(markup) == _inline_part(message.reply_markup)
        ):
            raise _not_modified()
        self._account_rate(chat, "editMessageText")
        message.history.append(message.snapshot())
        message.text = parsed.text
        message.html = params["text"]
        message.parse_mode = params.get("parse_mode")
        message.entities = entities
        message.reply_markup = markup  # omitting reply_markup removes the keyboard
        message.edit_date = _now()
        self._event("edit", message)
        return _WithWarnings(message.to_api(), parsed.warnings)

    async def _edit_message_reply_markup(self, params: Json) -> Json:
        chat, message = self._message_to_edit(params)
        markup = params.get("reply_markup")
        checks.check_reply_markup(markup)
        if _inline_part(markup) == _inline_part(message.reply_markup):
            raise _not_modified()
        self._account_rate(chat, "editMessageReplyMarkup")
        message.history.append(message.snapshot())
        message.reply_markup = markup
        self._event("edit", message)
        return message.to_api()

    async def _delete_message(self, params: Json) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        message = chat.find(params["message_id"])
        if message is None or message.deleted:
            raise ApiError.bad_request("message to delete not found")
        message.deleted = True
        self._event("delete", message)
        return True

    async def _answer_callback_query(self, params: Json) -> bool:
        query = self.callback_queries.get(params["callback_query_id"])
        if query is None or query.answered:
            raise ApiError.bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        checks.check_callback_answer(text)
        query.answered = True
        query.answer_text = text
        query.show_alert = bool(params.get("show_alert"))
        query.answer_url = params.get("url")
        self._record(
            ChatEvent(
                seq=next(self._seq),
                chat_id=query.message.chat_id,
                kind="answer",
                actor=self.bot_user.first_name,
                from_bot=True,
                message_id=query.message.message_id,
                text=text or "",
                note="alert" if query.show_alert else "",
            )
        )
        return True

    async def _send_chat_action(self, params: Json) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        action = params["action"]
        if action not in checks.CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.id, action))
        self._record(
            ChatEvent(
                seq=next(self._seq),
                chat_id=chat.id,
                kind="action",
                actor=self.bot_user.first_name,
                from_bot=True,
                text=action,
            )
        )
        return True

    async def _send_document(self, params: Json) -> Any:
        chat = self._resolve_chat(params["chat_id"])
        stored = self._input_file(params["document"], "documents")
        caption = checks.caption_text(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        markup = params.get("reply_markup")
        checks.check_reply_markup(markup)
        reply_to = self._reply_target(chat, params)
        self._account_rate(chat, "sendDocument")
        document: Json = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        if stored.size is not None:
            document["file_size"] = stored.size
        message = self._add_message(
            chat,
            self.bot_user,
            document=document,
            reply_markup=markup,
            reply_to=reply_to,
            **_caption_fields(caption, params.get("caption")),
        )
        self._event("message", message, note=f"[document {stored.file_name or stored.file_id}]")
        return _WithWarnings(message.to_api(), caption.warnings if caption else ())

    async def _send_photo(self, params: Json) -> Any:
        chat = self._resolve_chat(params["chat_id"])
        stored = self._input_file(params["photo"], "photos")
        if stored.data is not None:
            size = checks.image_size(stored.data)
            if size is None:
                raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
        else:
            size = (800, 600)  # a URL the emulator doesn't fetch: plausible dimensions
        caption = checks.caption_text(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        markup = params.get("reply_markup")
        checks.check_reply_markup(markup)
        reply_to = self._reply_target(chat, params)
        self._account_rate(chat, "sendPhoto")
        message = self._add_message(
            chat,
            self.bot_user,
            photo=[_photo_size(stored, size)],
            reply_markup=markup,
            reply_to=reply_to,
            **_caption_fields(caption, params.get("caption")),
        )
        self._event("message", message, note="[photo]")
        return _WithWarnings(message.to_api(), caption.warnings if caption else ())

    async def _get_file(self, params: Json) -> Json:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise ApiError.bad_request("invalid file_id")
        return stored.to_api()

    # == helpers: chats, messages, files =======================================================

    def _register_chat(
        self, chat_id: int, kind: ChatType, title: str, username: str | None
    ) -> EmulatedChat:
        if chat_id in self.users:
            raise EmulatorError(f"{chat_id} is a user's private chat")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = EmulatedChat(id=chat_id, type=kind)
            self.chats[chat_id] = chat
        chat.type, chat.title, chat.username = kind, title, username
        return chat

    def _user(self, user_id: int) -> EmulatedUser:
        return self.users.get(user_id) or self.user(user_id)

    def _chat_for(self, user: EmulatedUser, chat_id: int | None) -> EmulatedChat:
        if chat_id is None or chat_id == user.id:
            return self.chats[user.id]
        chat = self.chats.get(chat_id)
        if chat is None or chat.type not in ("group", "supergroup"):
            raise EmulatorError(f"no group {chat_id}; register it with emu.group(...) first")
        return chat

    def _known_chat(self, chat_id: int) -> EmulatedChat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise EmulatorError(f"the emulator knows no chat {chat_id}")
        return chat

    def _existing_message(self, chat: EmulatedChat, message_id: int) -> ChatMessage:
        message = chat.find(message_id)
        if message is None or message.deleted:
            raise EmulatorError(f"chat {chat.id} has no message {message_id}")
        return message

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
        return chat

    def _message_to_edit(self, params: Json) -> tuple[EmulatedChat, ChatMessage]:
        if params.get("inline_message_id"):
            raise ApiError.bad_request("inline messages are not supported by the emulator")
        if "chat_id" not in params or "message_id" not in params:
            raise ApiError.bad_request("message identifier is not specified")
        chat = self._resolve_chat(params["chat_id"])
        message = chat.find(params["message_id"])
        if message is None or message.deleted:
            raise ApiError.bad_request("message to edit not found")
        if not message.from_bot:
            raise ApiError.bad_request("message can't be edited")
        return chat, message

    def _reply_target(self, chat: EmulatedChat, params: Json) -> ChatMessage | None:
        reply = params.get("reply_parameters")
        if not reply:
            return None
        target_chat = self._resolve_chat(reply["chat_id"]) if "chat_id" in reply else chat
        message = target_chat.find(reply.get("message_id", 0))
        if message is None or message.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise ApiError.bad_request("message to be replied not found")
        return message

    def _resolve_mentions(self, entities: list[Entity]) -> list[Entity]:
        """``tg://user?id=N`` links become text_mention with the full User, if known."""
        resolved: list[Entity] = []
        for entity in entities:
            if entity["type"] == "text_mention":
                user = self.users.get(entity["user"]["id"])
                if user is None:
                    continue  # Telegram can't mention a user the bot has never seen
                entity = {**entity, "user": user.to_api()}
            resolved.append(entity)
        return resolved

    def _add_message(
        self, chat: EmulatedChat, sender: EmulatedUser | None, **fields: Any
    ) -> ChatMessage:
        message = ChatMessage(
            message_id=chat.next_message_id,
            chat=chat,
            sender=sender,
            date=_now(),
            seq=next(self._seq),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages.append(message)
        return message

    def _visible_to_bot(self, message: ChatMessage) -> bool:
        if not self.privacy_mode:
            return True
        text = message.text or ""
        mention = f"@{self.bot_user.username}".lower()
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        if text.startswith("/"):  # a command, unless it is addressed to another bot
            command = text.split(maxsplit=1)[0]
            return "@" not in command or command.lower().endswith(mention)
        return mention in text.lower()

    def _input_file(self, value: Any, folder: str) -> StoredFile:
        """An InputFile parameter: fresh upload, known file_id, or HTTP URL."""
        if isinstance(value, UploadedFile):
            if not value.data:
                raise ApiError.bad_request("file must be non-empty")
            suffix = "." + value.filename.rsplit(".", 1)[-1] if "." in value.filename else ""
            return self._store_file(
                value.data, folder, suffix, value.filename, value.content_type or None
            )
        if isinstance(value, str):
            if value in self.files:
                return self.files[value]
            if re.match(r"^https?://", value, re.IGNORECASE):
                name = value.rstrip("/").rsplit("/", 1)[-1] or None
                stored = self._store_file(None, folder, "", name, None)
                stored.source_url = value
                return stored
        raise ApiError.bad_request("wrong file identifier/HTTP URL specified")

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

    # == helpers: updates, delivery, events ====================================================

    def _new_update(self, kind: str, payload: Json, deliver: bool | None) -> Json:
        update: Json = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        if self.deliver if deliver is None else deliver:
            self.queue.put(update)
        return update

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

    def _account_rate(self, chat: EmulatedChat, method: str) -> None:
        """Telegram's flood limits: ~1 msg/s per chat, 20/min per group, 30/s overall."""
        calls, retry_after = self._throttled.get(chat.id, (0, 0))
        if calls:
            self._throttled[chat.id] = (calls - 1, retry_after)
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        now = _clock()
        per_chat = self._chat_sends.setdefault(chat.id, deque())
        rules: list[tuple[RateScope, deque[float], float, int]] = [
            ("chat", per_chat, 3.0, 3) if chat.type == "private" else ("group", per_chat, 60.0, 20),
            ("global", self._global_sends, 1.0, 30),
        ]
        for scope, sent, window, limit in rules:
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) + 1 > limit:
                self.rate_warnings.append(
                    RateWarning(
                        scope=scope,
                        chat_id=None if scope == "global" else chat.id,
                        count=len(sent) + 1,
                        window=window,
                        limit=limit,
                        method=method,
                    )
                )
                if self.enforce_rate_limits:
                    retry_after = max(1, math.ceil(sent[0] + window - now))
                    raise ApiError(
                        429,
                        f"Too Many Requests: retry after {retry_after}",
                        {"retry_after": retry_after},
                    )
        per_chat.append(now)
        self._global_sends.append(now)


class InjectedError(ApiError):
    """An error answer a test asked for with `inject`, not one the bot provoked."""


@dataclass
class Fault:
    """One stretch of Telegram trouble armed by `BotApiEmulator.inject`; `hits` counts the
    calls it struck, `first_hit`/`last_hit` say when (monotonic seconds), for the figures
    a test reports (e.g. how long the bot took to recover after the last one)."""

    method: str | None
    status: int | Literal["timeout"]
    count: int | None
    until: float | None
    retry_after: int = 1
    hold: float = 30.0
    hits: int = 0
    first_hit: float | None = None
    last_hit: float | None = None
    ended: bool = False

    def end(self) -> None:
        """Telegram is well again (for this fault)."""
        self.ended = True

    def armed(self, now: float) -> bool:
        if self.ended or (self.until is not None and now >= self.until):
            return False
        return self.count is None or self.hits < self.count

    async def strike(self) -> None:
        """Fail the call at hand: raise its error, or hold it (then let it through)."""
        self.hits += 1
        self.last_hit = _clock()
        if self.first_hit is None:
            self.first_hit = self.last_hit
        if self.status == "timeout":
            await asyncio.sleep(self.hold)  # cancelled when the client hangs up
            return
        if self.status == 429:
            raise InjectedError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        if self.status == 500:
            raise InjectedError(500, "Internal Server Error")
        raise InjectedError(self.status, f"Error {self.status} (injected)")


@dataclass(frozen=True)
class _WithWarnings:
    """A handler result plus notes for the recorded call (e.g. a literal ``&nbsp;``)."""

    value: Any
    warnings: tuple[str, ...]


def _not_modified() -> ApiError:
    return ApiError.bad_request(
        "message is not modified: specified new message content and reply markup are "
        "exactly the same as a current content and reply markup of the message"
    )


def _inline_part(markup: Json | None) -> list[Any] | None:
    if not markup or "inline_keyboard" not in markup:
        return None
    return markup["inline_keyboard"] or None


def _caption_fields(caption: ParsedText | None, raw: str | None) -> Json:
    if caption is None:
        return {}
    return {"caption": caption.text, "caption_entities": caption.entities, "html": raw}


def _photo_size(stored: StoredFile, size: tuple[int, int]) -> Json:
    photo: Json = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": size[0],
        "height": size[1],
    }
    if stored.size is not None:
        photo["file_size"] = stored.size
    return photo


def _attach_refs(value: Any) -> Iterable[str]:
    if isinstance(value, str) and value.startswith("attach://"):
        yield value[len("attach://") :]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _attach_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _attach_refs(item)


def _is_int(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+", text))


def _now() -> int:
    return int(time.time())


def _clock() -> float:
    return time.monotonic()
