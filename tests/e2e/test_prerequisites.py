"""A course that requires another, as a learner meets it: the catalog and the card say
what is missing and lead to it, enrolment (a press, even a forged one, or a deep link)
explains instead of enrolling, and once the prerequisite is completed the course opens."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from bot.callbacks import action
from tests.conftest import ADMIN_ID
from tests.e2e.test_admin_import import zipped
from tests.e2e.test_ratings import complete_the_course, tea  # noqa: F401 (a fixture)
from tests.support import Dialogue
from tests.support.courses import TINY_PACK, editable_copy, import_pack

REFUSAL = "Tea master needs Tea basics completed first: finish it, then enrol."


@pytest.fixture
async def master(pool: asyncpg.Pool, tmp_path: Path, tea: UUID) -> UUID:  # noqa: F811
    """Tea master requires Tea basics (`tiny`, completed by reading every topic)."""
    pack = editable_copy(TINY_PACK, tmp_path / "master")
    meta = pack / "course.yaml"
    text = re.sub(r"(?m)^slug: .*$", "slug: master", meta.read_text())
    text = re.sub(r"(?m)^name: .*$", "name: Tea master", text)
    meta.write_text(text + "requires:\n  - tiny\n")
    await import_pack(pool, pack)
    return await pool.fetchval("SELECT id FROM courses WHERE slug = 'master'")


async def enrolled(pool: asyncpg.Pool, course: UUID) -> int:
    return await pool.fetchval("SELECT count(*) FROM enrollments WHERE course_id = $1", course)


async def test_a_gated_course_leads_to_what_is_missing_and_opens_once_it_is_completed(
    talk, pool: asyncpg.Pool, master: UUID
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/courses")
    assert "Tea master — beginner, 2 modules, free\n  🔒 after Tea basics" in ada.last.text
    await ada.press("Tea master")
    assert "Requires: 🔒 Tea basics" in ada.last.text
    assert "Enroll" not in str(ada.last.reply_markup), "no enrol button on a gated card"

    await ada.press_forged(action("enroll", course=master))
    assert REFUSAL in ada.last.text
    assert await enrolled(pool, master) == 0, "refused on the server, not only hidden"
    await ada.send("/start master")
    assert "🔒 Tea master" in ada.last.text and REFUSAL in ada.last.text
    assert await enrolled(pool, master) == 0, "a deep link explains instead of enrolling"

    await ada.press("➡ Tea basics")
    assert "Tea basics\n\nA tiny course" in ada.last.text and "✅ Enroll for free" in str(
        ada.last.reply_markup
    )
    await complete_the_course(ada)

    await ada.send("/courses")
    assert "🔒 after" not in ada.last.text
    await ada.press("Tea master")
    assert "Requires: ✅ Tea basics" in ada.last.text
    await ada.press("✅ Enroll for free")
    assert "You're enrolled in Tea master" in ada.last.text
    assert await enrolled(pool, master) == 1


async def test_the_catalog_offers_the_missing_course_and_an_enrolled_learner_stays(
    talk,
    pool: asyncpg.Pool,
    master: UUID,
    tea: UUID,  # noqa: F811
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/courses")
    await ada.press("🔒 First: Tea basics")
    assert "Tea basics\n\nA tiny course" in ada.last.text

    # Bo enrolled before the requirement: a later `requires:` does not throw him out.
    await pool.execute("DELETE FROM course_prerequisites")
    bo: Dialogue = talk(43, "Bo")
    await bo.send("/start master")
    await bo.press("📘 Normal")
    await pool.execute(
        "INSERT INTO course_prerequisites (course_id, required_id, position) VALUES ($1, $2, 1)",
        master,
        tea,
    )
    await bo.send("/start master")
    assert "Tea master\nProgress:" in bo.last.text and "Progress:" in bo.last.text
    await bo.send("/courses")
    assert "Tea master — beginner, 2 modules, free ✓ enrolled" in bo.last.text
    assert "🔒" not in bo.last.text


async def test_an_admins_chat_import_requiring_a_missing_course_is_refused_whole(
    talk, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    pack = editable_copy(TINY_PACK, tmp_path / "src")
    meta = pack / "course.yaml"
    meta.write_text(meta.read_text() + "requires:\n  - ghost\n")
    admin: Dialogue = talk(ADMIN_ID, "Grace")

    await admin.send_document(zipped(pack, tmp_path), file_name="t.zip", caption="/import")

    assert admin.last.text == (
        "❌ t.zip was refused (1 problem); nothing was imported:\n"
        "• course.yaml:16: requires: there is no course 'ghost'; import it first"
    )
    assert await pool.fetchval("SELECT count(*) FROM courses") == 0
    outcome = await pool.fetchval("SELECT outcome FROM admin_audit WHERE action = 'import'")
    assert outcome == "invalid"
