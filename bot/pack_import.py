"""Importing a course pack: the one code path behind `tutorbot import` and the admin's
/import in the chat (read and validate with bot.pack_files, then the CourseImporter)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from bot.pack_files import load_pack
from domain.course_import import CourseImporter, ImportSummary, Progress
from domain.course_pack import CoursePack
from domain.retrieval import Embedder
from storage.courses import PgCourseRepository

ZIP_MAGIC = b"PK\x03\x04"
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # what the Bot API's getFile will hand out


def is_zip(data: bytes | bytearray) -> bool:
    return bytes(data[:4]) == ZIP_MAGIC


async def check_pack(path: Path) -> CoursePack:
    """Read and validate off the event loop (PDFs take a while); raises PackError."""
    return await asyncio.to_thread(load_pack, path)


async def import_checked(
    pool: asyncpg.Pool, embedder: Embedder, pack: CoursePack, progress: Progress | None = None
) -> ImportSummary:
    return await CourseImporter(PgCourseRepository(pool), embedder).run(pack, progress)


def contents(summary: ImportSummary) -> str:
    return (
        f"{summary.modules} modules, {summary.topics} topics, {summary.questions} questions, "
        f"{summary.suggestions} suggestions, {summary.chunks} chunks"
    )
