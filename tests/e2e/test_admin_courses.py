"""Admins publish, unpublish and archive courses (hidden ones vanish from the catalog),
and export a course's progress as CSV."""

from __future__ import annotations

import csv
import io

import asyncpg
import pytest

from bot.emulator import BotApiEmulator
from bot.views.refusals import NOT_ALLOWED
from tests.conftest import ADMIN_ID
from tests.support import Dialogue
from tests.support.courses import TINY_PACK, import_pack


@pytest.fixture
async def tea(pool: asyncpg.Pool):
    await import_pack(pool, TINY_PACK)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


async def test_an_unpublished_course_vanishes_from_the_catalog_until_published_again(
    talk, tea, pool
) -> None:
    admin: Dialogue = talk(ADMIN_ID, "Grace")
    learner: Dialogue = talk(42, "Ada")
    await admin.send("/courses_admin")
    assert "🟢 Tea basics (tiny) — published, 0 learners" in admin.last.text

    await admin.press("📝 Unpublish tiny")
    assert "📝 Tea basics (tiny) — draft" in admin.last.text
    await learner.send("/courses")
    assert "Tea basics" not in learner.last.text

    await admin.press("🗄 Archive tiny")
    assert "🗄 Tea basics (tiny) — archived" in admin.last.text
    await admin.press("🟢 Publish tiny")
    assert "🟢 Tea basics (tiny) — published" in admin.last.text
    await learner.send("/courses")
    assert "Tea basics" in learner.last.text
    actions = await pool.fetch("SELECT detail FROM admin_audit WHERE action = 'courses_admin'")
    assert [a["detail"].get("change") for a in actions] == [None, "unpublish", "archive", "publish"]


async def test_learners_and_tutors_cannot_change_courses(talk, tea, pool) -> None:
    admin: Dialogue = talk(ADMIN_ID, "Grace")
    await admin.send("/courses_admin")
    eve: Dialogue = talk(44, "Eve")
    await eve.send("/courses_admin")
    assert eve.last.text == NOT_ALLOWED
    data = admin.last.reply_markup["inline_keyboard"][0][0]["callback_data"]
    await eve.press_forged(data)
    assert eve.answer_text == NOT_ALLOWED
    assert await pool.fetchval("SELECT is_published FROM courses")
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM admin_audit WHERE actor_id = 44 AND outcome = 'denied'"
        )
        == 2
    )


async def test_export_sends_one_row_per_learner_and_module(
    talk, tea, pool, emulator: BotApiEmulator
) -> None:
    ada: Dialogue = talk(42, "=Ada", username="ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue: 1.1")
    await ada.press("✅ Mark complete")
    admin: Dialogue = talk(ADMIN_ID, "Grace")

    await admin.send("/export tiny")

    document = admin.last.document
    assert document["file_name"] == "tiny-progress.csv"
    assert admin.last.caption == "1 learner, one row per module."
    data = emulator.files[document["file_id"]].data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["module"], r["topics_done"], r["topics"]) for r in rows] == [
        ("1", "1", "2"),
        ("2", "0", "2"),
    ]
    assert rows[0]["name"] == "'=Ada", "a formula-looking name is neutralised"
    assert rows[0]["username"] == "ada" and rows[0]["persona"] == "normal"


@pytest.mark.parametrize(
    ("who", "command", "reply"),
    [
        (ADMIN_ID, "/export nosuch", "There is no course “nosuch”."),
        (ADMIN_ID, "/export", "Usage: /export course-slug [cohort]"),
        (44, "/export tiny", NOT_ALLOWED),
    ],
)
async def test_export_refusals(talk, tea, who: int, command: str, reply: str) -> None:
    chat: Dialogue = talk(who, "Someone")
    await chat.send(command)
    assert chat.last.text == reply
