"""Importing a course pack: the one code path behind `tutorbot import` and the admin's
/import in the chat (read and validate with bot.pack_files, then CourseImportService)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from bot.pack_files import load_pack
from domain.course_import import ImportSummary
from domain.course_pack import CoursePack
from domain.placement import Placement
from domain.wording import count

ZIP_MAGIC = b"PK\x03\x04"
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # what the Bot API's getFile will hand out


def is_zip(data: bytes | bytearray) -> bool:
    return bytes(data[:4]) == ZIP_MAGIC


async def check_pack(path: Path) -> CoursePack:
    """Read and validate off the event loop (PDFs take a while); raises PackError."""
    return await asyncio.to_thread(load_pack, path)


def contents(summary: ImportSummary) -> str:
    return (
        f"{count(summary.modules, 'module')}, {count(summary.topics, 'topic')}, "
        f"{count(summary.questions, 'question')}, {count(summary.suggestions, 'suggestion')}, "
        f"{count(summary.chunks, 'chunk')}"
    )


def placement_lines(placements: Sequence[Placement], warnings: Sequence[str] = ()) -> str:
    """Where the reference material went, module by module, and the author's warnings."""
    lines = []
    if placements:
        by_module: dict[int, int] = {}
        for placement in placements:
            by_module[placement.module_no] = by_module.get(placement.module_no, 0) + 1
        counts = ", ".join(f"module {m}: {n}" for m, n in sorted(by_module.items()))
        lines.append(f"Reference sections by module ({counts}); `tutorbot import` lists each.")
    shown = list(warnings[:5])
    lines += [f"⚠ {w}" for w in shown]
    if len(warnings) > len(shown):
        lines.append(f"⚠ … and {len(warnings) - len(shown)} more warnings")
    return "\n".join(lines)
