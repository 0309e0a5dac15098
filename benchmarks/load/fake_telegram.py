"""A minimal, fast fake Telegram Bot API and a fake OpenAI-compatible model, in one process.

Not `bot.emulator` (which checks every call against the Bot API spec and keeps whole chat
histories, and is too slow to stand in for Telegram under load). This one answers the
methods a bot uses with plausible `{"ok": true, "result": ...}` JSON: Message objects with
per-chat increasing (even) message ids, the chat, date, text (HTML tags stripped, as
Telegram does) and inline keyboard. It imposes no flood limit.

Every message the bot sends or edits, every callback answer and every chat request to the
model is reported as one JSON line to whoever is connected to the event socket (a Unix
socket; the load generator), stamped with `time.monotonic()` (CLOCK_MONOTONIC: comparable
between processes on one Linux machine):

    {"k": "m", "at": t, "m": "sendMessage", "msg": {...the Message returned...}}
    {"k": "a", "at": t, "q": "<callback_query_id>"}
    {"k": "d", "at": t, "c": chat_id, "i": message_id}            (deleteMessage)
    {"k": "model", "at": t, "tag": "q17"}                         (the question's tag)
    {"k": "model_end", "at": t, "tag": "q17"}

The model (`POST /v1/chat/completions`) waits `model_ms`, then streams a short answer that
cites passage [1]. `GET /_stats` returns the calls per method and the webhook URL set.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import logging
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from aiohttp import web

Json = dict[str, Any]

BOT_ID = 123456
BOT_USER: Json = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Load Bot",
    "username": "load_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
REPLY = (
    "According to the course material [1], a model learns its rules from labelled "
    "examples instead of having them written by hand. Which features would you pick?"
)
_TAGS = re.compile(r"<[^>]+>")
_QUESTION_TAG = re.compile(r"\(#(q\d+)\)")
_SENDS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})


@dataclass(frozen=True)
class Config:
    event_socket: str
    model_ms: float = 500.0
    host: str = "127.0.0.1"


class FakeTelegram:
    def __init__(self, config: Config) -> None:
        self._config = config
        self._next_id: dict[int, int] = {}  # chat -> last bot message id (even numbers)
        self._texts: dict[tuple[int, int], str | None] = {}
        self._subscriber: asyncio.StreamWriter | None = None
        self._files = itertools.count(1)
        self.calls: Counter[str] = Counter()
        self.webhook = ""
        self._methods = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "setMyCommands": _true,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup,
            "answerCallbackQuery": self._answer_callback,
            "sendChatAction": _true,
            "sendDocument": self._send_file,
            "sendPhoto": self._send_file,
            "deleteMessage": self._delete,
        }
        self._lower = {name.lower(): name for name in self._methods}

    # -- the app ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._api)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/_stats", self._stats)
        return app

    async def subscribe(self, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The event socket: the newest connection gets every event from now on."""
        if self._subscriber is not None:
            self._subscriber.close()
        self._subscriber = writer

    def _emit(self, event: Json) -> None:
        writer = self._subscriber
        if writer is None or writer.is_closing():
            return
        writer.write(json.dumps(event, ensure_ascii=False).encode() + b"\n")

    # -- Bot API ---------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        name = self._lower.get(request.match_info["method"].lower())
        self.calls[name or "unknown"] += 1
        if name is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            return web.json_response(body, status=404)
        params = await _params(request)
        try:
            result = await self._methods[name](params, name)
        except (KeyError, ValueError) as exc:
            self.calls["bad_request"] += 1
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
            return web.json_response(body, status=400)
        return web.json_response({"ok": True, "result": result})

    async def _get_me(self, _: Json, __: str) -> Json:
        return BOT_USER

    async def _set_webhook(self, params: Json, _: str) -> bool:
        self.webhook = str(params.get("url", ""))
        return True

    async def _delete_webhook(self, _: Json, __: str) -> bool:
        self.webhook = ""
        return True

    async def _webhook_info(self, _: Json, __: str) -> Json:
        return {"url": self.webhook, "has_custom_certificate": False, "pending_update_count": 0}

    async def _send_message(self, params: Json, method: str) -> Json:
        chat = int(params["chat_id"])
        text = _plain(str(params["text"]), params.get("parse_mode"))
        message = self._message(chat, self._new_id(chat), text, params.get("reply_markup"))
        self._emit({"k": "m", "at": time.monotonic(), "m": method, "msg": message})
        return message

    async def _edit_text(self, params: Json, method: str) -> Json | bool:
        if "inline_message_id" in params:
            return True
        chat, message_id = int(params["chat_id"]), int(params["message_id"])
        text = _plain(str(params["text"]), params.get("parse_mode"))
        message = self._message(chat, message_id, text, params.get("reply_markup"), edited=True)
        self._emit({"k": "m", "at": time.monotonic(), "m": method, "msg": message})
        return message

    async def _edit_markup(self, params: Json, method: str) -> Json | bool:
        if "inline_message_id" in params:
            return True
        chat, message_id = int(params["chat_id"]), int(params["message_id"])
        text = self._texts.get((chat, message_id), "")
        message = self._message(chat, message_id, text, params.get("reply_markup"), edited=True)
        self._emit({"k": "m", "at": time.monotonic(), "m": method, "msg": message})
        return message

    async def _answer_callback(self, params: Json, _: str) -> bool:
        event = {"k": "a", "at": time.monotonic(), "q": str(params["callback_query_id"])}
        if params.get("text"):
            event["t"] = str(params["text"])
            event["alert"] = str(params.get("show_alert", "")).lower() == "true"
        self._emit(event)
        return True

    async def _send_file(self, params: Json, method: str) -> Json:
        chat = int(params["chat_id"])
        number = next(self._files)
        caption = params.get("caption")
        message = self._message(chat, self._new_id(chat), None, params.get("reply_markup"))
        ids = {"file_id": f"file{number}", "file_unique_id": f"u{number}", "file_size": 1}
        if method == "sendPhoto":
            message["photo"] = [{**ids, "width": 1, "height": 1}]
        else:
            message["document"] = {**ids, "file_name": f"file{number}"}
        if caption is not None:
            message["caption"] = _plain(str(caption), params.get("parse_mode"))
        self._emit({"k": "m", "at": time.monotonic(), "m": method, "msg": message})
        return message

    async def _delete(self, params: Json, _: str) -> bool:
        chat, message_id = int(params["chat_id"]), int(params["message_id"])
        self._texts.pop((chat, message_id), None)
        self._emit({"k": "d", "at": time.monotonic(), "c": chat, "i": message_id})
        return True

    def _new_id(self, chat: int) -> int:
        """Bot messages get even ids, so the learners' own messages can take the odd ones."""
        message_id = self._next_id.get(chat, 0) + 2
        self._next_id[chat] = message_id
        return message_id

    def _message(
        self, chat: int, message_id: int, text: str | None, markup: Any, *, edited: bool = False
    ) -> Json:
        now = int(time.time())
        message: Json = {
            "message_id": message_id,
            "from": BOT_USER,
            "chat": {"id": chat, "type": "private", "first_name": "Learner"},
            "date": now,
        }
        if edited:
            message["edit_date"] = now
        if text is not None:
            message["text"] = text
        self._texts[(chat, message_id)] = text
        if isinstance(markup, str):
            markup = json.loads(markup)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        return message

    async def _stats(self, _: web.Request) -> web.Response:
        return web.json_response({"calls": dict(self.calls), "webhook": self.webhook})

    # -- the model -------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.calls["model"] += 1
        tag = _question_tag(body)
        self._emit({"k": "model", "at": time.monotonic(), "tag": tag})
        await asyncio.sleep(self._config.model_ms / 1000)
        created = int(time.time())
        base = {"id": f"chatcmpl-{time.monotonic_ns()}", "created": created, "model": body["model"]}
        prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
        usage = {
            "prompt_tokens": max(prompt, 1),
            "completion_tokens": len(REPLY) // 4,
            "total_tokens": max(prompt, 1) + len(REPLY) // 4,
        }
        if not body.get("stream"):
            self._emit({"k": "model_end", "at": time.monotonic(), "tag": tag})
            message = {"role": "assistant", "content": REPLY, "refusal": None}
            choice = {"index": 0, "finish_reason": "stop", "logprobs": None, "message": message}
            return web.json_response(
                {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunk = {**base, "object": "chat.completion.chunk"}

        def event(choices: list[Json], usage_value: Json | None = None) -> bytes:
            data = {**chunk, "choices": choices, "usage": usage_value}
            return f"data: {json.dumps(data)}\n\n".encode()

        def delta(content: Json, finish: str | None = None) -> Json:
            return {"index": 0, "delta": content, "logprobs": None, "finish_reason": finish}

        parts = [event([delta({"role": "assistant", "content": ""})])]
        third = len(REPLY) // 3 + 1
        parts += [
            event([delta({"content": REPLY[i : i + third]})]) for i in range(0, len(REPLY), third)
        ]
        parts.append(event([delta({}, "stop")]))
        if (body.get("stream_options") or {}).get("include_usage"):
            parts.append(event([], usage))
        parts.append(b"data: [DONE]\n\n")
        await response.write(b"".join(parts))
        await response.write_eof()
        self._emit({"k": "model_end", "at": time.monotonic(), "tag": tag})
        return response


async def _true(_: Json, __: str) -> bool:
    return True


async def _params(request: web.Request) -> Json:
    if request.content_type == "application/json":
        return await request.json()
    if not request.can_read_body:
        return {}
    form = await request.post()
    return {key: form[key] for key in form}


def _plain(text: str, parse_mode: object) -> str:
    """What Telegram shows (and returns) for HTML text: the tags become entities."""
    if parse_mode == "HTML":
        return html.unescape(_TAGS.sub("", text))
    return text


def _question_tag(body: Json) -> str | None:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            found = _QUESTION_TAG.search(str(message.get("content", "")))
            return found.group(1) if found else None
    return None


# -- process entry -----------------------------------------------------------------------------


def serve(config: Config, conn: Connection) -> None:
    """multiprocessing target: sends its base URL over `conn`, then serves until told to stop
    (any message on `conn`) or terminated."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness stops us, not Ctrl-C
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve(config, conn))


async def _serve(config: Config, conn: Connection) -> None:
    fake = FakeTelegram(config)
    runner = web.AppRunner(fake.app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, config.host, 0, backlog=1024)
    await site.start()
    events = await asyncio.start_unix_server(fake.subscribe, path=config.event_socket)
    port = runner.addresses[0][1]
    conn.send(f"http://{config.host}:{port}")
    try:
        await asyncio.to_thread(conn.recv)
    except EOFError:
        pass
    finally:
        events.close()
        await runner.cleanup()
