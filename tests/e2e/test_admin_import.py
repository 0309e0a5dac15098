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
from bot.views.refusals import NOT_ALLOWED
from storage.chunks import PgChunkStore
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
    assert "Reference sections by module (module " in progress.text
    assert (
        "⚠ modules/01-kinds-of-tea/quiz.yaml:1: only 2 questions: one answer decides the "
        "result, and every attempt asks the same ones (quiz_question_count is 10)"
    ) in progress.text, "a thin quiz imports, with a warning"
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
    module = next((pack / "modules").glob("02-*/module.yaml"))
    module.write_text("title: Brewing: time and heat\n")
    before = await counts(pool)

    await admin.send_document(zipped(pack, tmp_path), file_name="tiny.zip", caption="/import")

    text = admin.last.text
    assert text.startswith("❌ tiny.zip was refused"), text
    assert "nothing was imported" in text
    assert "• modules/01-kinds-of-tea/quiz.yaml:4: invalid YAML" in text, text
    assert (
        "• modules/02-brewing/module.yaml:1: invalid YAML in title: a ': ' inside a value "
        'starts another key; quote the value: title: "Brewing: time and heat"'
    ) in text, text
    assert "title: is required" not in text, "only the real problem"
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


NOTES = """# Brewing notes

## Water

Gyokuro likes water at about 60 °C; the phrase zanzibar-kettle-whistle appears only here.

## Timing

Steep green tea for two minutes and black tea for four.
"""


def text_pdf(line: str) -> bytes:
    """A one-page PDF whose text pypdf can extract (built by hand: pypdf cannot write text)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


async def source_count(pool: asyncpg.Pool, source: str) -> int:
    return await pool.fetchval("SELECT count(*) FROM course_chunks WHERE source = $1", source)


async def test_a_reference_file_is_added_to_a_course_and_replaced_when_sent_again(
    admin: Dialogue, pool
) -> None:
    imported = await import_pack(pool, TINY_PACK)
    replies = await admin.send_document(
        NOTES.encode(), file_name="notes.md", caption="/import tiny"
    )

    [progress] = replies
    versions = [v.text for v in progress.history] + [progress.text]
    assert versions[:3] == ["⏳ Downloading…", "⏳ Reading…", "⏳ Embedding notes.md…"]
    added = await source_count(pool, "reference/notes.md")
    assert added > 0
    total = imported.chunks + added
    assert progress.text.startswith(f"✅ Added notes.md in tiny: {added} chunks ({total} in"), (
        progress.text
    )
    assert "Reference sections by module (module " in progress.text
    placed = await pool.fetchval(
        "SELECT count(*) FROM course_chunks WHERE source = 'reference/notes.md' "
        "AND module_no IS NOT NULL"
    )
    assert placed == added, "an added document is placed in modules too"
    assert await pool.fetchval("SELECT chunk_count FROM courses") == total
    embedder = LocalHashEmbedder()
    [vector] = await embedder.embed(["zanzibar-kettle-whistle"])
    hits = await PgChunkStore(pool).search(
        "tiny", "zanzibar-kettle-whistle", vector, model=embedder.model, k=3
    )
    assert hits[0].source == "reference/notes.md"
    assert hits[0].citation.startswith("Brewing notes")

    await admin.send_document(NOTES.encode(), file_name="notes.md", caption="/import tiny")
    assert admin.last.text.startswith(f"✅ Replaced notes.md in tiny: {added} chunks ({total} in")
    assert await source_count(pool, "reference/notes.md") == added
    assert await pool.fetchval("SELECT count(*) FROM course_chunks") == total

    await admin.send_document(
        b"Plain words about oolong.", file_name="x.txt", caption="/import tiny"
    )
    assert admin.last.text.startswith("✅ Added x.txt in tiny: 1 chunk ("), admin.last.text

    # The next full import of the pack is not skipped: it keeps only the pack's own chunks.
    again = await import_pack(pool, TINY_PACK)
    assert not again.unchanged
    assert await source_count(pool, "reference/notes.md") == 0
    assert await pool.fetchval("SELECT chunk_count FROM courses") == imported.chunks
    assert [row[2] for row in await audit(pool)] == ["done", "done", "done"]


async def test_a_pdf_reference_is_read_and_an_empty_one_refused(admin: Dialogue, pool) -> None:
    await import_pack(pool, TINY_PACK)
    pdf = text_pdf("Matcha is whisked, never steeped.")
    await admin.send_document(pdf, file_name="matcha.pdf", caption="/import tiny")
    assert admin.last.text.startswith("✅ Added matcha.pdf in tiny: 1 chunk ("), admin.last.text
    content = await pool.fetchval(
        "SELECT content FROM course_chunks WHERE source = 'reference/matcha.pdf'"
    )
    assert "Matcha is whisked, never steeped." in content

    before = await counts(pool)
    await admin.send_document(text_pdf(""), file_name="scan.pdf", caption="/import tiny")
    assert admin.last.text.startswith("❌ I found no text in scan.pdf"), admin.last.text
    await admin.send_document(b"not a pdf at all", file_name="bad.pdf", caption="/import tiny")
    assert admin.last.text.startswith("❌ I couldn't read bad.pdf as a PDF"), admin.last.text
    await admin.send_document(b"\xff\xfe\x00", file_name="bad.md", caption="/import tiny")
    assert admin.last.text.startswith("❌ bad.md is not UTF-8 text"), admin.last.text
    await admin.send_document(b"PK\x03\x04", file_name="pack.zip", caption="/import tiny")
    assert admin.last.text.startswith("❌ Only a .pdf, .md or .txt file"), admin.last.text
    assert await counts(pool) == before


async def test_a_reference_for_an_unknown_course_or_from_a_learner_is_refused(
    talk, admin: Dialogue, emulator, pool
) -> None:
    await import_pack(pool, TINY_PACK)
    before = await counts(pool)
    await admin.send_document(NOTES.encode(), file_name="notes.md", caption="/import nosuch")
    assert admin.last.text == "There is no course “nosuch”."

    eve = talk(44, "Eve")
    await eve.send_document(NOTES.encode(), file_name="notes.md", caption="/import tiny")
    assert eve.last.text == NOT_ALLOWED

    assert emulator.calls_to("getFile") == []
    assert await counts(pool) == before
    assert await audit(pool) == [(ADMIN_ID, "import", "invalid"), (44, "import", "denied")]


async def test_a_reference_is_refused_when_the_course_uses_another_model(
    admin: Dialogue, pool
) -> None:
    class OtherModel(LocalHashEmbedder):
        @property
        def model(self) -> str:
            return "other-model"

    await import_pack(pool, TINY_PACK, OtherModel())
    before = await counts(pool)
    await admin.send_document(NOTES.encode(), file_name="notes.md", caption="/import tiny")
    assert admin.last.text.startswith("❌ tiny is indexed with other-model"), admin.last.text
    assert "/reindex tiny" in admin.last.text
    assert await counts(pool) == before
