"""The staff supergroup: linking it, what tutors write in a request's forum topic, and the
bot being removed from it.

The group must be a forum (topics on) where the bot is an administrator allowed to manage
topics; admins see every message there, so privacy mode doesn't hide tutors' replies.
Only a tutor of the request's course (or an admin) answers in its topic: anyone else gets
one short reply and an audit row, and nothing reaches the learner.
"""

from __future__ import annotations

from telegram import ChatMemberAdministrator, Update
from telegram.constants import ChatMemberStatus

from bot.context import TutorContext
from bot.handlers.base import Reply, command
from bot.handlers.help_requests import tutor_message
from bot.views import help_requests as views
from bot.views.screen import plain
from domain.admin import Action
from domain.errors import HelpRefused, Reason
from domain.users import User

_GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


@command
async def link(context: TutorContext, user: User, update: Update) -> Reply:
    """`/link_staff_group`, sent in the group by an admin."""
    chat = update.effective_chat
    assert chat is not None  # a group command
    await context.services.admin.require(user.id, Action.STAFF_GROUP, str(chat.id))
    if chat.type != "supergroup" or not chat.is_forum:
        raise HelpRefused(Reason.HELP_NOT_A_FORUM)
    me = await context.bot.get_chat_member(chat.id, context.bot.id)
    if not (isinstance(me, ChatMemberAdministrator) and me.can_manage_topics):
        raise HelpRefused(Reason.HELP_NO_TOPIC_RIGHTS)
    before = await context.services.help.link_group(user.id, chat.id, chat.title or "")
    return Reply(plain(views.group_linked(chat.title or "This group", before)))


@command
async def unlink(context: TutorContext, user: User, update: Update) -> Reply:
    chat = update.effective_chat
    assert chat is not None
    done = await context.services.help.unlink_group(user.id, chat.id)
    return Reply(plain(views.GROUP_UNLINKED if done else views.NOT_LINKED))


@command
async def topic_message(context: TutorContext, user: User, update: Update) -> Reply | None:
    """A message in one of the staff group's topics: a tutor's answer to its request."""
    message = update.effective_message
    if message is None or not message.is_topic_message or message.message_thread_id is None:
        return None
    service = context.services.help
    request = await service.in_topic(message.chat_id, message.message_thread_id)
    if request is None:  # another topic: tutors talking among themselves
        return None
    return await tutor_message(context, user, update, request)


async def membership(update: Update, context: TutorContext) -> None:
    """The bot's own membership changed: removed from the staff group, it is unlinked (and
    audited), and requests go to the tutors' private chats from now on."""
    change = update.my_chat_member
    if change is None or change.new_chat_member.status not in _GONE:
        return
    await context.services.help.group_lost(change.chat.id, change.new_chat_member.status)
