"""Admins and tutors run the service from the chat; everyone else is refused, and every
attempt is in the audit log."""

from __future__ import annotations

import asyncpg
import pytest
from telegram.ext import Application

from bot.context import Services
from bot.jobs.cooldowns import CooldownAnnouncer
from bot.views.refusals import NOT_ALLOWED
from tests.conftest import ADMIN_ID
from tests.support import Dialogue
from tests.support.courses import TINY_PACK, import_pack

WRONG = {
    "Which plant": "Peppermint",
    "What mainly makes": "Black tea is never dried",
}


@pytest.fixture
async def tea(pool: asyncpg.Pool):
    await import_pack(pool, TINY_PACK)
    await pool.execute("UPDATE courses SET quiz_requires_topics = false")
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")


@pytest.fixture
async def ada(talk, tea) -> Dialogue:
    """A learner who failed the Module 1 quiz and is cooling down."""
    ada = talk(42, "Ada", username="ada")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("1. Kinds of tea")
    await ada.press("📝 Take the Module 1 quiz")
    await ada.press("▶ Start the quiz")
    for _ in range(2):
        question = ada.last.text
        await ada.press(next(bad for start, bad in WRONG.items() if start in question))
    assert "Not passed this time" in ada.last.text
    return ada


@pytest.fixture
def admin(talk) -> Dialogue:
    return talk(ADMIN_ID, "Grace", username="grace")


async def audit(pool: asyncpg.Pool) -> list[tuple[int, str, str]]:
    rows = await pool.fetch("SELECT actor_id, action, outcome FROM admin_audit ORDER BY id")
    return [(r["actor_id"], r["action"], r["outcome"]) for r in rows]


async def test_an_admin_sees_a_learners_record(admin: Dialogue, ada: Dialogue, pool) -> None:
    await admin.send("/admin")
    assert "Staff commands" in admin.last.text and "/promote" in admin.last.text

    await admin.send("/learner @ada")
    report = admin.last.text
    assert "Ada (@ada, 42) — learner" in report
    assert "Tea basics (tiny) — active, persona normal" in report
    assert "M1 ⏳ quiz not passed, reopens at " in report  # as the learner's screens say it
    assert "UTC · topics 0/2 · attempts 1/3 · best 0% · typed 0/5" in report
    assert "M2 🔒 locked" in report
    assert await audit(pool) == [(ADMIN_ID, "admin", "done"), (ADMIN_ID, "learner", "done")]


async def test_granted_prompts_and_attempts_reach_the_learner(
    admin: Dialogue, ada: Dialogue, pool
) -> None:
    await admin.send("/grant_prompts @ada tiny 1 3")
    assert admin.last.text == (
        "✅ Granted 3 extra typed questions to Ada (@ada, 42) in tiny module 1 (3 granted in all)."
    )
    await admin.send("/grant_attempts 42 tiny 1 2")
    assert "Granted 2 extra quiz attempts" in admin.last.text

    await ada.press("⬅ Module")
    await ada.press("⏳ Quiz reopens")
    assert "Attempts left: 4" in ada.last.text
    await ada.send("/newchat")
    await ada.press("⬅ Module")
    await ada.press("1. The tea plant")
    await ada.press("💬 Ask about this topic")
    assert "8 of 8 typed questions left for Module 1" in ada.last.text


async def test_a_released_cooldown_is_announced_once_and_the_quiz_opens(
    admin: Dialogue, ada: Dialogue, services: Services, application: Application, pool
) -> None:
    await admin.send("/reset_cooldown @ada tiny 1")
    assert "Cooldown released: Ada (@ada, 42) can retake the tiny module 1 quiz now" in (
        admin.last.text
    )
    assert (await CooldownAnnouncer(services, application.bot).sweep()).announced == 1
    assert "The Module 1 quiz is open again" in ada.last.text
    await ada.press("📝 Take the quiz")
    assert "▶ Start the quiz" in str(ada.last.buttons)

    await admin.send("/reset_cooldown @ada tiny 1")
    assert admin.last.text == "Nothing to reset: Ada (@ada, 42) has no cooldown on tiny module 1."


async def test_a_suspended_learner_is_locked_out_until_unsuspended(
    admin: Dialogue, ada: Dialogue
) -> None:
    await admin.send("/suspend @ada tiny")
    assert admin.last.text == "✅ Ada (@ada, 42)'s enrollment in tiny is now suspended."
    await admin.send("/suspend @ada tiny")
    assert admin.last.text == "Nothing to change: Ada (@ada, 42)'s enrollment in tiny is suspended."
    await ada.press("⬅ Module")
    assert ada.answer_text == "Your enrollment in this course is suspended."
    await admin.send("/unsuspend @ada tiny")
    await ada.press("⬅ Module")
    assert "Module 1: Kinds of tea" in ada.last.text


