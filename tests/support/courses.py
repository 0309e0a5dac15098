"""Importing course packs in tests, through the same importer the CLI uses."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg

from bot.ai.local_embeddings import LocalHashEmbedder
from bot.pack_files import load_pack
from domain.course_import import CourseImporter, ImportSummary
from storage.courses import PgCourseRepository

REPO = Path(__file__).resolve().parents[2]
DEMO_PACK = REPO / "courses" / "ml-foundations"
TINY_PACK = REPO / "tests" / "data" / "packs" / "tiny"


async def import_pack(pool: asyncpg.Pool, path: Path, embedder=None) -> ImportSummary:
    importer = CourseImporter(PgCourseRepository(pool), embedder or LocalHashEmbedder())
    return await importer.run(load_pack(path))


def editable_copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target
