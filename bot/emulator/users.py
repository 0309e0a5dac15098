"""The people on the other side: users who write, send files, edit and press buttons.

Each action adds what the user did to the chat (as the Telegram app would show it) and
makes an Update shaped exactly like Telegram's, which is queued for getUpdates or the
webhook, or only returned (``deliver=False``) to a test that feeds
``Application.process_update`` itself. A user can only do what a Telegram app lets them:
press a button that is on screen, send text an app can send (``checks.users_text``). In
a group with privacy mode the bot does not get messages that aren't meant for it.

These methods are synchronous and must be called from the thread of the event loop the
emulator was started on.
"""

from __future__ import annotations

from bot.emulator import checks
from bot.emulator.core import EmulatorCore, now, photo_size
from bot.emulator.state import (
    CallbackQuery,
    ChatEvent,
    ChatMessage,
    ChatType,
    EmulatedChat,
    EmulatedUser,
    EmulatorError,
    Json,
)

# A 1x1 transparent PNG, used when a test sends a photo without giving bytes.
_TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class SimulatedUsers(EmulatorCore):
    """Registering people, groups and channels, and acting as them."""

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
        forum: bool = False,
        bot_admin: bool = False,
        can_manage_topics: bool = True,
        can_delete_messages: bool = True,
    ) -> EmulatedChat:
        """Register a group the bot is a member of (group ids are negative in Telegram).

        ``forum``: a supergroup with topics. ``bot_admin``: the bot is an administrator,
        with the given rights; it then gets every message, privacy mode or not.
        """
        if forum and not supergroup:
            raise EmulatorError("only supergroups can be forums")
        kind: ChatType = "supergroup" if supergroup else "group"
        chat = self._register_chat(chat_id, kind, title, username)
        chat.is_forum = forum
        chat.bot_status = "administrator" if bot_admin else "member"
        chat.bot_rights = (
            {
                "can_manage_topics": can_manage_topics and forum,
                "can_delete_messages": can_delete_messages,
            }
            if bot_admin
            else {}
        )
        return chat

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
        thread: int | None = None,
        reply_to: int | None = None,
        deliver: bool | None = None,
    ) -> Json | None:
        """The user writes ``text``; returns the ``message`` Update.

        Telegram marks ``/command``, ``/start payload`` and ``/cmd@bot`` with a
        ``bot_command`` entity (plus mentions, hashtags, URLs). In a group with
        ``privacy_mode`` a message that isn't for the bot is stored in the chat but not
        delivered, and None is returned. ``thread``: the forum topic written in (a reply
        goes to the topic of the message it answers).
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
            thread=self._users_thread(target, user, thread, reply_message),
        )
        self._event("message", message)
        return self._group_update(message, deliver)

    def send_photo(
        self,
        user_id: int,
        data: bytes | None = None,
        *,
        caption: str | None = None,
        chat: int | None = None,
        thread: int | None = None,
        deliver: bool | None = None,
    ) -> Json | None:
        """The user sends a photo (a 1x1 PNG unless ``data`` is given); None when privacy
        mode keeps it from the bot."""
        if caption is not None:
            checks.users_text(caption, caption=True)
        user = self._user(user_id)
        target = self._chat_for(user, chat)
        message = self._add_photo(target, user, data, caption, thread, None)
        return self._group_update(message, deliver)

    def send_media_group(
        self,
        user_id: int,
        photos: list[bytes] | int,
        *,
        caption: str | None = None,
        chat: int | None = None,
        thread: int | None = None,
        deliver: bool | None = None,
    ) -> list[Json]:
        """The user sends an album of 2-10 photos (given, or that many 1x1 PNGs).

        Telegram delivers an album as one ``message`` update per photo, sharing a
        ``media_group_id``; the caption travels on the first. Returns the updates the bot
        gets (none when privacy mode keeps the album from it).
        """
        contents: list[bytes | None] = [None] * photos if isinstance(photos, int) else list(photos)
        if not 2 <= len(contents) <= 10:
            raise EmulatorError("a Telegram album holds 2-10 items")
        if caption is not None:
            checks.users_text(caption, caption=True)
        user = self._user(user_id)
        target = self._chat_for(user, chat)
        group_id = str(13_000_000_000_000_000 + next(self._seq))
        updates: list[Json] = []
        for index, content in enumerate(contents):
            message = self._add_photo(
                target, user, content, caption if index == 0 else None, thread, group_id
            )
            update = self._group_update(message, deliver)
            if update is not None:
                updates.append(update)
        return updates

    def _add_photo(
        self,
        target: EmulatedChat,
        user: EmulatedUser,
        data: bytes | None,
        caption: str | None,
        thread: int | None,
        media_group_id: str | None,
    ) -> ChatMessage:
        content = data if data is not None else _TINY_PNG
        size = checks.image_size(content) or (0, 0)
        stored = self._store_file(content, "photos", ".jpg", None, "image/jpeg")
        fields: Json = {"photo": [photo_size(stored, size)], "media_group_id": media_group_id}
        if caption is not None:
            fields.update(caption=caption, caption_entities=checks.detect_entities(caption))
        message = self._add_message(
            target, user, thread=self._users_thread(target, user, thread, None), **fields
        )
        self._event("message", message, note="[photo]")
        return message

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
        message.edit_date = now()
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

    def _group_update(self, message: ChatMessage, deliver: bool | None) -> Json | None:
        if message.chat.type in ("group", "supergroup") and not self._visible_to_bot(message):
            return None
        return self._new_update("message", message.to_api(), deliver)

    def _users_thread(
        self,
        chat: EmulatedChat,
        user: EmulatedUser,
        thread: int | None,
        reply_to: ChatMessage | None,
    ) -> int | None:
        """The topic a user's message goes to, if an app would let them post there."""
        if thread is None and reply_to is not None:
            thread = reply_to.thread
        if thread is None:
            return None
        topic = chat.topic(thread)
        if topic is None:
            raise EmulatorError(f"chat {chat.id} has no forum topic {thread}")
        if topic.closed and chat.members.get(user.id) not in ("administrator", "creator"):
            raise EmulatorError(f"topic {thread} is closed: only administrators can write in it")
        return thread

    def _user(self, user_id: int) -> EmulatedUser:
        return self.users.get(user_id) or self.user(user_id)

    def _chat_for(self, user: EmulatedUser, chat_id: int | None) -> EmulatedChat:
        if chat_id is None or chat_id == user.id:
            return self.chats[user.id]
        chat = self.chats.get(chat_id)
        if chat is None or chat.type not in ("group", "supergroup"):
            raise EmulatorError(f"no group {chat_id}; register it with emu.group(...) first")
        status = chat.members.setdefault(user.id, "member")
        if status in ("left", "kicked"):
            raise EmulatorError(f"user {user.id} is not a member of chat {chat_id} ({status})")
        return chat

    def _existing_message(self, chat: EmulatedChat, message_id: int) -> ChatMessage:
        message = chat.find(message_id)
        if message is None or message.deleted:
            raise EmulatorError(f"chat {chat.id} has no message {message_id}")
        return message

    def _visible_to_bot(self, message: ChatMessage) -> bool:
        if message.chat.bot_status in ("left", "kicked"):
            return False
        if not self.privacy_mode or message.chat.bot_is_admin:
            return True
        text = message.text or ""
        mention = f"@{self.bot_user.username}".lower()
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        if text.startswith("/"):  # a command, unless it is addressed to another bot
            command = text.split(maxsplit=1)[0]
            return "@" not in command or command.lower().endswith(mention)
        return mention in text.lower()

    def _new_update(self, kind: str, payload: Json, deliver: bool | None) -> Json:
        update: Json = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        if self.deliver if deliver is None else deliver:
            self.queue.put(update)
        return update
