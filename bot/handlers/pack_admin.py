"""Admins manage course content from the chat.

/import: a course-pack .zip sent as a document with the caption /import is downloaded
through the Bot API and imported by the same code as `tutorbot import`; one message is
edited with the progress and the outcome. A .pdf, .md or .txt sent with the caption
`/import <course-slug>` becomes (or replaces, by file name) reference material of that
existing course (see ReferenceImporter; a later full re-import of the course's pack
replaces it with the pack's own chunks). /reindex <slug>: re-embed a course's chunks.
Both are admin-only, authorised and audited before anything is read or downloaded.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path, PurePath

from telegram import Message, Update
from telegram.error import TelegramError

from bot.ai.factory import build_embedder
from bot.context import TutorContext
from bot.handlers.admin import show_plain
from bot.handlers.profile import profile_of
from bot.handlers.render import show
from bot.pack_files import MAX_FILE_BYTES, pdf_text
from bot.pack_import import (
    MAX_DOWNLOAD_BYTES,
    check_pack,
    contents,
    import_checked,
    is_zip,
    placement_lines,
)
from bot.views import admin as admin_views
from bot.views import refusals
from domain import wording
from domain.admin import Action, CourseRef, Staff
from domain.chunking import chunk_pack
from domain.course_import import CourseReindexer, ModelMismatch, ReferenceImporter
from domain.course_pack import PackError
from domain.errors import AccessDenied
from domain.retrieval import Embedder
from storage.courses import PgCourseRepository

MAX_TEXT = 4096
TOO_BIG = (
    "❌ That file is larger than 20 MB, the most a bot can download from Telegram. "
    "Make the pack smaller (compress images, split PDFs) or import it on the server "
    "with `tutorbot import`."
)
NOT_ZIP = "❌ That isn't a .zip file. Send the course pack as a .zip with the caption /import."
REFERENCE_TYPES = (".pdf", ".md", ".txt")
NOT_REFERENCE = (
    "❌ Only a .pdf, .md or .txt file can be added to a course with /import course-slug. "
    "To import a whole course, send its .zip with the caption /import."
)

log = logging.getLogger(__name__)


def _embedder(context: TutorContext) -> Embedder:
    """The configured embedder, built once per application (a local model is slow to load)."""
    data = context.application.bot_data
    if "pack_embedder" not in data:
        data["pack_embedder"] = build_embedder(context.services.settings)
    return data["pack_embedder"]


async def import_text(update: Update, context: TutorContext) -> None:
    """/import typed as text: refuse non-admins, tell admins how to send a pack."""
    user = await context.services.users.register(profile_of(update.effective_user))
    try:
        await context.services.admin.require(user.id, Action.IMPORT, "")
    except AccessDenied as refused:
        await show_plain(update, refusals.refusal_text(refused))
        return
    await show(update, admin_views.usage("import"))


async def import_document(update: Update, context: TutorContext) -> None:
    message = update.effective_message
    if message is None or message.document is None:
        return
    document = message.document
    args = (message.caption or "").split()[1:]
    if args:
        await import_reference(update, context, message, args)
        return
    user = await context.services.users.register(profile_of(update.effective_user))
    admin = context.services.admin
    target = (document.file_name or "")[:64]
    try:
        staff = await admin.require(user.id, Action.IMPORT, target)
    except AccessDenied as refused:
        await show_plain(update, refusals.refusal_text(refused))
        return
    if document.file_size is not None and document.file_size > MAX_DOWNLOAD_BYTES:
        await admin.record(staff, Action.IMPORT, target, "invalid", {"size": document.file_size})
        await show_plain(update, TOO_BIG)
        return

    started = time.perf_counter()
    progress = await message.reply_text("⏳ Downloading…")
    try:
        file = await context.bot.get_file(document.file_id)
        data = await file.download_as_bytearray()
    except TelegramError as exc:
        await admin.record(staff, Action.IMPORT, target, "failed", {"why": "download"})
        # Not the error's text: a failed download's message can carry the file URL, and with
        # it the bot token.
        log.warning("import: downloading the document failed: %s", exc)
        await _edit(progress, "❌ I couldn't download the file from Telegram. Try again.")
        return
    if len(data) > MAX_DOWNLOAD_BYTES:
        await admin.record(staff, Action.IMPORT, target, "invalid", {"size": len(data)})
        await _edit(progress, TOO_BIG)
        return
    if not is_zip(data):
        await admin.record(staff, Action.IMPORT, target, "invalid", {"why": "not a zip"})
        await _edit(progress, NOT_ZIP)
        return

    await _edit(progress, "⏳ Checking…")
    with tempfile.TemporaryDirectory(prefix="tutorbot-import-") as folder:
        path = Path(folder) / "pack.zip"
        path.write_bytes(data)
        del data
        try:
            pack = await check_pack(path)
        except PackError as exc:
            problems = [str(p) for p in exc.problems]
            await admin.record(staff, Action.IMPORT, target, "invalid", {"problems": len(problems)})
            await _edit(progress, refusal_text(problems, document.file_name or "pack.zip"))
            return

    await _edit(progress, f"⏳ Embedding {wording.count(len(chunk_pack(pack)), 'chunk')}…")
    summary = await import_checked(context.services.pool, _embedder(context), pack)
    seconds = time.perf_counter() - started
    detail = {"slug": summary.slug, "chunks": summary.chunks, "embedded": summary.embedded}
    await admin.record(staff, Action.IMPORT, summary.slug, "done", detail)
    what = "Unchanged" if summary.unchanged else "Imported"
    report = placement_lines(summary.placements, summary.warnings)
    await _edit(
        progress,
        f"✅ {what} {pack.meta.name} ({summary.slug}): {contents(summary)} "
        f"({summary.embedded} embedded) in {seconds:.1f} s" + (f"\n{report}" if report else ""),
    )


async def import_reference(
    update: Update, context: TutorContext, message: Message, args: list[str]
) -> None:
    """A .pdf/.md/.txt with the caption /import <slug>: add it to the course's references."""
    document = message.document
    assert document is not None
    granted = await _for_one_course(update, context, Action.IMPORT, "import", args)
    if granted is None:
        return
    staff, course = granted
    admin = context.services.admin
    name = PurePath((document.file_name or "").replace("\\", "/")).name
    if not name.lower().endswith(REFERENCE_TYPES) or name.startswith("."):
        await admin.record(staff, Action.IMPORT, course.slug, "invalid", {"file": name[:64]})
        await show_plain(update, NOT_REFERENCE)
        return
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await admin.record(
            staff, Action.IMPORT, course.slug, "invalid", {"size": document.file_size}
        )
        await show_plain(update, TOO_BIG)
        return

    started = time.perf_counter()
    progress = await message.reply_text("⏳ Downloading…")
    try:
        file = await context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        await admin.record(staff, Action.IMPORT, course.slug, "failed", {"why": "download"})
        await _edit(progress, f"❌ I couldn't download the file: {exc.message}. Try again.")
        return
    if len(data) > MAX_FILE_BYTES:
        await admin.record(staff, Action.IMPORT, course.slug, "invalid", {"size": len(data)})
        await _edit(progress, TOO_BIG)
        return

    await _edit(progress, "⏳ Reading…")
    text, problem = await _reference_text(name, data)
    if problem is None and not text.strip():
        problem = (
            f"❌ I found no text in {name} (a scanned PDF has only images); nothing was added."
        )
    if problem is not None:
        await admin.record(staff, Action.IMPORT, course.slug, "invalid", {"file": name[:64]})
        await _edit(progress, problem)
        return

    await _edit(progress, f"⏳ Embedding {name}…")
    importer = ReferenceImporter(PgCourseRepository(context.services.pool), _embedder(context))
    try:
        summary = await importer.run(course.slug, name, text)
    except ModelMismatch as exc:
        detail = {"file": name[:64], "model": exc.course_model}
        await admin.record(staff, Action.IMPORT, course.slug, "invalid", detail)
        await _edit(
            progress,
            f"❌ {course.slug} is indexed with {exc.course_model}, but the bot now embeds with "
            f"{exc.configured}; nothing was added. Run /reindex {course.slug} first.",
        )
        return
    seconds = time.perf_counter() - started
    detail = {"file": name[:64], "chunks": summary.chunks, "replaced": summary.replaced}
    await admin.record(staff, Action.IMPORT, course.slug, "done", detail)
    what = "Replaced" if summary.replaced else "Added"
    report = placement_lines(summary.placements)
    await _edit(
        progress,
        f"✅ {what} {name} in {course.slug}: {wording.count(summary.chunks, 'chunk')} "
        f"({summary.total} in the course) in {seconds:.1f} s" + (f"\n{report}" if report else ""),
    )


