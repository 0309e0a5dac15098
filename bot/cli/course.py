"""`tutorbot import` and `tutorbot search`: course authors' and operators' tools."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from bot.app import database, open_course_import, open_path_import, open_search
from bot.pack_import import check_pack, contents
from bot.settings import Settings
from domain.course_import import ImportSummary
from domain.course_pack import PackError
from domain.paths import parse_path
from domain.retrieval import SearchHit


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
        async with database(settings) as url, open_course_import(settings, url) as importer:
            summary = await importer.import_pack(pack, ProgressBar("embedding"))
    except PackError as exc:  # the pack itself, or its `requires:` against the database
        return refused(exc, "pack")
    print(summary_line(summary, time.perf_counter() - started))
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if summary.placements:
        print("reference material, by module (course.yaml reference_modules or {module=N}):")
        for placement in summary.placements:
            print(f"  {placement.citation} ({placement.source}): {placement.describe()}")
    return 0


async def import_path_command(settings: Settings, args: argparse.Namespace) -> int:
    """A learning path's YAML file: validated, then stored (replacing the path of its slug)."""
    file = Path(args.path)
    try:
        text = await asyncio.to_thread(file.read_text, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"tutorbot: cannot read {file}: {exc}", file=sys.stderr)
        return 1
    try:
        path = parse_path(file.name, text)
        async with database(settings) as url, open_path_import(settings, url) as paths:
            await paths.import_path(path)
    except PackError as exc:
        return refused(exc, "path")
    courses = len(path.courses)
    print(f"imported path {path.slug}: {courses} course{'s' * (courses != 1)}")
    return 0


def refused(exc: PackError, what: str) -> int:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    count = len(exc.problems)
    print(
        f"tutorbot: the {what} was refused ({count} problem{'s' * (count != 1)}); "
        "nothing was imported",
        file=sys.stderr,
    )
    return 1


async def search_command(settings: Settings, args: argparse.Namespace) -> int:
    async with database(settings) as url, open_search(settings, url) as (embedder, search):
        [vector] = await embedder.embed([args.query])
        hits = await search.search(
            args.slug,
            args.query,
            vector,
            model=embedder.model,
            k=args.k,
            max_module=args.max_module,
        )
    print(render_hits(hits, as_json=args.json, explain=args.explain))
    return 0


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def render_hits(hits: list[SearchHit], *, as_json: bool, explain: bool = False) -> str:
    if as_json:
        return json.dumps(
            [
                {
                    "rank": h.rank,
                    "score": round(h.score, 6),
                    "chunk_id": h.chunk_id,
                    "citation": h.citation,
                    "module": h.module_no,
                    "topic": h.topic_number,
                    "source": h.source,
                    "position": h.position,
                    "lexical": {"rank": h.lexical_rank, "score": _rounded(h.lexical_score)},
                    "dense": {"rank": h.dense_rank, "score": _rounded(h.dense_score)},
                    "coverage": round(h.coverage, 4),
                    "matched_terms": list(h.matched_terms),
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
        where = f"module {h.module_no}" + (
            f", topic {h.topic_number}" if h.topic_number is not None else f", {h.source}"
        )
        text = " ".join(h.content.split())
        block = f"#{h.rank}  score {h.score:.4f}  [{h.citation}]  ({where})\n    " + (
            text[:300] + "…" if len(text) > 300 else text
        )
        if explain:
            block += "\n    " + _explanation(h)
        blocks.append(block)
    return "\n\n".join(blocks)


def _explanation(hit: SearchHit) -> str:
    """Why the hit ranked where it did: each half's rank and score, the words it matched."""
    lexical = (
        f"BM25 #{hit.lexical_rank} ({hit.lexical_score:.3f})"
        if hit.lexical_rank is not None and hit.lexical_score is not None
        else "BM25: not among the candidates"
    )
    dense = (
        f"vector #{hit.dense_rank}"
        if hit.dense_rank is not None
        else "vector: not among the nearest"
    )
    similarity = f"cosine {hit.dense_score:.3f}" if hit.dense_score is not None else ""
    matched = ", ".join(hit.matched_terms) or "none"
    return (
        f"why: {lexical}; {dense} ({similarity}); matched terms: {matched}; "
        f"covers {hit.coverage:.0%} of the question's term weight; chunk {hit.chunk_id} at "
        f"{hit.source}#{hit.position}"
    )


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="validate and import a course pack (folder or .zip)",
        description="Validate a course pack and import it (idempotent by slug).",
    )
    p.add_argument("path", help="course pack folder or .zip")
    p.set_defaults(func=import_command)
    p = sub.add_parser(
        "import-path",
        help="validate and import a learning path (a .yaml file)",
        description="Validate a learning path file and import it (idempotent by slug).",
    )
    p.add_argument("path", help="the path's .yaml file")
    p.set_defaults(func=import_path_command)
    p = sub.add_parser(
        "search",
        help="show what retrieval returns for a question",
        description="Hybrid (BM25 + vector) search over one course.",
    )
    p.add_argument("slug", help="course slug")
    p.add_argument("query", help="the question, in quotes")
    p.add_argument("--k", type=int, default=5, help="number of results (default 5)")
    p.add_argument("--max-module", type=int, default=None, help="only modules up to N")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--explain", action="store_true", help="say why each hit ranked where it did")
    p.set_defaults(func=search_command)
