"""Who may do what: every staff command and every privileged button, tried by a learner, a
tutor of another course, a tutor of the course concerned and an admin.

One row per action, in an order where each allowed action finds what it needs (a cooldown
to reset, a suspension to lift, a draft to send); the expected cell per role says whether
it must succeed. A refused cell gets the one polite "not allowed", changes nothing that is
stored, and leaves only its "denied" audit row (refusals are audited on purpose: an admin
can see who tried what) — never a "done" one.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from telegram.ext import Application

from bot.callbacks import action
from bot.emulator import BotApiEmulator
from bot.views.refusals import NOT_ALLOWED, NOT_THE_AUTHOR
from tests.conftest import ADMIN_ID
from tests.support import Dialogue
from tests.support.courses import TINY_PACK, import_as, import_pack
from tests.support.report import report
from tests.support.snapshot import (
    audit_since,
    changes,
    last_audit_id,
    snapshot,
    state_tables,
)

ADA, TOM, OLGA, LEO, ZED = 42, 50, 51, 52, 60
WRONG = {"Which plant": "Peppermint", "What mainly makes": "Black tea is never dried"}

LEARNER, OTHER_TUTOR, TUTOR, ADMIN = "learner", "tutor of another course", "tutor", "admin"
ROLES = {LEARNER: LEO, OTHER_TUTOR: OLGA, TUTOR: TOM, ADMIN: ADMIN_ID}


@dataclass
class Staffroom:
    """Ada (a learner of `tiny` cooling down after a failed quiz), Zed (a bystander), Tom
    (tutor of `tiny`), Olga (tutor of `other`), Leo (a learner) and the admin; Tom has two
    broadcast drafts on screen and the admin the course visibility buttons."""

    emulator: BotApiEmulator
    pool: asyncpg.Pool
    chats: dict[int, Dialogue]
    tables: list[str]
    buttons: dict[str, str]  # what a privileged button is for -> its callback data
    files: dict[str, bytes]


def zipped(folder: Path, into: Path) -> bytes:
    archive = shutil.make_archive(str(into / folder.name), "zip", folder.parent, folder.name)
    return Path(archive).read_bytes()


@pytest.fixture
async def staffroom(
    talk, emulator: BotApiEmulator, application: Application, pool: asyncpg.Pool, tmp_path
) -> Staffroom:
    await import_pack(pool, TINY_PACK)
    await import_as(pool, TINY_PACK, tmp_path, "other")
    await pool.execute("UPDATE courses SET quiz_requires_topics = false")

    chats = {
        user_id: talk(user_id, name, username=name.lower())
        for user_id, name in [
            (ADMIN_ID, "Grace"),
            (ADA, "Ada"),
            (TOM, "Tom"),
            (OLGA, "Olga"),
            (LEO, "Leo"),
            (ZED, "Zed"),
        ]
    }
    for chat in chats.values():
        await chat.send("/start")
    admin = chats[ADMIN_ID]
    for name in ("tom", "olga"):
        await admin.send(f"/promote @{name} tutor")
    # Assigning tutors to courses has no command (yet): it is an operator's database task.
    await pool.execute(
        "INSERT INTO course_tutors (course_id, user_id) "
        "SELECT id, $1::bigint FROM courses WHERE slug = 'tiny' UNION ALL "
        "SELECT id, $2::bigint FROM courses WHERE slug = 'other'",
        TOM,
        OLGA,
    )

    ada = chats[ADA]
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("1. Kinds of tea")
    await ada.press("📝 Take the Module 1 quiz")
    await ada.press("▶ Start the quiz")
    for _ in range(2):
        await ada.press(next(bad for start, bad in WRONG.items() if start in ada.last.text))
    assert "Not passed this time" in ada.last.text

    buttons: dict[str, str] = {}
    tom = chats[TOM]
    await tom.send("/broadcast tiny Tea time at five")
    buttons["send"] = next(d for label, d in tom.last.button_data.items() if "Send" in label)
    await tom.send("/broadcast tiny Tea time at six")
    buttons["cancel"] = next(d for label, d in tom.last.button_data.items() if "Cancel" in label)
    await admin.send("/courses_admin")
    for label, data in admin.last.button_data.items():
        if label.endswith(" tiny"):
            buttons[label.split()[1].lower()] = data  # unpublish / archive
    # A published course shows no publish button; the view would give it this data.
    tiny = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    buttons["publish"] = action("course_visibility", course=tiny, op="p")

    files = {
        "notes.md": b"# Brewing notes\n\nWarm the pot first.\n",
        "pack": zipped(TINY_PACK, tmp_path),
    }
    emulator.assert_no_rejections()
    return Staffroom(emulator, pool, chats, await state_tables(pool), buttons, files)


# -- the table ------------------------------------------------------------------------------

Act = Callable[[Staffroom, Dialogue], Awaitable[None]]


def typed(text: str) -> Act:
    async def act(room: Staffroom, chat: Dialogue) -> None:
        await chat.send(text)

    return act


def pressed(button: str) -> Act:
    async def act(room: Staffroom, chat: Dialogue) -> None:
        await chat.press_forged(room.buttons[button])

    return act


def sent_file(name: str, caption: str) -> Act:
    async def act(room: Staffroom, chat: Dialogue) -> None:
        file_name = "tiny.zip" if name == "pack" else name
        await chat.send_document(room.files[name], file_name=file_name, caption=caption)

    return act


EVERY_STAFF = frozenset({OTHER_TUTOR, TUTOR, ADMIN})
COURSE_STAFF = frozenset({TUTOR, ADMIN})
ADMINS = frozenset({ADMIN})


@dataclass(frozen=True)
class Row:
    """One action; `allowed`: the roles whose cell must succeed, showing `success` (per role
    where what they may see differs); every other cell must be refused."""

    action: str
    act: Act
    allowed: frozenset[str]
    success: str | dict[str, str]
    refusal: dict[str, str] = field(default_factory=dict)  # other than NOT_ALLOWED

    def shows(self, role: str) -> str:
        return self.success if isinstance(self.success, str) else self.success[role]


TABLE = [
    Row("/admin", typed("/admin"), EVERY_STAFF, "🛠 Staff commands"),
    Row("/learner", typed("/learner @ada"), EVERY_STAFF, {
        OTHER_TUTOR: "No enrollments (in the courses you can see).",
        TUTOR: "Tea basics (tiny) — active",
        ADMIN: "Tea basics (tiny) — active",
    }),
    Row("/stats <course>", typed("/stats tiny"), COURSE_STAFF, "📊 Tea basics (tiny)\nLearners: 1"),
    Row("/stats", typed("/stats"), EVERY_STAFF, {
        OTHER_TUTOR: "📊 Your courses\nLearners: 0",
        TUTOR: "📊 Your courses\nLearners: 1",
        ADMIN: "📊 All courses\nLearners: 1",
    }),
    Row("/export", typed("/export tiny"), COURSE_STAFF, "1 learner, one row per module."),
    Row("/grant_prompts", typed("/grant_prompts @ada tiny 1 2"), COURSE_STAFF,
        "✅ Granted 2 extra typed questions to Ada (@ada, 42) in tiny module 1"),
    Row("/grant_attempts", typed("/grant_attempts @ada tiny 1 2"), COURSE_STAFF,
        "✅ Granted 2 extra quiz attempts to Ada (@ada, 42) in tiny module 1"),
    Row("/reset_cooldown", typed("/reset_cooldown @ada tiny 1"), COURSE_STAFF,
        "✅ Cooldown released: Ada (@ada, 42) can retake"),
    Row("/suspend", typed("/suspend @ada tiny"), COURSE_STAFF, "in tiny is now suspended."),
    Row("/unsuspend", typed("/unsuspend @ada tiny"), COURSE_STAFF, "in tiny is now active."),
    Row("/broadcast", typed("/broadcast tiny Hello"), COURSE_STAFF, "📣 Broadcast to 1 learner"),
    # Tom's drafts: only their author acts on them, admins included.
    Row("[✖ Cancel] a draft", pressed("cancel"), frozenset({TUTOR}), "✖ Broadcast cancelled",
        refusal={ADMIN: NOT_THE_AUTHOR}),
    Row("[Send] a draft", pressed("send"), frozenset({TUTOR}), "Sending…",
        refusal={ADMIN: NOT_THE_AUTHOR}),
    Row("/courses_admin", typed("/courses_admin"), ADMINS, "🟢 Tea basics (tiny) — published"),
    Row("[📝 Unpublish]", pressed("unpublish"), ADMINS, "📝 Tea basics (tiny) — draft"),
    Row("[🗄 Archive]", pressed("archive"), ADMINS, "🗄 Tea basics (tiny) — archived"),
    Row("[🟢 Publish]", pressed("publish"), ADMINS, "🟢 Tea basics (tiny) — published"),
    Row("/import", typed("/import"), ADMINS, "Usage: send a course-pack .zip"),
    Row("/import <course> + .md", sent_file("notes.md", "/import tiny"), ADMINS,
        "✅ Added notes.md in tiny"),
    Row("/import + .zip", sent_file("pack", "/import"), ADMINS, "✅ Imported Tea basics (tiny)"),
    Row("/reindex", typed("/reindex tiny"), ADMINS, "✅ Reindexed tiny"),
    Row("/promote", typed("/promote @zed tutor"), ADMINS, "✅ Zed (@zed, 60) is now a tutor."),
    Row("/demote", typed("/demote @zed"), ADMINS, "✅ Zed (@zed, 60) is now a learner."),
]  # fmt: skip


def shown(chat: Dialogue) -> str:
    """Everything the last action put in front of the user: messages, edits, toasts."""
    parts = [m.text or m.caption or "" for m in chat.replies]
    if chat.last_callback is not None and chat.last_callback.answer_text:
        parts.append(chat.last_callback.answer_text)
    return "\n".join(parts)


FIGURES = {"cells": 0, "allowed": 0, "denied": 0, "failures": 0}


@pytest.fixture(scope="module", autouse=True)
def matrix_figures() -> Iterator[None]:
    yield
    if FIGURES["cells"]:
        report("authorisation matrix", **FIGURES)


async def try_cell(room: Staffroom, role: str, row: Row) -> None:
    chat = room.chats[ROLES[role]]
    pool = room.pool
    before, audit_from = await snapshot(pool, room.tables), await last_audit_id(pool)
    chat.last_callback = None
    await row.act(room, chat)
    if row.action == "[Send] a draft" and role in row.allowed:
        # The sending runs in the background; let it finish before the next row's snapshot.
        await room.emulator.wait_for(lambda: "✅ Broadcast sent" in chat.last.text)
    seen = shown(chat)
    audit = await audit_since(pool, audit_from)
    cell = f"{row.action} by the {role}"
    if role in row.allowed:
        assert row.shows(role) in seen, f"{cell} must succeed; it showed {seen!r}"
        assert all(r.outcome == "done" for r in audit), f"{cell}: {audit}"
        return
    refusal = row.refusal.get(role, NOT_ALLOWED)
    assert seen == refusal, f"{cell} must be refused with {refusal!r}; it showed {seen!r}"
    changed = changes(before, await snapshot(pool, room.tables))
    assert changed == {}, f"{cell} was refused but changed {changed}"
    expected = [] if refusal != NOT_ALLOWED else [(ROLES[role], "denied")]
    assert [(r.actor_id, r.outcome) for r in audit] == expected, f"{cell}: {audit}"


@pytest.mark.parametrize("role", list(ROLES))
async def test_each_role_may_do_exactly_what_its_cells_allow(
    staffroom: Staffroom, role: str
) -> None:
    for row in TABLE:
        FIGURES["cells"] += 1
        FIGURES["allowed" if role in row.allowed else "denied"] += 1
        try:
            await try_cell(staffroom, role, row)
        except BaseException:
            FIGURES["failures"] += 1
            raise


async def test_a_draft_is_not_sent_by_an_author_who_lost_the_right_to_send_it(
    staffroom: Staffroom,
) -> None:
    """Rights are checked when the button is pressed, not only when the draft was made."""
    room, pool = staffroom, staffroom.pool
    tom, admin = room.chats[TOM], room.chats[ADMIN_ID]
    await pool.execute("DELETE FROM course_tutors WHERE user_id = $1", TOM)
    await tom.press_forged(room.buttons["cancel"])
    assert tom.answer_text == NOT_ALLOWED, "no longer a tutor of the course"

    await admin.send("/demote @tom")
    before, audit_from = await snapshot(pool, room.tables), await last_audit_id(pool)
    await tom.press_forged(room.buttons["send"])
    assert tom.answer_text == NOT_ALLOWED, "no longer a tutor at all"
    assert changes(before, await snapshot(pool, room.tables)) == {}
    assert [(r.actor_id, r.outcome) for r in await audit_since(pool, audit_from)] == [
        (TOM, "denied")
    ]
    assert not any("Tea time" in (m.text or "") for m in room.emulator.bot_messages(ADA))