async def _reference_text(name: str, data: bytes) -> tuple[str, str | None]:
    """The document's text, or a refusal to show."""
    if name.lower().endswith(".pdf"):
        try:
            return await asyncio.to_thread(pdf_text, data), None
        except Exception as exc:  # pypdf raises many types for damaged files
            return "", f"❌ I couldn't read {name} as a PDF ({exc}); nothing was added."
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n"), None
    except UnicodeDecodeError as exc:
        return "", f"❌ {name} is not UTF-8 text (byte {exc.start}); nothing was added."


def refusal_text(problems: list[str], name: str) -> str:
    """The problems, one a line, cut to fit one message."""
    count = len(problems)
    head = f"❌ {name} was refused ({wording.count(count, 'problem')}); nothing was imported:"
    lines = [head]
    length = len(head)
    for shown, problem in enumerate(problems):
        line = "• " + (problem if len(problem) <= 500 else problem[:499] + "…")
        rest = f"… and {count - shown} more"
        if length + 1 + len(line) + 1 + len(rest) > MAX_TEXT:
            lines.append(rest)
            break
        lines.append(line)
        length += 1 + len(line)
    return "\n".join(lines)


async def reindex_command(update: Update, context: TutorContext) -> None:
    """/reindex <slug>: re-embed the course's stored chunks (see CourseReindexer)."""
    args = context.args or []
    granted = await _for_one_course(update, context, Action.REINDEX, "reindex", args)
    if granted is None:
        return
    staff, course = granted
    admin = context.services.admin
    started = time.perf_counter()
    reindexer = CourseReindexer(PgCourseRepository(context.services.pool), _embedder(context))
    summary = await reindexer.run(course.slug)
    seconds = time.perf_counter() - started
    detail = {"chunks": summary.chunks, "embedded": summary.embedded, "model": summary.model}
    await admin.record(staff, Action.REINDEX, course.slug, "done", detail)
    await show_plain(
        update,
        f"✅ Reindexed {course.slug}: {wording.count(summary.chunks, 'chunk')} "
        f"({summary.embedded} distinct texts embedded) with {summary.model} "
        f"({summary.dimensions} dimensions) in {seconds:.1f} s",
    )


async def _for_one_course(
    update: Update, context: TutorContext, action: Action, usage: str, args: list[str]
) -> tuple[Staff, CourseRef] | None:
    """`/<command> <slug>` from someone allowed for that course, or None once answered
    (refused and audited, or shown the usage line)."""
    user = await context.services.users.register(profile_of(update.effective_user))
    admin = context.services.admin
    try:
        await admin.require(user.id, action, " ".join(args)[:64])
        if len(args) != 1:
            await show(update, admin_views.usage(usage))
            return None
        staff, course = await admin.authorise(user.id, action, args[0], args[0])
    except AccessDenied as refused:
        await show_plain(update, refusals.refusal_text(refused))
        return None
    assert course is not None
    return staff, course


async def _edit(message: Message, text: str) -> None:
    await message.edit_text(text[:MAX_TEXT], parse_mode=None)
