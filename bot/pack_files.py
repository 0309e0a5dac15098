"""Reading a course pack from disk (a folder or a .zip) into the texts the domain validates."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from domain.course_pack import CoursePack, Problem, parse_pack

MAX_FILE_BYTES = 20 * 1024 * 1024
# Zip-bomb guards: what a whole archive may unpack to, and how many entries it may hold.
MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 2_000
# A damaged, encrypted or oddly compressed entry.
UNPACK_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
)


def load_pack(path: Path) -> CoursePack:
    """Read and validate; raises domain.course_pack.PackError listing every problem."""
    raw, problems = _read_zip(path) if path.suffix.lower() == ".zip" else _read_folder(path)
    texts: dict[str, str] = {}
    for name, data in raw.items():
        if name.lower().endswith(".pdf"):
            try:
                texts[name] = pdf_text(data)
            except Exception as exc:  # pypdf raises many types for damaged files
                problems.append(Problem(name, 1, f"cannot read PDF: {exc}"))
            continue
        try:
            texts[name] = data.decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, 1, f"not UTF-8 text (byte {exc.start})"))
    return parse_pack(texts, problems)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    return "\n\n".join(f"## Page {n}\n\n{text}" for n, text in enumerate(pages, 1) if text)


def _read_folder(root: Path) -> tuple[dict[str, bytes], list[Problem]]:
    if not root.is_dir():
        return {}, [Problem(str(root), 1, "not a folder or .zip course pack")]
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for file in sorted(root.rglob("*")):
        rel = file.relative_to(root).as_posix()
        if file.is_dir() or any(part.startswith(".") for part in rel.split("/")):
            continue
        if file.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(rel, 1, "file is larger than 20 MB"))
            continue
        files[rel] = file.read_bytes()
    return files, problems


def _read_zip(path: Path) -> tuple[dict[str, bytes], list[Problem]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return {}, [Problem(path.name, 1, f"cannot open zip: {exc}")]
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    with archive:
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) > MAX_ZIP_ENTRIES:
            return {}, [Problem(path.name, 1, f"more than {MAX_ZIP_ENTRIES} files in the zip")]
        # Declared sizes bound what zipfile will inflate (a lying header fails its CRC check).
        if sum(i.file_size for i in entries) > MAX_ZIP_BYTES:
            limit = MAX_ZIP_BYTES // (1024 * 1024)
            return {}, [Problem(path.name, 1, f"the zip unpacks to more than {limit} MB")]
        names = [PurePosixPath(i.filename) for i in entries]
        # A zip made from the folder itself has one top-level directory; look inside it.
        tops = {n.parts[0] for n in names if n.parts}
        strip = 1 if len(tops) == 1 and all(len(n.parts) > 1 for n in names) else 0
        for info, name in zip(entries, names, strict=True):
            if name.is_absolute() or ".." in name.parts:
                problems.append(Problem(info.filename, 1, "unsafe path in zip"))
                continue
            rel = "/".join(name.parts[strip:])
            if not rel or any(p.startswith((".", "__MACOSX")) for p in rel.split("/")):
                continue
            if info.file_size > MAX_FILE_BYTES:
                problems.append(Problem(rel, 1, "file is larger than 20 MB"))
                continue
            try:
                files[rel] = archive.read(info)
            except UNPACK_ERRORS as exc:
                problems.append(Problem(rel, 1, f"cannot unpack: {exc}"))
    return files, problems
