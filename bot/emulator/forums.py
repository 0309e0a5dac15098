"""Supergroups with forum topics, and the bot's membership of groups.

Tutors answer learners' questions in a staff supergroup, one forum topic per request, so
the emulator keeps what Telegram keeps there: who is a member with which status (the bot
included, with its administrator rights), the topics and whether they are closed, and
which messages are in which topic. The bot's rights decide what it may do, with
Telegram's refusals; removing the bot delivers ``my_chat_member`` and makes every later
call about the chat fail with 403, as in production. ``topic``/``topics`` are the views
tests read.
"""

from __future__ import annotations

from typing import Any

from bot.emulator.core import now
from bot.emulator.methods import ChatMethods
from bot.emulator.state import (
    ApiError,
    ChatMessage,
    EmulatedChat,
    EmulatedUser,
    EmulatorError,
    ForumTopic,
    Json,
    MemberStatus,
)
from bot.emulator.users import SimulatedUsers

TOPIC_ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
MAX_TOPIC_NAME = 128
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)


class Forums(SimulatedUsers, ChatMethods):
    """getChat, getChatMember(s), the forum topic methods, and group membership."""

    # -- what tests do: membership -----------------------------------------------------

    def join(self, chat_id: int, user_id: int, status: MemberStatus = "member") -> None:
        """The user is in the group with ``status`` (administrators may write in closed
        topics and are listed by getChatAdministrators)."""
        chat = self._group_chat(chat_id)
        self._user(user_id)
        chat.members[user_id] = status

    def remove_bot(
        self,
        chat_id: int,
        *,
        kicked_by: int | None = None,
        left: bool = False,
        deliver: bool | None = None,
    ) -> Json:
        """An admin removes the bot (``kicked``), or the bot is gone with ``left=True``;
        returns the ``my_chat_member`` update Telegram sends."""
        return self._change_bot_status(chat_id, "left" if left else "kicked", kicked_by, deliver)

    def promote_bot(
        self,
        chat_id: int,
        *,
        by: int | None = None,
        can_manage_topics: bool = True,
        can_delete_messages: bool = True,
        deliver: bool | None = None,
    ) -> Json:
        """The bot becomes an administrator with these rights (``my_chat_member``)."""
        chat = self._group_chat(chat_id)
        update = self._change_bot_status(
            chat_id,
            "administrator",
            by,
            deliver,
            rights={
                "can_manage_topics": can_manage_topics and chat.is_forum,
                "can_delete_messages": can_delete_messages,
            },
        )
        return update

    def demote_bot(
        self, chat_id: int, *, by: int | None = None, deliver: bool | None = None
    ) -> Json:
        """The bot is an ordinary member again (``my_chat_member``)."""
        return self._change_bot_status(chat_id, "member", by, deliver)

    def create_topic(
        self,
        user_id: int,
        chat_id: int,
        name: str,
        icon_color: int = 7322096,
        *,
        deliver: bool | None = None,
    ) -> int:
        """A member with the right opens a topic in the app; returns its message_thread_id.
        The bot gets the ``forum_topic_created`` message like any service message."""
        chat = self._group_chat(chat_id)
        user = self._user(user_id)
        if not chat.is_forum:
            raise EmulatorError(f"chat {chat_id} is not a forum")
        message = self._open_topic(chat, user, name, icon_color, None)
        self._new_update("message", message.to_api(), deliver)
        return message.message_id

    # -- what tests read ---------------------------------------------------------------

    def topics(self, chat_id: int) -> list[ForumTopic]:
        """The chat's forum topics that still exist, oldest first."""
        chat = self._group_chat(chat_id)
        return [topic for topic in chat.topics.values() if not topic.deleted]

    def topic(self, chat_id: int, thread_id: int) -> list[ChatMessage]:
        """The messages of one topic, oldest first (its creation message included)."""
        chat = self._group_chat(chat_id)
        if thread_id not in chat.topics:
            raise EmulatorError(f"chat {chat_id} has no forum topic {thread_id}")
        return [message for message in chat.messages if message.thread == thread_id]

    # -- the Bot API methods -----------------------------------------------------------

    async def _get_chat(self, params: Json) -> Json:
        chat = self._resolve_chat(params["chat_id"])
        return {
            **chat.to_api(),
            "accent_color_id": abs(chat.id) % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: Json) -> Json:
        chat = self._resolve_chat(params["chat_id"])
        user_id = int(params["user_id"])
        if user_id == self.bot_user.id:
            return self._bot_member(chat)
        user = self.users.get(user_id)
        if user is None:
            raise ApiError.bad_request("user not found")
        if chat.type == "private":
            return _member(user, "member" if chat.id == user_id else "left")
        return _member(user, chat.members.get(user_id, "left"))

    async def _get_chat_administrators(self, params: Json) -> list[Json]:
        chat = self._resolve_chat(params["chat_id"])
        if chat.type == "private":
            raise ApiError.bad_request("there are no administrators in the private chat")
        admins = [
            _member(self.users[user_id], status)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator") and user_id in self.users
        ]
        if chat.bot_is_admin:
            admins.append(self._bot_member(chat))
        return admins

    async def _create_forum_topic(self, params: Json) -> Json:
        chat = self._forum(params)
        if not chat.bot_can("can_manage_topics"):
            raise ApiError.bad_request("not enough rights to create a topic")
        name = params["name"]
        if not 1 <= len(name) <= MAX_TOPIC_NAME:
            raise ApiError.bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
        color = params.get("icon_color", TOPIC_ICON_COLORS[0])
        if color not in TOPIC_ICON_COLORS:
            raise ApiError.bad_request("TOPIC_ICON_COLOR_INVALID")
        message = self._open_topic(
            chat, self.bot_user, name, color, params.get("icon_custom_emoji_id")
        )
        return chat.topics[message.message_id].to_api()

    async def _edit_forum_topic(self, params: Json) -> bool:
        chat, topic = self._topic_to_manage(params)
        name = params.get("name") or None
        emoji = params.get("icon_custom_emoji_id")
        if name is not None and len(name) > MAX_TOPIC_NAME:
            raise ApiError.bad_request("TOPIC_TITLE_TOO_LONG")
        edited: Json = {}
        if name is not None and name != topic.name:
            topic.name = edited["name"] = name
        if emoji is not None and emoji != (topic.icon_custom_emoji_id or ""):
            topic.icon_custom_emoji_id = emoji or None
            edited["icon_custom_emoji_id"] = emoji
        if not edited:
            raise ApiError.bad_request("TOPIC_NOT_MODIFIED")
        self._topic_service(chat, topic, {"forum_topic_edited": edited}, "edited the topic")
        return True

    async def _close_forum_topic(self, params: Json) -> bool:
        return self._set_closed(params, closed=True)

    async def _reopen_forum_topic(self, params: Json) -> bool:
        return self._set_closed(params, closed=False)

    async def _delete_forum_topic(self, params: Json) -> bool:
        chat = self._forum(params)
        topic = self._existing_topic(chat, params["message_thread_id"])
        if not chat.bot_can("can_delete_messages"):
            raise ApiError.bad_request("not enough rights to delete a topic")
        topic.deleted = True
        for message in chat.messages:
            if message.thread == topic.message_thread_id and not message.deleted:
                message.deleted = True
                self._event("delete", message)
        return True

    # -- shared ------------------------------------------------------------------------

    def _set_closed(self, params: Json, *, closed: bool) -> bool:
        chat, topic = self._topic_to_manage(params)
        if topic.closed == closed:
            raise ApiError.bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = closed
        kind = "forum_topic_closed" if closed else "forum_topic_reopened"
        self._topic_service(
            chat, topic, {kind: {}}, "closed the topic" if closed else "reopened the topic"
        )
        return True

    def _forum(self, params: Json) -> EmulatedChat:
        chat = self._resolve_chat(params["chat_id"])
        if not chat.is_forum:
            raise ApiError.bad_request("the chat is not a forum")
        return chat

    def _existing_topic(self, chat: EmulatedChat, thread_id: Any) -> ForumTopic:
        topic = chat.topic(int(thread_id))
        if topic is None:
            raise ApiError.bad_request("message thread not found")
        return topic

    def _topic_to_manage(self, params: Json) -> tuple[EmulatedChat, ForumTopic]:
        """The bot may manage a topic it created, or any with ``can_manage_topics``."""
        chat = self._forum(params)
        topic = self._existing_topic(chat, params["message_thread_id"])
        if not chat.bot_can("can_manage_topics") and not (
            chat.bot_is_admin and topic.creator_id == self.bot_user.id
        ):
            raise ApiError.bad_request("not enough rights to manage the topic")
        return chat, topic

    def _open_topic(
        self,
        chat: EmulatedChat,
        creator: EmulatedUser,
        name: str,
        color: int,
        emoji: str | None,
    ) -> ChatMessage:
        created: Json = {"name": name, "icon_color": color}
        if emoji:
            created["icon_custom_emoji_id"] = emoji
        thread_id = chat.next_message_id
        chat.topics[thread_id] = ForumTopic(
            message_thread_id=thread_id,
            name=name,
            icon_color=color,
            creator_id=creator.id,
            icon_custom_emoji_id=emoji or None,
        )
        message = self._add_message(
            chat, creator, thread=thread_id, service={"forum_topic_created": created}
        )
        self._event("message", message, note=f"[created topic {name!r}]")
        return message

    def _topic_service(
        self, chat: EmulatedChat, topic: ForumTopic, service: Json, note: str
    ) -> None:
        message = self._add_message(
            chat, self.bot_user, thread=topic.message_thread_id, service=service
        )
        self._event("message", message, note=f"[{note}]")

    def _bot_member(self, chat: EmulatedChat) -> Json:
        if chat.bot_is_admin:
            return _admin(self.bot_user, chat, chat.bot_rights, can_be_edited=False)
        if chat.type == "private" or chat.type == "channel":
            return _member(self.bot_user, "member")
        return _member(self.bot_user, chat.bot_status)

    def _change_bot_status(
        self,
        chat_id: int,
        status: MemberStatus,
        by: int | None,
        deliver: bool | None,
        *,
        rights: dict[str, bool] | None = None,
    ) -> Json:
        chat = self._group_chat(chat_id)
        actor = self._user(by) if by is not None else self._first_admin(chat)
        old = self._bot_member(chat)
        chat.bot_status = status
        chat.bot_rights = dict(rights or {}) if status == "administrator" else {}
        payload = {
            "chat": chat.to_api(),
            "from": actor.to_api(),
            "date": now(),
            "old_chat_member": old,
            "new_chat_member": self._bot_member(chat),
        }
        return self._new_update("my_chat_member", payload, deliver)

    def _first_admin(self, chat: EmulatedChat) -> EmulatedUser:
        for user_id, status in chat.members.items():
            if status in ("creator", "administrator"):
                return self._user(user_id)
        raise EmulatorError(f"say who changed the bot's status in chat {chat.id} (by=...)")

    def _group_chat(self, chat_id: int) -> EmulatedChat:
        chat = self.chats.get(chat_id)
        if chat is None or chat.type not in ("group", "supergroup"):
            raise EmulatorError(f"no group {chat_id}; register it with emu.group(...) first")
        return chat


def _member(user: EmulatedUser, status: MemberStatus) -> Json:
    """A ChatMember of any status but administrator (``creator`` is ChatMemberOwner)."""
    data: Json = {"status": status, "user": user.to_api()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "kicked":
        data["until_date"] = 0
    elif status == "administrator":
        return _admin(user, None, {right: True for right in _ADMIN_RIGHTS}, can_be_edited=False)
    return data


def _admin(
    user: EmulatedUser, chat: EmulatedChat | None, rights: dict[str, bool], *, can_be_edited: bool
) -> Json:
    data: Json = {
        "status": "administrator",
        "user": user.to_api(),
        "can_be_edited": can_be_edited,
        "is_anonymous": False,
    }
    for right in _ADMIN_RIGHTS:
        if right == "can_manage_topics" and chat is not None and chat.type != "supergroup":
            continue
        data[right] = rights.get(right, right == "can_manage_chat")
    return data
