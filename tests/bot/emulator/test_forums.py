"""Forum supergroups in the emulator: topics, the bot's rights and its removal, over PTB.

Tutors will get learners' questions in a staff supergroup, one topic per request, so
these tests drive the real ``telegram.Bot`` the way the bot will, and assert PTB's own
exceptions with Telegram's wording (PTB strips "Bad Request: " and capitalises the rest).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, ChatMemberAdministrator, ReplyParameters, Update
from telegram.error import BadRequest, Forbidden

from bot.emulator import BotApiEmulator, EmulatorError
from tests.support import bot_api_spec

TOKEN = "123456:TEST-token_abc"
BOT_ID = 123456
ADA = 42
TUTOR = 77
STAFF = -1001
PLAIN = -1002  # a supergroup without topics
PNG_2x3 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000020000000308020000001273a3f3"
    "0000000e49444154789c63f8cfc0f01f0002ff01ff7dcb5c6a0000000049454e44ae426082"
)


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(TOKEN, spec=bot_api_spec(), bot_username="tutorbot_test_bot")
    await emulator.start()
    emulator.user(ADA, "Ada", username="ada")
    emulator.user(TUTOR, "Tess", username="tess")
    emulator.group(STAFF, "Tutors", supergroup=True, forum=True, bot_admin=True)
    emulator.join(STAFF, TUTOR, status="administrator")
    emulator.group(PLAIN, "Lobby", supergroup=True)
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as bot:
        yield bot


async def test_get_chat_and_members_describe_the_forum(bot: Bot, emu: BotApiEmulator) -> None:
    chat = await bot.get_chat(STAFF)
    assert (chat.type, chat.title, chat.is_forum) == ("supergroup", "Tutors", True)
    assert (await bot.get_chat(PLAIN)).is_forum is None

    me = await bot.get_chat_member(STAFF, BOT_ID)
    assert isinstance(me, ChatMemberAdministrator) and me.can_manage_topics is True
    assert (await bot.get_chat_member(PLAIN, BOT_ID)).status == "member"
    assert (await bot.get_chat_member(STAFF, TUTOR)).status == "administrator"
    assert (await bot.get_chat_member(STAFF, ADA)).status == "left"
    emu.join(STAFF, ADA)
    assert (await bot.get_chat_member(STAFF, ADA)).status == "member"
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await bot.get_chat_member(STAFF, 999)

    admins = await bot.get_chat_administrators(STAFF)
    assert sorted(a.user.id for a in admins) == [TUTOR, BOT_ID]


async def test_create_topic_posts_its_service_message(bot: Bot, emu: BotApiEmulator) -> None:
    topic = await bot.create_forum_topic(STAFF, "Question #1", icon_color=16766590)
    assert (topic.name, topic.icon_color) == ("Question #1", 16766590)
    created = emu.topic(STAFF, topic.message_thread_id)
    assert len(created) == 1 and created[0].message_id == topic.message_thread_id
    shape = created[0].to_api()
    assert shape["forum_topic_created"] == {"name": "Question #1", "icon_color": 16766590}
    assert shape["is_topic_message"] is True and "reply_to_message" not in shape
    assert [t.name for t in emu.topics(STAFF)] == ["Question #1"]
    emu.assert_no_rejections()


async def test_create_topic_refusals(bot: Bot, emu: BotApiEmulator) -> None:
    with pytest.raises(BadRequest, match=r"(?i)the chat is not a forum"):
        await bot.create_forum_topic(PLAIN, "x")
    emu.group(-1003, "No rights", supergroup=True, forum=True)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to create a topic"):
        await bot.create_forum_topic(-1003, "x")
    emu.group(-1004, "Admin, no topics", supergroup=True, forum=True, bot_admin=True,
              can_manage_topics=False)  # fmt: skip
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to create a topic"):
        await bot.create_forum_topic(-1004, "x")
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_TITLE_TOO_LONG"):
        await bot.create_forum_topic(STAFF, "n" * 129)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_ICON_COLOR_INVALID"):
        await bot.create_forum_topic(STAFF, "x", icon_color=0x123456)
    assert (await bot.create_forum_topic(STAFF, "n" * 128)).name == "n" * 128
    emu.expect(400)


async def test_messages_land_in_their_topic(bot: Bot, emu: BotApiEmulator) -> None:
    first = await bot.create_forum_topic(STAFF, "Ada: loops")
    second = await bot.create_forum_topic(STAFF, "Bob: SQL")
    sent = await bot.send_message(STAFF, "New question", message_thread_id=first.message_thread_id)
    assert sent.message_thread_id == first.message_thread_id and sent.is_topic_message
    # Telegram shows a topic message that replies to nothing as a reply to the topic's start
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.forum_topic_created is not None
    photo = await bot.send_photo(STAFF, PNG_2x3, message_thread_id=second.message_thread_id)
    document = await bot.send_document(
        STAFF, b"notes", filename="n.txt", message_thread_id=second.message_thread_id
    )
    await bot.send_chat_action(STAFF, "typing", message_thread_id=second.message_thread_id)
    assert [m.message_id for m in emu.topic(STAFF, second.message_thread_id)] == [
        second.message_thread_id,
        photo.message_id,
        document.message_id,
    ]
    # a reply without message_thread_id goes where the message it answers is
    reply = await bot.send_message(STAFF, "More", reply_parameters=ReplyParameters(sent.message_id))
    assert reply.message_thread_id == first.message_thread_id
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == sent.message_id
    plain = await bot.send_message(STAFF, "General chat")
    assert plain.message_thread_id is None and not plain.is_topic_message

    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(STAFF, "lost", message_thread_id=999)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(PLAIN, "lost", message_thread_id=first.message_thread_id)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_chat_action(STAFF, "typing", message_thread_id=999)
    emu.expect(400)


async def test_edit_close_reopen_and_delete_a_topic(bot: Bot, emu: BotApiEmulator) -> None:
    topic = await bot.create_forum_topic(STAFF, "Ada: loops")
    thread = topic.message_thread_id
    assert await bot.edit_forum_topic(STAFF, thread, name="Ada: loops (answered)")
    assert emu.topics(STAFF)[0].name == "Ada: loops (answered)"
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NOT_MODIFIED"):
        await bot.edit_forum_topic(STAFF, thread, name="Ada: loops (answered)")

    assert await bot.close_forum_topic(STAFF, thread)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(STAFF, thread)
    kinds = [next(iter(m.service or {"text": 0})) for m in emu.topic(STAFF, thread)]
    assert kinds == ["forum_topic_created", "forum_topic_edited", "forum_topic_closed"]
    # an administrator who manages topics may still post in a closed one, as in the apps
    await bot.send_message(STAFF, "Closing note", message_thread_id=thread)
    emu.send_text(TUTOR, "admins too", chat=STAFF, thread=thread)
    emu.join(STAFF, ADA)
    with pytest.raises(EmulatorError, match="closed"):
        emu.send_text(ADA, "let me in", chat=STAFF, thread=thread)

    assert await bot.reopen_forum_topic(STAFF, thread)
    assert emu.send_text(ADA, "thanks!", chat=STAFF, thread=thread) is not None

    assert await bot.delete_forum_topic(STAFF, thread)
    assert emu.topics(STAFF) == []
    assert all(m.deleted for m in emu.topic(STAFF, thread))
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(STAFF, "gone", message_thread_id=thread)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.close_forum_topic(STAFF, thread)
    emu.expect(400)


async def test_a_closed_topic_refuses_a_bot_without_the_right(
    bot: Bot, emu: BotApiEmulator
) -> None:
    thread = emu.create_topic(TUTOR, STAFF, "Tess's topic")
    await bot.close_forum_topic(STAFF, thread)
    emu.promote_bot(STAFF, by=TUTOR, can_manage_topics=False)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_CLOSED"):
        await bot.send_message(STAFF, "late", message_thread_id=thread)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to manage the topic"):
        await bot.reopen_forum_topic(STAFF, thread)
    emu.expect(400)


async def test_users_write_in_topics_and_the_admin_bot_sees_everything(
    bot: Bot, emu: BotApiEmulator
) -> None:
    topic = await bot.create_forum_topic(STAFF, "Ada: loops")
    thread = topic.message_thread_id
    # privacy mode is on, but an administrator bot gets every message
    update = emu.send_text(TUTOR, "Use a for loop", chat=STAFF, thread=thread)
    assert update is not None
    message = Update.de_json(update, bot).message
    assert message is not None and message.message_thread_id == thread
    assert message.is_topic_message and message.reply_to_message is not None
    assert emu.send_text(ADA, "just chatting", chat=PLAIN) is None  # not admin there
    photo = emu.send_photo(TUTOR, PNG_2x3, caption="diagram", chat=STAFF, thread=thread)
    assert photo is not None and photo["message"]["message_thread_id"] == thread
    assert emu.send_photo(ADA, chat=PLAIN) is None
    with pytest.raises(EmulatorError, match="no forum topic"):
        emu.send_text(TUTOR, "where?", chat=STAFF, thread=999)


async def test_a_media_group_arrives_as_one_update_per_photo(bot: Bot, emu: BotApiEmulator) -> None:
    topic = await bot.create_forum_topic(STAFF, "Ada: homework")
    updates = emu.send_media_group(
        TUTOR, [PNG_2x3, PNG_2x3, PNG_2x3], caption="pages", chat=STAFF,
        thread=topic.message_thread_id,
    )  # fmt: skip
    messages = [Update.de_json(u, bot).message for u in updates]
    assert len(messages) == 3 and all(m is not None for m in messages)
    assert len({m.media_group_id for m in messages if m}) == 1
    assert [m.caption for m in messages if m] == ["pages", None, None]
    assert all(m.message_thread_id == topic.message_thread_id for m in messages if m)
    private = emu.send_media_group(ADA, 2)
    assert len(private) == 2 and private[0]["message"]["photo"][0]["width"] == 1
    assert private[0]["message"]["media_group_id"] != messages[0].media_group_id  # type: ignore[union-attr]
    with pytest.raises(EmulatorError, match="2-10"):
        emu.send_media_group(ADA, 11)


async def test_copy_message_into_a_topic(bot: Bot, emu: BotApiEmulator) -> None:
    topic = await bot.create_forum_topic(STAFF, "Ada: loops")
    thread = topic.message_thread_id
    question = emu.send_text(ADA, "How do <loops> work?")
    assert question is not None
    copied = await bot.copy_message(
        STAFF, ADA, question["message"]["message_id"], message_thread_id=thread
    )
    copy = emu.message(STAFF, copied.message_id)
    assert (copy.text, copy.thread, copy.from_bot) == ("How do <loops> work?", thread, True)

    photo = emu.send_photo(ADA, PNG_2x3, caption="my code")
    assert photo is not None
    recaptioned = await bot.copy_message(
        STAFF,
        ADA,
        photo["message"]["message_id"],
        message_thread_id=thread,
        caption="<b>Ada</b>'s code",
        parse_mode="HTML",
    )
    copy = emu.message(STAFF, recaptioned.message_id)
    assert copy.photo == photo["message"]["photo"] and copy.caption == "Ada's code"
    assert copy.caption_entities == [{"type": "bold", "offset": 0, "length": 3}]
    document = emu.send_document(ADA, b"x = 1", file_name="a.py", caption="file")
    kept = await bot.copy_message(STAFF, ADA, document["message"]["message_id"])
    copy = emu.message(STAFF, kept.message_id)
    assert copy.document is not None and copy.caption == "file" and copy.thread is None

    answer = emu.send_text(TUTOR, "Like this", chat=STAFF, thread=thread)
    assert answer is not None
    back = await bot.copy_message(ADA, STAFF, answer["message"]["message_id"])
    assert emu.message(ADA, back.message_id).text == "Like this"

    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(STAFF, ADA, 999)
    with pytest.raises(BadRequest, match=r"(?i)message can't be copied"):
        await bot.copy_message(ADA, STAFF, thread)  # the topic's service message
    emu.expect(400)


async def test_removing_the_bot_sends_my_chat_member_then_403(
    bot: Bot, emu: BotApiEmulator
) -> None:
    topic = await bot.create_forum_topic(STAFF, "Ada: loops")
    update = Update.de_json(emu.remove_bot(STAFF, kicked_by=TUTOR), bot)
    change = update.my_chat_member
    assert change is not None and change.chat.id == STAFF and change.from_user.id == TUTOR
    assert change.old_chat_member.status == "administrator"
    assert change.new_chat_member.status == "kicked"
    assert change.new_chat_member.user.id == BOT_ID
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(STAFF, "hello?", message_thread_id=topic.message_thread_id)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.create_forum_topic(STAFF, "again")
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.get_chat(STAFF)
    assert emu.send_text(TUTOR, "/start@tutorbot_test_bot", chat=STAFF) is None
    assert len(emu.expect(403, chat_id=STAFF)) == 3

    left = emu.remove_bot(PLAIN, kicked_by=ADA, left=True)["my_chat_member"]
    assert (left["old_chat_member"]["status"], left["new_chat_member"]["status"]) == (
        "member",
        "left",
    )
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(PLAIN, "hi")
    emu.expect(403)


async def test_promotion_and_demotion_change_what_the_bot_may_do(
    bot: Bot, emu: BotApiEmulator
) -> None:
    emu.group(-1005, "New staff room", supergroup=True, forum=True)
    emu.join(-1005, TUTOR, "creator")
    assert emu.send_text(TUTOR, "hi all", chat=-1005) is None  # privacy mode, not admin
    promoted = Update.de_json(emu.promote_bot(-1005), bot).my_chat_member
    assert promoted is not None and promoted.from_user.id == TUTOR
    assert promoted.new_chat_member.status == "administrator"
    assert emu.send_text(TUTOR, "hi again", chat=-1005) is not None
    topic = await bot.create_forum_topic(-1005, "Works now")
    assert topic.name == "Works now"
    demoted = emu.demote_bot(-1005, by=TUTOR)["my_chat_member"]
    assert demoted["new_chat_member"]["status"] == "member"
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to create a topic"):
        await bot.create_forum_topic(-1005, "Not any more")
    emu.expect(400)


async def test_topic_messages_count_against_the_group_rate(bot: Bot, emu: BotApiEmulator) -> None:
    first = await bot.create_forum_topic(STAFF, "one")
    second = await bot.create_forum_topic(STAFF, "two")
    for index in range(21):
        thread = (first if index % 2 else second).message_thread_id
        await bot.send_message(STAFF, f"m{index}", message_thread_id=thread)
    assert [(w.scope, w.chat_id, w.count) for w in emu.rate_warnings] == [("group", STAFF, 21)]


def test_forums_need_a_supergroup() -> None:
    emu = BotApiEmulator(TOKEN)
    with pytest.raises(EmulatorError, match="supergroups"):
        emu.group(-1, "Old group", forum=True)
    emu.group(-1, "Old group")
    with pytest.raises(EmulatorError, match="not a forum"):
        emu.create_topic(ADA, -1, "x")
