"""An admin broadcasts to a course: a confirmed draft, sent at Telegram's pace, resumed
after a restart without messaging anyone twice, skipping who blocked the bot."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import pytest
from telegram.ext import Application

from bot.app import build_application, open_services
from bot.emulator import BotApiEmulator
from bot.jobs.broadcast import BroadcastSender
from bot.views.refusals import NOT_ALLOWED
from tests.conftest import ADMIN_ID, BOT_ID, TOKEN
from tests.support import Dialogue
from tests.support.courses import TINY_PACK, import_pack

NEWS = "New: a module about white tea is coming next week!"


@pytest.fixture
async def tea(pool: asyncpg.Pool):
    await import_pack(pool, TINY_PACK)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def learners(pool, emulator: BotApiEmulator, course_id, count: int) -> list[int]:
    ids = list(range(5000, 5000 + count))
    for user_id in ids:
        emulator.user(user_id, f"L{user_id}")
    await pool.executemany(
        "INSERT INTO users (id, first_name, bot_id) VALUES ($1, $2, $3)",
        [(i, f"L{i}", BOT_ID) for i in ids],
    )
    await pool.executemany(
        "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2)",
        [(i, course_id) for i in ids],
    )
    return ids


def received(emulator: BotApiEmulator, ids: list[int]) -> Counter[int]:
    return Counter({i: sum(NEWS in m.text for m in emulator.bot_messages(i)) for i in ids})


async def test_a_draft_shows_its_audience_and_can_be_cancelled(
    talk, tea, pool, emulator: BotApiEmulator
) -> None:
    ids = await learners(pool, emulator, tea, 3)
    admin: Dialogue = talk(ADMIN_ID, "Grace")
    await admin.send(f"/broadcast tiny {NEWS}")
    assert admin.last.text.startswith("📣 Broadcast to 3 learners of Tea basics")
    assert NEWS in admin.last.text
    await admin.press("✖ Cancel")
    assert admin.last.text == "✖ Broadcast cancelled; nobody was messaged."
    assert sum(received(emulator, ids).values()) == 0
    await admin.press_forged((admin.last.reply_markup and "") or "x")  # stale: harmless
    assert await pool.fetchval("SELECT status FROM broadcasts") == "cancelled"


@pytest.mark.parametrize(
    ("who", "command"),
    [(44, "/broadcast tiny hello"), (44, "/broadcast all hello")],
)
async def test_learners_cannot_broadcast(talk, tea, pool, who: int, command: str) -> None:
    eve = talk(who, "Eve")
    await eve.send(command)
    assert eve.last.text == NOT_ALLOWED
    assert await pool.fetchval("SELECT count(*) FROM broadcasts") == 0
    assert await pool.fetchval("SELECT outcome FROM admin_audit") == "denied"


async def test_a_tutor_broadcasts_to_their_course_only(talk, tea, pool) -> None:
    bob = talk(43, "Bob")
    await bob.send("/start")
    await pool.execute("UPDATE users SET role = 'tutor' WHERE id = 43")
    await bob.send("/broadcast all hello")
    assert bob.last.text == NOT_ALLOWED
    await bob.send("/broadcast tiny hello")
    assert bob.last.text == NOT_ALLOWED
    await pool.execute("INSERT INTO course_tutors (course_id, user_id) VALUES ($1, 43)", tea)
    await bob.send("/broadcast tiny hello")
    assert bob.last.text.startswith("📣 Broadcast to 0 learners of Tea basics")
    await bob.send("/broadcast tiny")
    assert bob.last.text == "Usage: /broadcast course-slug|all text"


async def test_500_learners_at_telegrams_pace_resumed_after_a_restart_without_duplicates(
    talk, tea, pool, emulator: BotApiEmulator, settings, db_url, clock
) -> None:
    ids = await learners(pool, emulator, tea, 500)
    emulator.block_bot(ids[7])
    admin: Dialogue = talk(ADMIN_ID, "Grace")
    await admin.send(f"/broadcast tiny {NEWS}")
    assert "Broadcast to 500 learners" in admin.last.text
    await admin.press("✅ Send to 500")
    progress = admin.last

    await emulator.wait_for(lambda: sum(received(emulator, ids).values()) >= 150, within=30)
    for task in asyncio.all_tasks():
        if task.get_name().startswith("broadcast-"):
            task.cancel()  # the replica goes down mid-broadcast
    await asyncio.sleep(0.2)
    halfway = sum(received(emulator, ids).values())
    assert halfway < 499

    broadcast_id = await pool.fetchval("SELECT id FROM broadcasts")
    async with open_services(settings, db_url, clock=clock) as services:
        restarted: Application = build_application(
            services, TOKEN, polling=False, api_url=emulator.base_url
        )
        async with restarted:
            assert await services.broadcasts.unfinished() == [broadcast_id]
            await BroadcastSender(services, restarted.bot).run(broadcast_id)

    assert len(emulator.expect(403, chat_id=ids[7])) == 1
    counts = received(emulator, ids)
    assert counts[ids[7]] == 0
    assert {counts[i] for i in ids if i != ids[7]} == {1}, "everyone else exactly once"
    assert [w for w in emulator.rate_warnings if w.scope == "global"] == []
    statuses = dict(
        await pool.fetch("SELECT status, count(*) FROM broadcast_recipients GROUP BY status")
    )
    assert statuses == {"sent": 499, "blocked": 1}
    assert await pool.fetchval("SELECT status FROM broadcasts") == "done"
    final = emulator.message(ADMIN_ID, progress.message_id).text
    assert final.startswith("✅ Broadcast sent")
    assert "499 delivered · 1 blocked the bot · 0 failed · 0 to go (of 500)" in final


async def test_staff_enrolled_in_the_course_are_among_its_learners(
    talk, tea, pool, emulator: BotApiEmulator
) -> None:
    ids = await learners(pool, emulator, tea, 1)
    admin: Dialogue = talk(ADMIN_ID, "Grace")
    await admin.send("/start tiny")
    await admin.send(f"/broadcast tiny {NEWS}")
    assert admin.last.text.startswith("📣 Broadcast to 2 learners of Tea basics")
    await admin.press("✅ Send to 2")  # the draft becomes the progress message

    def shown() -> str:
        return "\n".join(m.text for m in emulator.bot_messages(ADMIN_ID))

    await emulator.wait_for(lambda: "✅ Broadcast sent" in shown(), within=10)
    assert "2 delivered · 0 blocked the bot · 0 failed" in shown()
    assert received(emulator, [*ids, ADMIN_ID]) == {ids[0]: 1, ADMIN_ID: 1}

    await admin.send(f"/broadcast all {NEWS}")
    assert admin.last.text.startswith("📣 Broadcast to everyone: 2 learners")
    await pool.execute("DELETE FROM enrollments WHERE user_id = $1", ids[0])
    await pool.execute("UPDATE users SET role = 'tutor' WHERE id = $1", ids[0])
    await admin.send(f"/broadcast tiny {NEWS}")
    assert admin.last.text.startswith("📣 Broadcast to 1 learner of Tea basics"), "one, not ones"
