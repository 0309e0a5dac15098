"""Asking a human tutor, through the real Application, the Bot API emulator and the real
database: a learner's question under an AI answer goes to the course's tutor, who claims
it, drafts with the AI, answers; the learner answers back, closes it and rates the help."""

from __future__ import annotations

import asyncpg
import pytest
from telegram.ext import Application

from bot.callbacks import action
from bot.emulator import BotApiEmulator
from bot.jobs.help_requests import HelpEscalator
from tests.conftest import ADMIN_ID
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.courses import TINY_PACK, import_as, import_pack

ADA, TOM, OLGA, BEN = 42, 50, 51, 43


@pytest.fixture
async def people(talk, pool: asyncpg.Pool, tmp_path) -> dict[str, Dialogue]:
    """Ada and Ben learn Tea basics (tiny); Tom tutors it, Olga tutors another course."""
    await import_pack(pool, TINY_PACK)
    await import_as(pool, TINY_PACK, tmp_path, "other")
    chats = {
        "grace": talk(ADMIN_ID, "Grace"),
        "ada": talk(ADA, "Ada"),
        "ben": talk(BEN, "Ben"),
        "tom": talk(TOM, "Tom", username="tom"),
        "olga": talk(OLGA, "Olga", username="olga"),
    }
    for chat in chats.values():
        await chat.send("/start")
    await chats["grace"].send("/promote @tom tutor")
    await chats["grace"].send("/promote @olga tutor")
    await pool.execute(
        "INSERT INTO course_tutors (course_id, user_id) "
        "SELECT id, $1::bigint FROM courses WHERE slug = 'tiny' UNION ALL "
        "SELECT id, $2::bigint FROM courses WHERE slug = 'other'",
        TOM,
        OLGA,
    )
    for learner in ("ada", "ben"):
        await chats[learner].send("/start tiny")
        await chats[learner].press("📘 Normal")
    return chats


async def asks_a_tutor(learner: Dialogue) -> None:
    """The learner asks the AI tutor, then sends that question on to a human tutor."""
    await learner.send("Which plant does tea come from?")
    await learner.press("🙋 Ask a tutor")
    await learner.press("📨 Send it")


