"""The Bot API methods that change a chat: send, edit and delete messages, answer presses.

Each method checks its call the way Telegram does before it changes anything (text and
entities via ``checks``, the reply markup, the message to edit or reply to, flood limits),
and refuses with Telegram's own wording, so that a test fails here for the reason
production would. Messages and files the bot sends are stored in the chats the users
facet writes to, and every change is recorded as a chat event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.emulator import checks
from bot.emulator.core import EmulatorCore, now, photo_size
from bot.emulator.spec import UploadedFile
from bot.emulator.state import ApiError, ChatEvent, ChatMessage, EmulatedChat, Json, StoredFile
from bot.telegram_html import Entity, ParsedText


class ChatMethods(EmulatorCore):
    """sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage,
    answerCallbackQuery, sendChatAction, sendDocument, sendPhoto and getFile. Flood limits
    come from the rate-limits facet (``_account_rate``)."""

    async def _send_message(self, params: Json) -> Any:
        chat = self._resolve_chat(params["chat_id"])
        parsed = checks.message_text(
            params["text"], params.get("parse_mode"), params.get("entities")
        )
        markup = params.get("reply_markup")
        checks.check_reply_markup(markup)
        reply_to, thread = self._placement(chat, params)
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
            thread=thread,
        )
        self._event("message", message)
        return WithWarnings(message.to_api(), parsed.warnings)

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
        message.edit_date = now()
        self._event("edit", message)
        return WithWarnings(message.to_api(), parsed.warnings)

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
        self._thread_for(chat, params.get("message_thread_id"))
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
        reply_to, thread = self._placement(chat, params)
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
            thread=thread,
            **_caption_fields(caption, params.get("caption")),
        )
        self._event("message", message, note=f"[document {stored.file_name or stored.file_id}]")
        return WithWarnings(message.to_api(), caption.warnings if caption else ())

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
        reply_to, thread = self._placement(chat, params)
        self._account_rate(chat, "sendPhoto")
        message = self._add_message(
            chat,
            self.bot_user,
            photo=[photo_size(stored, size)],
            reply_markup=markup,
            reply_to=reply_to,
            thread=thread,
            **_caption_fields(caption, params.get("caption")),
        )
        self._event("message", message, note="[photo]")
        return WithWarnings(message.to_api(), caption.warnings if caption else ())

    async def _copy_message(self, params: Json) -> Any:
        chat = self._resolve_chat(params["chat_id"])
        source = self._resolve_chat(params["from_chat_id"])
        original = source.find(params["message_id"])
        if original is None or original.deleted:
            raise ApiError.bad_request("message to copy not found")
        if original.service is not None or original.poll is not None:
            raise ApiError.bad_request("message can't be copied")
        markup = params.get("reply_markup")
        checks.check_reply_markup(markup)
        reply_to, thread = self._placement(chat, params)
        fields: Json = {
            "document": original.document,
            "photo": original.photo,
            "sticker": original.sticker,
        }
        warnings: tuple[str, ...] = ()
        if original.text is not None:
            fields.update(
                text=original.text,
                html=original.html,
                parse_mode=original.parse_mode,
                entities=list(original.entities),
            )
        elif "caption" in params:
            caption = checks.caption_text(
                params["caption"], params.get("parse_mode"), params.get("caption_entities")
            )
            fields.update(_caption_fields(caption, params["caption"]))
            warnings = caption.warnings if caption else ()
        else:
            fields.update(
                caption=original.caption, caption_entities=list(original.caption_entities)
            )
        self._account_rate(chat, "copyMessage")
        message = self._add_message(
            chat, self.bot_user, reply_markup=markup, reply_to=reply_to, thread=thread, **fields
        )
        self._event("message", message, note=_media_note(message))
        return WithWarnings({"message_id": message.message_id}, warnings)

    async def _get_file(self, params: Json) -> Json:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise ApiError.bad_request("invalid file_id")
        return stored.to_api()

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

    def _placement(self, chat: EmulatedChat, params: Json) -> tuple[ChatMessage | None, int | None]:
        """The message replied to and the topic: a reply without ``message_thread_id``
        lands in the topic of the message it answers, as in Telegram."""
        thread = self._thread_for(chat, params.get("message_thread_id"))
        reply_to = self._reply_target(chat, params)
        if thread is None and reply_to is not None and reply_to.chat is chat:
            thread = self._thread_for(chat, reply_to.thread)
        return reply_to, thread

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


@dataclass(frozen=True)
class WithWarnings:
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


def _media_note(message: ChatMessage) -> str:
    if message.photo is not None:
        return "[photo]"
    if message.document is not None:
        return f"[document {message.document.get('file_name') or message.document['file_id']}]"
    if message.sticker is not None:
        return f"[sticker {message.sticker.get('emoji', '')}]"
    return ""


def _caption_fields(caption: ParsedText | None, raw: str | None) -> Json:
    if caption is None:
        return {}
    return {"caption": caption.text, "caption_entities": caption.entities, "html": raw}