async def test_roles_change_by_command_and_tutors_act_only_on_their_courses(
    admin: Dialogue, ada: Dialogue, talk, tea, pool
) -> None:
    bob = talk(43, "Bob", username="bob")
    await bob.send("/start")
    await admin.send("/promote @bob tutor")
    assert admin.last.text == "✅ Bob (@bob, 43) is now a tutor."
    await admin.send("/promote @bob tutor")
    assert admin.last.text == "Nothing to change: Bob (@bob, 43) is already a tutor."

    await bob.send("/grant_prompts @ada tiny 1 1")
    assert bob.last.text == NOT_ALLOWED, "a tutor of no course"
    await pool.execute("INSERT INTO course_tutors (course_id, user_id) VALUES ($1, 43)", tea)
    await bob.send("/grant_prompts @ada tiny 1 1")
    assert bob.last.text == (
        "✅ Granted 1 extra typed question to Ada (@ada, 42) in tiny module 1 (1 granted in all)."
    )
    await bob.send("/learner @ada")
    assert "Tea basics" in bob.last.text
    await bob.send("/promote @ada admin")
    assert bob.last.text == NOT_ALLOWED, "only admins change roles"

    await admin.send("/demote @bob")
    assert admin.last.text == "✅ Bob (@bob, 43) is now a learner."
    await admin.send("/promote @bob admin")
    assert admin.last.text == "✅ Bob (@bob, 43) is now an admin."
    await admin.send("/demote @bob")
    await admin.send("/unsuspend @bob tiny")
    assert admin.last.text == "Nothing to change: Bob (@bob, 43) is not enrolled in tiny."
    await bob.send("/learner @ada")
    assert bob.last.text == NOT_ALLOWED
    assert await pool.fetchval("SELECT role FROM users WHERE id = 43") == "learner"


@pytest.mark.parametrize(
    "command",
    [
        "/admin",
        "/learner @ada",
        "/promote @ada admin",
        "/demote 1",
        "/grant_prompts @ada tiny 1 50",
        "/grant_attempts @ada tiny 1 50",
        "/reset_cooldown @ada tiny 1",
        "/suspend @ada tiny",
        "/unsuspend @ada tiny",
        "/grant_prompts",
    ],
)
async def test_a_learner_is_refused_every_staff_command_and_it_is_audited(
    talk, ada: Dialogue, pool, command: str
) -> None:
    eve = talk(44, "Eve", username="eve")
    before = await pool.fetchrow(
        "SELECT (SELECT coalesce(sum(granted), 0) FROM module_progress m "
        "JOIN module_prompt_usage u USING (user_id, course_id, module_no)) AS g, "
        "(SELECT sum(extra_attempts) FROM module_progress) AS x, "
        "(SELECT cooldown_until FROM module_progress WHERE user_id = 42 AND module_no = 1) AS c"
    )

    await eve.send(command)

    assert eve.last.text == NOT_ALLOWED
    assert [(actor, outcome) for actor, _, outcome in await audit(pool)] == [(44, "denied")]
    after = await pool.fetchrow(
        "SELECT (SELECT coalesce(sum(granted), 0) FROM module_progress m "
        "JOIN module_prompt_usage u USING (user_id, course_id, module_no)) AS g, "
        "(SELECT sum(extra_attempts) FROM module_progress) AS x, "
        "(SELECT cooldown_until FROM module_progress WHERE user_id = 42 AND module_no = 1) AS c"
    )
    assert before == after
    assert await pool.fetchval("SELECT role FROM users WHERE id = 42") == "learner"
    assert await pool.fetchval("SELECT status FROM enrollments WHERE user_id = 42") == "active"


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("/grant_prompts @nobody tiny 1 3", "I don't know the user “@nobody”."),
        ("/grant_prompts @ada nosuch 1 3", "There is no course “nosuch”."),
        ("/grant_prompts @ada tiny 9 3", "tiny has modules 1 to 2."),
        ("/grant_prompts @ada tiny 1 lots", "The number must be a whole number from 1 to 1000."),
        ("/grant_prompts @ada tiny 1 -3", "The number must be a whole number from 1 to 1000."),
        ("/grant_prompts @ada tiny", "Usage: /grant_prompts @user|id course-slug module n"),
        ("/promote @ada wizard", "Usage: /promote @user|id tutor|admin"),
        ("/demote @grace", "You can't demote yourself; ask another admin."),
        ("/learner <b>@ada</b>", "I don't know the user “<b>@ada</b>”."),
    ],
)
async def test_bad_arguments_get_a_clear_answer_and_change_nothing(
    admin: Dialogue, ada: Dialogue, pool, command: str, reply: str
) -> None:
    await admin.send(command)
    assert admin.last.text.startswith(reply)
    assert await pool.fetchval("SELECT count(*) FROM module_prompt_usage WHERE granted > 0") == 0
    assert await pool.fetchval("SELECT role FROM users WHERE id = $1", ADMIN_ID) == "admin"