async def test_a_learner_asks_a_tutor_after_the_ai_and_they_talk_until_it_is_resolved(
    people: dict[str, Dialogue], pool: asyncpg.Pool
) -> None:
    ada, tom, olga = people["ada"], people["tom"], people["olga"]
    await ada.send("Which plant does tea come from?")
    assert "Camellia sinensis" in ada.last.text

    await ada.press("🙋 Ask a tutor")
    assert "Ask a tutor of Tea basics" in ada.last.text
    assert "Which plant does tea come from?" in ada.last.text
    await ada.press("📨 Send it")
    assert "Sent to the tutor of Tea basics (request #" in ada.last.text

    # Tom, the course's tutor, gets the request with its context; Olga (another course)
    # gets nothing.
    card = tom.last.text
    assert "Request #" in card and "Tea basics" in card
    assert "From: Ada (42)" in card and "0/4 topics, module 1 of 2" in card
    assert "Which plant does tea come from?" in card
    assert "The AI tutor" in card and "Camellia sinensis" in card
    assert "Request #" not in (olga.last.text or "")

    await tom.press("🙋 Claim")
    assert "Taken by Tom" in tom.last.text
    assert tom.last_callback is not None and "It's yours" in (tom.last_callback.answer_text or "")

    await tom.press("✍ Draft with AI")
    draft = tom.last.text
    assert "Draft for request" in draft and "not sent" in draft
    before = len(ada.messages)
    assert len(ada.messages) == before, "a draft is never sent without the tutor"

    await tom.press("↩ Reply")
    assert "Type your reply to Ada" in tom.last.text
    await tom.send("Good question! It's one plant; the processing makes the difference.")
    assert tom.last.text == "➡️ Sent to Ada."
    relayed = ada.last.text
    assert relayed.startswith("🧑‍🏫 Tutor Tom · request #")
    assert "the processing makes the difference" in relayed

    await ada.press("↩ Answer back")
    await ada.send("So green and black tea are the same leaves?")
    assert ada.last.text == "➡️ Sent to Tom."
    assert "💬 Ada · request #" in tom.last.text
    assert "the same leaves?" in tom.last.text

    # A Telegram reply to the relayed message works as well as the button.
    await tom.send("Exactly: same leaves, different oxidation.", reply_to=tom.last.message_id)
    assert "same leaves, different oxidation" in ada.last.text

    await ada.press("✅ Resolved")
    assert "You closed request #" in ada.last.text
    assert "Ada closed request #" in tom.last.text
    await ada.press("★★★★★")
    assert "★★★★★ noted" in ada.last.text

    row = await pool.fetchrow(
        "SELECT status, claimed_by, rating, first_response_at IS NOT NULL AS answered "
        "FROM help_requests"
    )
    assert dict(row) == {"status": "resolved", "claimed_by": TOM, "rating": 5, "answered": True}
    await people["grace"].send("/stats tiny")
    stats = people["grace"].messages[-2].text  # the chart follows the figures
    assert "Human tutors: 1 request, 0 open, 1 resolved, 0 escalated" in stats
    assert "First answer: p50 0 min, p90 0 min" in stats
    assert "Help rated 5.0★ (1)" in stats
    sides = await pool.fetch("SELECT side, author_id FROM help_messages ORDER BY id")
    assert [(r["side"], r["author_id"]) for r in sides] == [
        ("tutor", TOM),
        ("learner", ADA),
        ("tutor", TOM),
    ]


async def test_a_question_typed_from_a_topic_and_the_limits(
    people: dict[str, Dialogue], pool: asyncpg.Pool
) -> None:
    ada = people["ada"]
    await ada.press("1. Kinds of tea")
    await ada.press("The tea plant")
    await ada.press("💬 Ask about this topic")
    await ada.press("🙋 Ask a human tutor")
    assert "Type your question for a tutor of Tea basics" in ada.last.text
    await ada.send("Why? " * 700)
    assert ada.last.text == (
        "That's 3,499 characters; a message for a tutor holds at most 3,000. Send it in parts."
    )
    # Still waiting for the question: the next message is it.
    await ada.send("Is white tea from the same plant too?")
    assert "Sent to the tutor" in ada.last.text
    topic = await pool.fetchrow("SELECT module_no, topic_number, question FROM help_requests")
    assert dict(topic) == {
        "module_no": 1,
        "topic_number": 1,
        "question": "Is white tea from the same plant too?",
    }
    assert "Module 1, Topic 1 «The tea plant»" in people["tom"].last.text

    # Typed text goes to the AI tutor again once the question is sent.
    await ada.send("Which plant does tea come from?")
    assert "Camellia sinensis" in ada.last.text

    await ada.press("🙋 Ask a tutor")
    await ada.press("📨 Send it")
    await ada.press("🙋 Ask a tutor")
    assert "You have 2 requests open, the most at once" in ada.last_callback.answer_text
    assert await pool.fetchval("SELECT count(*) FROM help_requests") == 2


async def test_a_request_sent_twice_by_telegram_is_one_request(
    people: dict[str, Dialogue], emulator: BotApiEmulator, application: Application, pool
) -> None:
    ada = people["ada"]
    await ada.send("Which plant does tea come from?")
    await ada.press("🙋 Ask a tutor")
    send = ada.last.button_data["📨 Send it"]
    update = emulator.press_button(ADA, ada.last.message_id, send, deliver=False)
    await deliver_to(application)(update)
    await deliver_to(application)(update)
    assert await pool.fetchval("SELECT count(*) FROM help_requests") == 1
    cards = [m for m in people["tom"].messages if "Request #" in (m.text or "")]
    assert len(cards) == 1


