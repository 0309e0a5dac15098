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

from bot.context import TutorContext
from bot.handlers.base import Reply, command
from bot.pack_files import MAX_FILE_BYTES, pdf_text
from bot.pack_import import (
    MAX_DOWNLOAD_BYTES,
    check_pack,
    contents,
    is_zip,
    placement_lines,
)
from bot.views import admin as admin_views
from bot.views.screen import plain
from domain import wording
from domain.admin import Action, CourseRef, Staff
from domain.chunking import chunk_pack
from domain.course_import import ModelMismatch
from domain.course_pack import PackError
from domain.users import User

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


@command
async def import_text(context: TutorContext, user: User, _u: Update) -> Reply:
    """/import typed as text: refuse non-admins, tell admins how to send a pack."""
    await context.services.admin.require(user.id, Action.IMPORT, "")
    return Reply(admin_views.usage("import"))


@command
async def import_document(context: TutorContext, user: User, update: Update) -> Reply | None:
    message = update.effective_message
    if message is None or message.document is None:
        return None
    document = message.document
    args = (message.caption or "").split()[1:]
    if args:
        return await import_reference(update, context, user, message, args)
    admin = context.services.admin
    target = (document.file_name or "")[:64]
    staff = await admin.require(user.id, Action.IMPORT, target)
    if document.file_size is not None and document.file_size > MAX_DOWNLOAD_BYTES:
        await admin.record(staff, Action.IMPORT, target, "invalid", {"size": document.file_size})
        return Reply(plain(TOO_BIG))

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
        return None
    if len(data) > MAX_DOWNLOAD_BYTES:
        await admin.record(staff, Action.IMPORT, target, "invalid", {"size": len(data)})
        await _edit(progress, TOO_BIG)
        return None
    if not is_zip(data):
        await admin.record(staff, Action.IMPORT, target, "invalid", {"why": "not a zip"})
        await _edit(progress, NOT_ZIP)
        return None

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
            return None

    await _edit(progress, f"⏳ Embedding {wording.count(len(chunk_pack(pack)), 'chunk')}…")
    try:
        summary = await context.services.course_import.import_pack(pack)
    except PackError as exc:  # its `requires:`, checked against the courses stored
        problems = [str(p) for p in exc.problems]
        await admin.record(staff, Action.IMPORT, target, "invalid", {"problems": len(problems)})
        await _edit(progress, refusal_text(problems, document.file_name or "pack.zip"))
        return None
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
    update: Update, context: TutorContext, user: User, message: Message, args: list[str]
) -> Reply | None:
    """A .pdf/.md/.txt with the caption /import <slug>: add it to the course's references."""
    document = message.document
    assert document is not None
    granted = await _for_one_course(context, user, Action.IMPORT, args)
    if not isinstance(granted, tuple):
        return granted
    staff, course = granted
    admin = context.services.admin
    name = PurePath((document.file_name or "").replace("\\", "/")).name
    if not name.lower().endswith(REFERENCE_TYPES) or name.startswith("."):
        await admin.record(staff, Action.IMPORT, course.slug, "invalid", {"file": name[:64]})
        return Reply(plain(NOT_REFERENCE))
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await admin.record(
            staff, Action.IMPORT, course.slug, "invalid", {"size": document.file_size}
        )
        return Reply(plain(TOO_BIG))

    started = time.perf_counter()
    progress = await message.reply_text("⏳ Downloading…")
    try:
        file = await context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        await admin.record(staff, Action.IMPORT, course.slug, "failed", {"why": "download"})
        await _edit(progress, f"❌ I couldn't download the file: {exc.message}. Try again.")
        return None
    if len(data) > MAX_FILE_BYTES:
        await admin.record(staff, Action.IMPORT, course.slug, "invalid", {"size": len(data)})
        await _edit(progress, TOO_BIG)
        return None

    await _edit(progress, "⏳ Reading…")
    text, problem = await _reference_text(name, data)
    if problem is None and not text.strip():
        problem = (
            f"❌ I found no text in {name} (a scanned PDF has only images); nothing was added."
        )
    if problem is not None:
        await admin.record(staff, Action.IMPORT, course.slug, "invalid", {"file": name[:64]})
        await _edit(progress, problem)
        return None

    await _edit(progress, f"⏳ Embedding {name}…")
    try:
        summary = await context.services.course_import.add_reference(course.slug, name, text)
    except ModelMismatch as exc:
        detail = {"file": name[:64], "model": exc.course_model}
        await admin.record(staff, Action.IMPORT, course.slug, "invalid", detail)
        await _edit(
            progress,
            f"❌ {course.slug} is indexed with {exc.course_model}, but the bot now embeds with "
            f"{exc.configured}; nothing was added. Run /reindex {course.slug} first.",
        )
        return None
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


@command
async def reindex_command(context: TutorContext, user: User, _u: Update) -> Reply:
    """/reindex <slug>: re-embed the course's stored chunks (see CourseReindexer)."""
    granted = await _for_one_course(context, user, Action.REINDEX, context.args or [])
    if not isinstance(granted, tuple):
        return granted
    staff, course = granted
    admin = context.services.admin
    started = time.perf_counter()
    summary = await context.services.course_import.reindex(course.slug)
    seconds = time.perf_counter() - started
    detail = {"chunks": summary.chunks, "embedded": summary.embedded, "model": summary.model}
    await admin.record(staff, Action.REINDEX, course.slug, "done", detail)
    return Reply(
        plain(
            f"✅ Reindexed {course.slug}: {wording.count(summary.chunks, 'chunk')} "
            f"({summary.embedded} distinct texts embedded) with {summary.model} "
            f"({summary.dimensions} dimensions) in {seconds:.1f} s"
        )
    )


async def _for_one_course(
    context: TutorContext, user: User, action: Action, args: list[str]
) -> tuple[Staff, CourseRef] | Reply:
    """`/<command> <slug>` from someone allowed for that course, or the usage line to show
    (a refusal, audited, is raised)."""
    admin = context.services.admin
    await admin.require(user.id, action, " ".join(args)[:64])
    if len(args) != 1:
        return Reply(admin_views.usage(action.value))
    staff, course = await admin.authorise(user.id, action, args[0], args[0])
    assert course is not None
    return staff, course


async def _edit(message: Message, text: str) -> None:
    await message.edit_text(text[:MAX_TEXT], parse_mode=None)
