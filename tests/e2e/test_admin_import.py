"""Admins import course packs by sending a .zip to the bot and rebuild a course's index
with /reindex; everyone else is refused, and every attempt is audited."""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from pathlib import Path

import asyncpg
import pytest

from bot.ai.local_embeddings import LocalHashEmbedder
from bot.handlers.pack_admin import MAX_TEXT, refusal_text
from domain.admin import NOT_ALLOWED
from tests.conftest import ADMIN_ID
from tests.support import Dialogue
from tests.support.courses import DEMO_PACK, TINY_PACK, editable_copy, import_pack

TABLES = ("courses", "modules", "topics", "quiz_questions", "course_chunks")


def zipped(folder: Path, tmp_path: Path) -> bytes:
    archive = shutil.make_archive(str(tmp_path / folder.name), "zip", folder.parent, folder.name)
    return Path(archive).read_bytes()


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    return {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def audit(pool: asyncpg.Pool) -> list[tuple[int, str, str]]:
    rows = await pool.fetch("SELECT actor_id, action, outcome FROM admin_audit ORDER BY id")
    return [(r["actor_id"], r["action"], r["outcome"]) for r in rows]


@pytest.fixture
def admin(talk) -> Dialogue:
    return talk(ADMIN_ID, "Grace", username="grace")


@pytest.fixture
def tiny_zip(tmp_path: Path) -> bytes:
    return zipped(TINY_PACK, tmp_path)


async def test_a_zip_sent_in_the_chat_imports_like_the_cli(
    admin: Dialogue, tiny_zip: bytes, pool
) -> None:
    replies = await admin.send_document(tiny_zip, file_name="tiny.zip", caption="/import")

    print(f"tiny pack via chat: {replies[-1].text}")
    [progress] = replies  # one message, edited in place from "Downloading" to the outcome
    versions = [v.text for v in progress.history] + [progress.text]
    assert versions[:3] == ["⏳ Downloading…", "⏳ Checking…", versions[2]]
    assert versions[2].startswith("⏳ Embedding ") and versions[2].endswith(" chunks…")
    assert progress.text.startswith(
        "✅ Imported Tea basics (tiny): 2 modules, 4 topics, 4 questions, 3 suggestions, "
    )
    assert await audit(pool) == [(ADMIN_ID, "import", "done")]
    # The CLI's importer finds the very same course already there: nothing to write.
    again = await import_pack(pool, TINY_PACK)
    assert again.unchanged
    assert f"{again.chunks} chunks" in progress.text
    assert (await counts(pool))["course_chunks"] == again.chunks


async def test_a_broken_pack_lists_its_problems_and_imports_nothing(
    admin: Dialogue, pool, tmp_path: Path
) -> None:
    pack = editable_copy(TINY_PACK, tmp_path / "src")
    quiz = next((pack / "modules").glob("01-*/quiz.yaml"))
    quiz.write_text(quiz.read_text().replace('question: "Which', 'question: ["Which', 1))
    before = await counts(pool)

    await admin.send_document(zipped(pack, tmp_path), file_name="tiny.zip", caption="/import")

    text = admin.last.text
    assert text.startswith("❌ tiny.zip was refused"), text
    assert "nothing was imported" in text
    assert "• modules/01-kinds-of-tea/quiz.yaml:4: invalid YAML" in text, text
    assert await counts(pool) == before
    assert await audit(pool) == [(ADMIN_ID, "import", "invalid")]


async def test_a_file_that_is_not_a_zip_is_refused(admin: Dialogue, pool) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    await admin.send_document(png, file_name="pack.zip", caption="/import")
    assert admin.last.text.startswith("❌ That isn't a .zip file.")
    assert (await counts(pool))["courses"] == 0


async def test_a_zip_bomb_is_refused_and_imports_nothing(
    admin: Dialogue, pool, tmp_path: Path
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("course.yaml", "reference/a.md", "reference/b.md", "reference/c.md"):
            archive.writestr(name, b"0" * (15 * 1024 * 1024))  # 60 MB unpacked in all
    assert len(buffer.getvalue()) < 1024 * 1024

    await admin.send_document(buffer.getvalue(), file_name="bomb.zip", caption="/import")

    assert "the zip unpacks to more than 50 MB" in admin.last.text
    assert (await counts(pool))["courses"] == 0


async def test_a_file_over_20_mb_is_refused_without_downloading(
    admin: Dialogue, tiny_zip: bytes, emulator, pool
) -> None:
    await admin.send_document(
        tiny_zip, file_name="huge.zip", caption="/import", file_size=21 * 1024 * 1024
    )
    assert admin.last.text.startswith("❌ That file is larger than 20 MB")
    assert emulator.calls_to("getFile") == []
    assert (await counts(pool))["courses"] == 0
    assert await audit(pool) == [(ADMIN_ID, "import", "invalid")]


async def test_learners_and_tutors_may_not_import(
    talk, admin: Dialogue, tiny_zip: bytes, emulator, pool
) -> None:
    eve = talk(44, "Eve", username="eve")
    await eve.send_document(tiny_zip, file_name="tiny.zip", caption="/import")
    assert eve.last.text == NOT_ALLOWED
    await eve.send("/import")
    assert eve.last.text == NOT_ALLOWED

    bob = talk(43, "Bob", username="bob")
    await bob.send("/start")
    await admin.send("/promote @bob tutor")
    await bob.send_document(tiny_zip, file_name="tiny.zip", caption="/import")
    assert bob.last.text == NOT_ALLOWED

    assert emulator.calls_to("getFile") == []
    assert (await counts(pool))["courses"] == 0
    rows = [row for row in await audit(pool) if row[1] == "import"]
    assert rows == [(44, "import", "denied"), (44, "import", "denied"), (43, "import", "denied")]


async def test_a_document_without_the_caption_gets_the_usual_reply(
    talk, tiny_zip: bytes, pool
) -> None:
    eve = talk(44, "Eve")
    await eve.send_document(tiny_zip, file_name="tiny.zip")
    assert eve.last.text.startswith("I can only read text messages")
    assert await audit(pool) == []


async def test_reindex_re_embeds_a_course_for_admins_only(talk, admin: Dialogue, pool) -> None:
    class OtherModel(LocalHashEmbedder):
        @property
        def model(self) -> str:
            return "other-model"

    await import_pack(pool, TINY_PACK, OtherModel())
    chunks = await pool.fetchval("SELECT count(*) FROM course_chunks")

    eve = talk(44, "Eve")
    await eve.send("/reindex tiny")
    assert eve.last.text == NOT_ALLOWED

    await admin.send("/reindex tiny")
    assert admin.last.text.startswith(f"✅ Reindexed tiny: {chunks} chunks (")
    model = LocalHashEmbedder().model
    assert await pool.fetchval("SELECT embedding_model FROM courses") == model
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM course_chunks "
            "WHERE embedding_model = $1 AND embedding IS NOT NULL",
            model,
        )
        == chunks
    )
    assert (await import_pack(pool, TINY_PACK)).unchanged  # the index is the current model's

    await admin.send("/reindex nosuch")
    assert admin.last.text == "There is no course “nosuch”."
    await admin.send("/reindex")
    assert admin.last.text == "Usage: /reindex course-slug"
    assert await audit(pool) == [
        (44, "reindex", "denied"),
        (ADMIN_ID, "reindex", "done"),
        (ADMIN_ID, "reindex", "invalid"),
    ]


async def test_the_demo_pack_imports_through_the_chat(
    admin: Dialogue, pool, tmp_path: Path
) -> None:
    started = time.perf_counter()
    await admin.send_document(
        zipped(DEMO_PACK, tmp_path), file_name="ml-foundations.zip", caption="/import"
    )
    print(f"demo pack via chat: {time.perf_counter() - started:.2f} s: {admin.last.text}")
    assert admin.last.text.startswith("✅ Imported "), admin.last.text
    assert await pool.fetchval("SELECT count(*) FROM topics") == 12


def test_a_long_list_of_problems_fits_one_message() -> None:
    problems = [f"modules/01/quiz.yaml:{n}: something is wrong here" for n in range(1, 500)]
    text = refusal_text(problems, "big.zip")
    assert len(text) <= MAX_TEXT
    assert text.splitlines()[-1].startswith("… and ")
    assert text.splitlines()[-1].endswith(" more")