async def test_staff_may_only_act_on_requests_of_their_courses(
    people: dict[str, Dialogue], pool: asyncpg.Pool
) -> None:
    ada, ben, olga, tom = people["ada"], people["ben"], people["olga"], people["tom"]
    await asks_a_tutor(ada)
    request = await pool.fetchval("SELECT id FROM help_requests")

    await olga.press_forged(action("help_claim", request=request))
    assert olga.last_callback.answer_text == "Only tutors of Tea basics answer its requests."
    await ben.press_forged(action("help_claim", request=request))
    assert ben.last_callback.answer_text == "Only tutors of Tea basics answer its requests."
    await ben.press_forged(action("help_reply", request=request))
    assert "Only tutors" in ben.last_callback.answer_text
    denied = await pool.fetchval(
        "SELECT count(*) FROM admin_audit WHERE action = 'help_request' AND outcome = 'denied'"
    )
    assert denied == 3
    assert await pool.fetchval("SELECT claimed_by FROM help_requests") is None

    await tom.press("🙋 Claim")
    await people["grace"].press_forged(action("help_claim", request=request))
    assert people["grace"].last_callback.answer_text == "Tom has taken this request."


async def test_an_unanswered_request_goes_to_the_admins_and_the_learner_is_told(
    people: dict[str, Dialogue], services, pool: asyncpg.Pool, application: Application
) -> None:
    ada, grace = people["ada"], people["grace"]
    await asks_a_tutor(ada)
    await pool.execute("UPDATE help_requests SET created_at = created_at - interval '25 hours'")

    sweep = HelpEscalator(services, application.bot).sweep
    assert await sweep() == 1
    assert await sweep() == 0, "a second sweep (or replica) escalates nothing more"

    assert "Nobody has answered your question" in ada.last.text
    assert "in 24 hours" in ada.last.text
    escalated = [m for m in grace.messages if "Unanswered for 24 h" in (m.text or "")]
    assert len(escalated) == 1
    await grace.press("🙋 Claim")
    assert "Taken by Grace" in grace.last.text


# -- the staff group ----------------------------------------------------------------------

STAFF = -1009001


@pytest.fixture
def staff_group(people, emulator: BotApiEmulator, application: Application):
    """A forum supergroup where the bot is an administrator allowed to manage topics, with
    the admin, Tom and (by mistake) Ben in it; `write(user, text, thread)` posts in it."""
    emulator.group(STAFF, "Tea tutors", supergroup=True, forum=True, bot_admin=True)
    for user_id in (ADMIN_ID, TOM, BEN):
        emulator.join(STAFF, user_id)
    deliver = deliver_to(application)

    async def write(user_id: int, text: str, thread: int | None = None) -> None:
        update = emulator.send_text(user_id, text, chat=STAFF, thread=thread, deliver=False)
        assert update is not None, "the bot, an admin there, sees every message"
        await deliver(update)

    return write


