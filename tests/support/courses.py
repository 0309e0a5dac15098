"""Importing course packs in tests, through the same importer the CLI uses."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import asyncpg

from bot.ai.local_embeddings import LocalHashEmbedder
from bot.pack_files import load_pack
from domain.course_import import CourseImporter, ImportSummary
from storage.course_import import PgCourseImportStore

REPO = Path(__file__).resolve().parents[2]
DEMO_PACK = REPO / "courses" / "ml-foundations"
TINY_PACK = REPO / "tests" / "data" / "packs" / "tiny"


async def import_pack(pool: asyncpg.Pool, path: Path, embedder=None) -> ImportSummary:
    importer = CourseImporter(PgCourseImportStore(pool), embedder or LocalHashEmbedder())
    return await importer.run(load_pack(path))


def editable_copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


async def import_as(
    pool: asyncpg.Pool, source: Path, tmp_path: Path, slug: str, name: str | None = None
) -> ImportSummary:
    """A copy of `source` imported as another course (its own slug, and name if given)."""
    pack = editable_copy(source, tmp_path)
    meta = pack / "course.yaml"
    text = re.sub(r"(?m)^slug: .*$", f"slug: {slug}", meta.read_text())
    if name is not None:
        text = re.sub(r"(?m)^name: .*$", f"name: {name}", text)
    meta.write_text(text)
    return await import_pack(pool, pack)
