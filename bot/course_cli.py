"""`tutorbot import` and `tutorbot search`: course authors' and operators' tools."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bot.ai.factory import build_embedder
from bot.pack_import import check_pack, contents, import_checked
from bot.runtime import database
from bot.settings import Settings
from domain.course_import import ImportSummary
from domain.course_pack import PackError
from domain.retrieval import SearchHit
from storage.chunks import PgChunkSearch
from storage.database import create_pool


class ProgressBar:
    """A one-line bar on a terminal; silent when output is redirected."""

    def __init__(self, label: str, stream=sys.stderr) -> None:
        self._label = label
        self._stream = stream
        self._active = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self._active or total == 0:
            return
        width = 30
        filled = round(width * done / total)
        bar = "█" * filled + "·" * (width - filled)
        self._stream.write(f"\r{self._label} [{bar}] {done}/{total}")
        if done >= total:
            self._stream.write("\n")
        self._stream.flush()


def summary_line(summary: ImportSummary, seconds: float) -> str:
    what = contents(summary)
    if summary.unchanged:
        return f"{summary.slug}: unchanged ({what}) in {seconds:.1f} s"
    return f"imported {summary.slug}: {what} ({summary.embedded} embedded) in {seconds:.1f} s"


async def import_command(settings: Settings, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        pack = await check_pack(Path(args.path))
    except PackError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(
            f"tutorbot: the pack was refused ({count} problem{'s' * (count != 1)}); "
            "nothing was imported",
            file=sys.stderr,
        )
        return 1
    embedder = build_embedder(settings)
    async with database(settings) as url:
        pool = await create_pool(url, max_size=2)
        try:
            summary = await import_checked(pool, embedder, pack, ProgressBar("embedding"))
        finally:
            await pool.close()
    print(summary_line(summary, time.perf_counter() - started))
    return 0


async def search_command(settings: Settings, args: argparse.Namespace) -> int:
    embedder = build_embedder(settings)
    async with database(settings) as url:
        pool = await create_pool(url, max_size=2)
        try:
            [vector] = await embedder.embed([args.query])
            hits = await PgChunkSearch(pool).search(
                args.slug,
                args.query,
                vector,
                model=embedder.model,
                k=args.k,
                max_module=args.max_module,
            )
        finally:
            await pool.close()
    print(render_hits(hits, as_json=args.json))
    return 0


def render_hits(hits: list[SearchHit], *, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            [
                {
                    "rank": h.rank,
                    "score": round(h.score, 6),
                    "citation": h.citation,
                    "module": h.module_no,
                    "topic": h.topic_number,
                    "source": h.source,
                    "text": h.content,
                }
                for h in hits
            ],
            ensure_ascii=False,
            indent=2,
        )
    if not hits:
        return "no results"
    blocks = []
    for h in hits:
        where = f"module {h.module_no}, topic {h.topic_number}" if h.module_no else "reference"
        text = " ".join(h.content.split())
        blocks.append(
            f"#{h.rank}  score {h.score:.4f}  [{h.citation}]  ({where})\n    "
            + (text[:300] + "…" if len(text) > 300 else text)
        )
    return "\n\n".join(blocks)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="validate and import a course pack (folder or .zip)",
        description="Validate a course pack and import it (idempotent by slug).",
    )
    p.add_argument("path", help="course pack folder or .zip")
    p.set_defaults(func=import_command)
    p = sub.add_parser(
        "search",
        help="show what retrieval returns for a question",
        description="Hybrid (vector + full-text) search over one course.",
    )
    p.add_argument("slug", help="course slug")
    p.add_argument("query", help="the question, in quotes")
    p.add_argument("--k", type=int, default=5, help="number of results (default 5)")
    p.add_argument("--max-module", type=int, default=None, help="only modules up to N")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=search_command)