async def test_in_the_staff_group_a_request_is_a_topic_where_the_tutor_answers(
    people: dict[str, Dialogue], staff_group, emulator: BotApiEmulator, application, pool
) -> None:
    ada, tom = people["ada"], people["tom"]
    write = staff_group
    await write(BEN, "/link_staff_group")
    assert "not allowed" in emulator.chat(STAFF)[-1].text
    await write(ADMIN_ID, "/link_staff_group")
    assert "Tea tutors is the staff group" in emulator.chat(STAFF)[-1].text

    await asks_a_tutor(ada)
    assert "Sent to the tutors of Tea basics" in ada.last.text
    [topic] = emulator.topics(STAFF)
    assert topic.name.endswith("Ada · Tea basics")
    card = emulator.topic(STAFF, topic.message_thread_id)[-1]
    assert "Which plant does tea come from?" in card.text
    assert "Request #" not in (tom.last.text or ""), "the group, not Tom's private chat"

    # Ben is no tutor of the course: what he writes in the topic reaches nobody.
    await write(BEN, "I think it's mint", topic.message_thread_id)
    assert (
        "Only tutors of Tea basics answer"
        in emulator.topic(STAFF, topic.message_thread_id)[-1].text
    )
    assert "mint" not in ada.last.text

    # Tom claims it from the card and answers in the topic.
    claim = card.button_data["🙋 Claim"]
    await deliver_to(application)(
        emulator.press_button(TOM, card.message_id, claim, chat=STAFF, deliver=False)
    )
    assert "Taken by Tom" in emulator.message(STAFF, card.message_id).text
    await write(TOM, "One plant: Camellia sinensis.", topic.message_thread_id)
    assert ada.last.text.startswith("🧑‍🏫 Tutor Tom · request #")
    assert "Camellia sinensis." in ada.last.text

    await ada.press("↩ Answer back")
    await ada.send("Thanks! And white tea?")
    assert "Thanks! And white tea?" in emulator.topic(STAFF, topic.message_thread_id)[-1].text

    # The bot is removed from the group mid-thread: the group is unlinked (audited) and
    # Ada's next answer reaches Tom in his private chat; nothing is lost.
    await deliver_to(application)(emulator.remove_bot(STAFF, kicked_by=ADMIN_ID, deliver=False))
    assert await pool.fetchval("SELECT count(*) FROM staff_groups") == 0
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM admin_audit "
            "WHERE action = 'link_staff_group' AND outcome = 'failed'"
        )
        == 1
    )
    await ada.press("↩ Answer back")
    await ada.send("Still there?")
    assert "Still there?" in tom.last.text
    assert len(emulator.expect(403, chat_id=STAFF)) == 1, "tried the group once, then Tom"
    await tom.send("Yes: white tea too.", reply_to=tom.last.message_id)
    assert "white tea too" in ada.last.text
    await ada.press("✅ Resolved")
    await ada.press("★★★★")
    assert await pool.fetchval("SELECT rating FROM help_requests") == 4


async def test_a_long_answer_is_split_and_an_album_is_relayed_photo_by_photo(
    people: dict[str, Dialogue], emulator: BotApiEmulator, application: Application, pool
) -> None:
    ada, tom = people["ada"], people["tom"]
    await asks_a_tutor(ada)
    await tom.press("🙋 Claim")
    await tom.press("↩ Reply")
    before = len(ada.messages)
    await tom.send("Tea " * 1000)  # 4,000 characters: with the header, over one message
    pieces = ada.messages[before:]
    assert len(pieces) == 2
    assert all(len(m.text) <= 4096 for m in pieces)
    assert all(m.text.startswith("🧑‍🏫 Tutor Tom") for m in pieces)
    assert pieces[-1].buttons == [["↩ Answer back", "✅ Resolved"]]

    await ada.press("↩ Answer back")
    deliver = deliver_to(application)
    cards_before = len(tom.messages)
    for update in emulator.send_media_group(ADA, 10, caption="My notes", deliver=False):
        await deliver(update)
    copies = [m for m in tom.messages[cards_before:] if m.photo]
    assert len(copies) == 10
    assert copies[0].caption.startswith("💬 Ada · #")
    assert [m.text for m in ada.messages[-1:]] == ["➡️ Sent to Tom."]  # once, on the caption
    assert await pool.fetchval("SELECT count(*) FROM help_messages WHERE media = 'photo'") == 10

    await ada.send_sticker()
    assert "I can pass on text, photos" in ada.last.text
    await ada.send("That's all.")
    assert "That's all." in tom.last.text
    await ada.send("Which plant does tea come from?")  # the answer is closed: the AI again
    assert "Camellia sinensis" in ada.last.text


