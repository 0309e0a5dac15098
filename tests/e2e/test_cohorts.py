"""Cohorts end to end: a tutor creates one, a learner opens its invite link and is
enrolled and in it, sees it, the tutor's figures and broadcast reach only its members,
the learner leaves and keeps their progress. Then what goes wrong: forged and closed
invites, a tutor of another course, names too long or full of HTML, a join re-delivered."""

from __future__ import annotations

import csv
import io
import re

import asyncpg
import pytest
from telegram.ext import Application

from bot.emulator import BotApiEmulator
from bot.views.refusals import NOT_ALLOWED
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.courses import TINY_PACK, import_pack

LINK = re.compile(r"https://t\.me/tutorbot_test_bot\?start=join_([A-Za-z0-9_-]+)")


@pytest.fixture
async def tea(pool: asyncpg.Pool):
    await import_pack(pool, TINY_PACK)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


@pytest.fixture
async def bob(talk, tea, pool: asyncpg.Pool) -> Dialogue:
    """A tutor of Tea basics."""
    bob = talk(43, "Bob", username="bob")
    await bob.send("/start")
    await pool.execute("UPDATE users SET role = 'tutor' WHERE id = 43")
    await pool.execute("INSERT INTO course_tutors (course_id, user_id) VALUES ($1, 43)", tea)
    return bob


async def new_cohort(bob: Dialogue, name: str) -> str:
    await bob.send(f"/cohort_new tiny {name}")
    found = LINK.search(bob.last.text)
    assert found, bob.last.text
    return found.group(1)


async def audit(pool: asyncpg.Pool) -> list[tuple[int, str, str, str]]:
    rows = await pool.fetch("SELECT actor_id, action, target, outcome FROM admin_audit ORDER BY id")
    return [(r["actor_id"], r["action"], r["target"], r["outcome"]) for r in rows]


async def test_a_cohort_from_invite_to_leaving(
    talk, bob: Dialogue, pool: asyncpg.Pool, emulator: BotApiEmulator
) -> None:
    code = await new_cohort(bob, "Evening group")
    assert bob.last.text.startswith("✅ Cohort «Evening group» of Tea basics created.")
    assert f"Code: {code}" in bob.last.text
    assert len(f"join_{code}") <= 64

    ada = talk(42, "Ada", username="ada")
    await ada.send(f"/start join_{code}")
    assert ada.last.text.startswith("👥 You're in cohort «Evening group» of Tea basics.")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue: 1.1")
    await ada.press("✅ Mark complete")
    assert await pool.fetchval("SELECT status FROM enrollments WHERE user_id = 42") == "active"

    await ada.send("/cohort")
    assert "Evening group — Tea basics" in ada.last.text

    ben = talk(50, "Ben", username="ben")  # in the course, not in the cohort
    await ben.send("/start tiny")
    await ben.press("📘 Normal")

    await bob.send("/cohorts tiny")
    assert "Evening group: 1 member" in bob.last.text
    await bob.send("/cohort_tutor tiny Evening group @bob")
    assert bob.last.text == "✅ Bob (@bob, 43) is now a tutor of cohort «Evening group»."
    await bob.send("/cohorts tiny")
    assert "Tutors: Bob" in bob.last.text

    await bob.send("/stats tiny Evening group")
    stats = next(m.text for m in bob.replies if "📊" in m.text)
    assert "Cohort «Evening group»" in stats
    assert "Learners: 1 ·" in stats
    await bob.send("/stats tiny")
    stats = next(m.text for m in bob.replies if "📊" in m.text)
    assert "Learners: 2 ·" in stats

    await bob.send(f"/broadcast tiny:{code} See you at 7 tonight!")
    assert bob.last.text.startswith(
        "📣 Broadcast to 1 learner of Tea basics in cohort «Evening group»"
    )
    await bob.press("✅ Send to 1")
    await emulator.wait_for(
        lambda: any("See you at 7" in m.text for m in emulator.bot_messages(42)), within=10
    )
    assert not any("See you at 7" in m.text for m in emulator.bot_messages(50))

    await bob.send(f"/export tiny {code}")
    document = bob.last.document
    assert document["file_name"] == f"tiny-{code}-progress.csv"
    data = emulator.files[document["file_id"]].data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert {(r["user_id"], r["cohort"]) for r in rows} == {("42", "Evening group")}

    await ada.send("/cohort")
    await ada.press("🚪 Leave «Evening group»")
    assert "Your progress in the course stays" in ada.last.text
    await ada.press("🚪 Yes, leave")
    assert ada.last.text.startswith("✅ You left the cohort; your progress is kept.")
    assert "You're not in any cohort" in ada.last.text
    done = "SELECT count(*) FROM topic_progress WHERE user_id = 42 AND is_completed"
    assert await pool.fetchval(done) == 1
    await ada.send("/progress")
    assert "Tea basics" in ada.last.text
    await bob.send("/stats tiny Evening group")
    assert "Learners: 0 ·" in next(m.text for m in bob.replies if "📊" in m.text)