async def test_the_ais_draft_reaches_the_learner_only_when_the_tutor_sends_it(
    people: dict[str, Dialogue], pool
) -> None:
    ada, tom = people["ada"], people["tom"]
    await asks_a_tutor(ada)
    await tom.press("🙋 Claim")
    seen = len(ada.messages)
    await tom.press("✍ Draft with AI")
    assert "Camellia sinensis" in tom.last.text
    assert len(ada.messages) == seen, "nothing reaches the learner before the tutor sends it"

    await tom.press("📤 Send as it is")
    assert tom.last.text == "➡️ Sent to Ada."  # in the draft's place: no second send
    assert tom.last.buttons == []
    assert "(with the AI tutor's draft)" in ada.last.text
    assert "Camellia sinensis" in ada.last.text
    assert await pool.fetchval("SELECT drafted FROM help_messages") is True
    assert await pool.fetchval("SELECT count(*) FROM help_messages") == 1

    await tom.press("✅ Resolve")  # the tutor closes it: the learner is asked to rate
    assert "Your tutor marked request #" in ada.last.text
    assert any("Request #" in (m.text or "") and "✅ Resolved." in m.text for m in tom.messages)
    await ada.press("★★★")
    assert await pool.fetchval("SELECT (status, rating)::text FROM help_requests") == "(resolved,3)"


async def test_a_relayed_message_costs_a_handful_of_round_trips(
    people: dict[str, Dialogue], services
) -> None:
    ada, tom = people["ada"], people["tom"]
    await ada.send("Which plant does tea come from?")
    await ada.press("🙋 Ask a tutor")
    metrics = services.metrics
    before = metrics.value("tutorbot_db_queries_total")
    await ada.press("📨 Send it")
    sent = int(metrics.value("tutorbot_db_queries_total") - before)
    await tom.press("🙋 Claim")
    await tom.press("↩ Reply")
    await tom.send("One plant.")
    await ada.press("↩ Answer back")
    before = metrics.value("tutorbot_db_queries_total")
    await ada.send("Thanks!")
    relayed = int(metrics.value("tutorbot_db_queries_total") - before)
    print(f"\nround trips: request sent {sent}, learner's answer relayed {relayed}")
    # Sending: the inbox's two, may they ask (one read), the route (group, tutors),
    # the request written and read back, whether its card is out already, its card posted.
    assert sent <= 9
    # The inbox's two, what is awaited, the request, the message written, the post
    # recorded, the input cleared.
    assert relayed <= 7


async def test_an_answer_to_a_request_resolved_meanwhile_ends_the_waiting(
    people: dict[str, Dialogue],
) -> None:
    ada, tom = people["ada"], people["tom"]
    await asks_a_tutor(ada)
    await tom.press("🙋 Claim")
    await tom.press("↩ Reply")
    await tom.send("One plant.")
    await ada.press("↩ Answer back")
    await tom.press("✅ Resolve")
    await ada.send("Thanks!")
    assert ada.last.text.startswith("That request is resolved.")
    await ada.send("Which plant does tea come from?")  # to the AI tutor again
    assert "Camellia sinensis" in ada.last.text


async def test_a_send_failing_half_way_opens_one_topic_and_posts_one_card(
    people: dict[str, Dialogue], staff_group, emulator: BotApiEmulator
) -> None:
    ada = people["ada"]
    await staff_group(ADMIN_ID, "/link_staff_group")
    await ada.send("Which plant does tea come from?")
    await ada.press("🙋 Ask a tutor")
    emulator.outage("sendMessage", 1)  # the card, right after its topic was opened
    await ada.press("📨 Send it")
    assert "Sent to the tutors of Tea basics" in ada.last.text
    [topic] = emulator.topics(STAFF)
    cards = [
        m for m in emulator.topic(STAFF, topic.message_thread_id) if "Request #" in (m.text or "")
    ]
    assert len(cards) == 1
    assert len(emulator.expect(502)) == 1