async def test_joining_another_cohort_moves_the_learner_and_says_so(
    talk, bob: Dialogue, pool: asyncpg.Pool
) -> None:
    morning = await new_cohort(bob, "Morning")
    evening = await new_cohort(bob, "Evening")
    ada = talk(42, "Ada")
    await ada.send(f"/start join_{morning}")
    await ada.send(f"/start join_{evening}")
    assert "You're in cohort «Evening» of Tea basics. (You left «Morning»" in ada.last.text
    current = "SELECT count(*) FROM cohort_members WHERE user_id = 42 AND left_at IS NULL"
    assert await pool.fetchval(current) == 1


async def test_forged_and_closed_invites_are_answered_politely(
    talk, bob: Dialogue, pool: asyncpg.Pool
) -> None:
    cy = talk(51, "Cy")
    await cy.send("/start join_NotARealCode1")
    assert cy.last.text.startswith("That invite link doesn't lead to any cohort.")
    await cy.send("/start join_x")
    assert cy.last.text.startswith("That invite link doesn't lead to any cohort.")

    code = await new_cohort(bob, "Closing")
    await bob.send("/cohort_close tiny closing")
    assert bob.last.text.startswith("✅ Cohort «Closing» is closed")
    await bob.send(f"/cohort_close tiny {code}")
    assert bob.last.text == "Nothing to change: cohort «Closing» is already closed."
    await cy.send(f"/start join_{code}")
    assert cy.last.text.startswith("This invite is closed")
    assert await pool.fetchval("SELECT count(*) FROM enrollments WHERE user_id = 51") == 0
    await bob.send("/cohorts tiny")
    assert "Closing — closed: 0 members" in bob.last.text


async def test_a_tutor_of_another_course_is_refused_and_audited(
    talk, bob: Dialogue, pool: asyncpg.Pool
) -> None:
    code = await new_cohort(bob, "Evening")
    other = await pool.fetchval(
        "INSERT INTO courses (slug, name, is_published) VALUES ('code', 'Coding', true) "
        "RETURNING id"
    )
    eve = talk(45, "Eve", username="eve")
    await eve.send("/start")
    await pool.execute("UPDATE users SET role = 'tutor' WHERE id = 45")
    await pool.execute("INSERT INTO course_tutors (course_id, user_id) VALUES ($1, 45)", other)

    for command in ("/cohort_new tiny Hack", "/stats tiny Evening", f"/export tiny {code}"):
        await eve.send(command)
        assert eve.last.text == NOT_ALLOWED, command
    await eve.send(f"/broadcast tiny:{code} hi")
    assert eve.last.text == NOT_ALLOWED
    denied = [row for row in await audit(pool) if row[0] == 45]
    assert (45, "cohorts", "tiny Hack", "denied") in denied
    assert (45, "stats", "tiny Evening", "denied") in denied
    assert {row[3] for row in denied} == {"denied"}
    assert await pool.fetchval("SELECT count(*) FROM cohorts") == 1

    await bob.send("/cohort_tutor tiny Evening @eve")
    assert bob.last.text.startswith("Eve (@eve, 45) is not a tutor of this course.")


async def test_names_are_length_limited_and_shown_escaped(bob: Dialogue, pool) -> None:
    await bob.send("/cohort_new tiny " + "<b>x</b>" * 63)
    assert bob.last.text == "A cohort name is 1 to 64 characters."
    await new_cohort(bob, "<b>Tea</b> & <i>co</i>")
    assert "Cohort «<b>Tea</b> & <i>co</i>» of Tea basics created." in bob.last.text
    await bob.send("/cohort_new tiny <B>TEA</B>   &  <i>co</i>")
    assert bob.last.text == "The course already has a cohort named “<B>TEA</B> & <i>co</i>”."
    await bob.send("/stats tiny nosuch")
    assert bob.last.text.startswith("There is no cohort “nosuch” in that course")
    await bob.send("/cohort_new tiny")
    assert bob.last.text == "Usage: /cohort_new course-slug name"
    assert await pool.fetchval("SELECT count(*) FROM cohorts") == 1


async def test_a_join_delivered_twice_joins_once(
    talk, bob: Dialogue, pool: asyncpg.Pool, emulator: BotApiEmulator, application: Application
) -> None:
    code = await new_cohort(bob, "Evening")
    ada = talk(42, "Ada")
    update = emulator.send_text(42, f"/start join_{code}", deliver=False)
    deliver = deliver_to(application)
    await deliver(update)
    await deliver(update)  # Telegram delivers it again
    await ada.send(f"/start join_{code}")  # and she opens the link once more
    assert "You're in cohort «Evening»" in ada.last.text
    assert await pool.fetchval("SELECT count(*) FROM cohort_members") == 1
    assert await pool.fetchval("SELECT count(*) FROM enrollments WHERE user_id = 42") == 1


async def test_a_suspended_learner_is_not_let_back_in_by_an_invite(
    talk, bob: Dialogue, pool: asyncpg.Pool, tea
) -> None:
    code = await new_cohort(bob, "Evening")
    ada = talk(42, "Ada")
    await ada.send("/start tiny")
    await pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 42")
    await ada.send(f"/start join_{code}")
    assert "suspended" in ada.last.text
    assert await pool.fetchval("SELECT status FROM enrollments WHERE user_id = 42") == "suspended"
    assert await pool.fetchval("SELECT count(*) FROM cohort_members") == 0
