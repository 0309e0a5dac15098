"""Splitting course material into retrieval chunks.

Chunks follow the author's structure: they never straddle a heading, paragraphs stay whole
where they fit, and consecutive chunks of one section overlap a little so a fact that sits
on a boundary is still found whole in one of them. Each chunk carries the heading path it
came from, both in its text (it helps both search methods) and in its citation label.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from domain.course_pack import MODULE_ATTRIBUTE, CoursePack

MAX_CHARS = 1100
OVERLAP_CHARS = 180

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")  # a setext heading's underline
_RULE = re.compile(r"^\s{0,3}([-=*_~])(\s*\1){2,}\s*$")  # a horizontal rule, ASCII art
_END_MARKER = re.compile(
    r"^(end|close)\b.*\b(sidebar|box|note|aside|callout|example|exercise)s?\W*$", re.I
)
_CODE_LINE = re.compile(
    r"^(?!\s*#)\s*(?:(?:import|from|def|class|for|while|if|elif|else|return|print|with|try|except)\b"
    r"|[\w.\[\]]+\s*[-+*/%]?=(?!=)|.*[;{}]\s*$|.*\)\s*$)"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(*`])")


@dataclass(frozen=True)
class Chunk:
    source: str
    position: int
    citation: str
    content: str
    module_no: int | None = None
    topic_number: int | None = None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()


@dataclass(frozen=True)
class Section:
    headings: tuple[str, ...]
    blocks: tuple[str, ...]
    module_no: int | None = None  # an author's `{module=N}` on this heading or above it


def sections(markdown: str) -> list[Section]:
    """Blocks (paragraphs, lists, code fences) grouped under their heading path.

    Headings are ATX (`## Title`) or setext (a line underlined with `===` or `---`). A `#`
    line inside a paragraph or directly above code is a code comment, not a heading; an
    "End sidebar" marker closes its section instead of opening one; rules drawn with
    `----`, `====` or `****` are dropped.
    """
    result: list[Section] = []
    path: list[tuple[int, str, int | None]] = []
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False

    def end_block() -> None:
        if current:
            text = "\n".join(current).strip()
            if text:
                blocks.append(text)
            current.clear()

    def end_section() -> None:
        end_block()
        if blocks:
            modules = [m for _, _, m in path if m is not None]
            result.append(
                Section(
                    tuple(h for _, h, _ in path), tuple(blocks), modules[-1] if modules else None
                )
            )
            blocks.clear()

    def open_heading(level: int, text: str) -> None:
        end_section()
        attribute = MODULE_ATTRIBUTE.search(text)
        module = int(attribute.group(1)) if attribute else None
        title = _strip_inline(MODULE_ATTRIBUTE.sub("", text))
        if _END_MARKER.match(title):  # back to the section the sidebar interrupted
            if path:
                path.pop()
            return
        path[:] = [entry for entry in path if entry[0] < level]
        path.append((level, title, module))

    lines = markdown.splitlines()
    for number, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            if not in_fence:
                end_block()
            current.append(line)
            in_fence = not in_fence
            if not in_fence:
                end_block()
            continue
        if in_fence:
            current.append(line)
            continue
        underline = _UNDERLINE.match(line)
        if underline and len(current) == 1 and len(line.strip()) >= 3:
            text = current.pop()
            if len(text) <= 120 and not text.lstrip().startswith(("-", "*", ">", "|")):
                open_heading(1 if underline.group(1)[0] == "=" else 2, text.strip())
                continue
            current.append(text)
        if _RULE.match(line):
            end_block()
            continue
        heading = _HEADING.match(line)
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if heading and not _is_code_comment(heading, current, following):
            open_heading(len(heading.group(1)), heading.group(2))
            continue
        if not line.strip():
            end_block()
        else:
            current.append(line)
    end_section()
    return result


def chunk_markdown(
    markdown: str,
    *,
    source: str,
    title: str,
    citation: str,
    module_no: int | None = None,
    topic_number: int | None = None,
    max_chars: int = MAX_CHARS,
    overlap: int = OVERLAP_CHARS,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in sections(markdown):
        trail = [h for h in section.headings if h != title]
        label = " › ".join([citation, *trail])
        header = " › ".join([title, *trail])
        module = module_no if module_no is not None else section.module_no
        for body in _pack(section.blocks, max_chars - len(header) - 2, overlap):
            chunks.append(
                Chunk(source, len(chunks), label, f"{header}\n\n{body}", module, topic_number)
            )
    return chunks


def _pack(blocks: tuple[str, ...], limit: int, overlap: int) -> list[str]:
    # Long blocks are cut short enough that the previous chunk's tail still fits in front.
    room = max(limit - overlap - 2, limit // 2)
    pieces = [
        piece for block in blocks for piece in _fit(block, limit if len(block) <= limit else room)
    ]
    bodies: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        if current and size + len(piece) + 2 > limit:
            bodies.append("\n\n".join(current))
            tail = _tail(current[-1], overlap)
            current, size = (
                ([tail], len(tail)) if tail and len(tail) + len(piece) + 2 <= limit else ([], 0)
            )
        current.append(piece)
        size += len(piece) + 2
    if current:
        bodies.append("\n\n".join(current))
    return bodies


def _fit(block: str, limit: int) -> list[str]:
    """A block longer than the limit is cut at sentence ends, then at spaces."""
    if len(block) <= limit:
        return [block]
    parts: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(block):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            parts.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + len(sentence) + 1 > limit:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts


def _tail(text: str, overlap: int) -> str:
    """The last sentences of a chunk, up to `overlap` characters, to open the next one."""
    if overlap <= 0:
        return ""
    sentences = _SENTENCE_END.split(text)
    tail = ""
    for sentence in reversed(sentences):
        if len(tail) + len(sentence) + 1 > overlap:
            break
        tail = f"{sentence} {tail}".strip()
    return tail


def _is_code_comment(heading: re.Match[str], above: list[str], following: str) -> bool:
    """`# load the data` in unfenced code: under a code line, or a `#` line above one."""
    if any(_CODE_LINE.match(line) for line in above):
        return True
    return len(heading.group(1)) == 1 and bool(_CODE_LINE.match(following))


def _strip_inline(text: str) -> str:
    """A heading as plain text: no emphasis marks, and not shouted (`1. DATA` -> `1. Data`)."""
    plain = re.sub(r"[*_`]+", "", text).strip()
    letters = [c for c in plain if c.isalpha()]
    if len(letters) > 3 and all(c.isupper() for c in letters):
        plain = plain.title()
    return plain


def chunk_pack(pack: CoursePack) -> list[Chunk]:
    """Every retrievable chunk of a course: topics' default texts and reference material
    (whose sections have a module only where the author gave one: domain.placement
    places the rest).

    Persona variants retell the same facts, so indexing them would only crowd the results.
    """
    chunks: list[Chunk] = []
    for module in pack.modules:
        for topic in module.topics:
            number = f"{module.number}.{topic.number}"
            chunks += chunk_markdown(
                topic.text,
                source=f"topic/{number}",
                title=topic.title,
                citation=f"{number} {topic.title}",
                module_no=module.number,
                topic_number=topic.number,
            )
    for doc in pack.references:
        chunks += chunk_reference(doc.name, doc.text)
    return chunks


def chunk_reference(name: str, text: str) -> list[Chunk]:
    """One reference document (source ``reference/<name>``, cited by its title)."""
    title = _document_title(text) or name.rsplit(".", 1)[0].replace("-", " ").title()
    return chunk_markdown(text, source=f"reference/{name}", title=title, citation=title)


def _document_title(text: str) -> str | None:
    """The document's own title: a level-1 heading (`# Title` or `Title` over `====`) on
    its first line."""
    lines = [line for line in text.splitlines() if line.strip()][:2]
    if not lines:
        return None
    match = _HEADING.match(lines[0])
    if match and len(match.group(1)) == 1:
        return _strip_inline(MODULE_ATTRIBUTE.sub("", match.group(2)))
    if len(lines) == 2 and lines[1].strip().startswith("===") and _UNDERLINE.match(lines[1]):
        return _strip_inline(lines[0])
    return None


LONG_TOPIC_CHARS = 8_000


def warnings(pack: CoursePack) -> list[str]:
    """What an author may want to fix, though the pack imports: very long topics (a wall
    of pages in the chat) and headings that look like code or are too long to be one."""
    found: list[str] = []
    for module in pack.modules:
        for topic in module.topics:
            if len(topic.text) > LONG_TOPIC_CHARS:
                found.append(
                    f"{topic.source}:1: long topic ({len(topic.text):,} characters): "
                    "consider splitting it into two topics"
                )
            found += _heading_warnings(topic.source, topic.text)
    for doc in pack.references:
        found += _heading_warnings(f"reference/{doc.name}", doc.text)
    return found


def _heading_warnings(file: str, text: str) -> list[str]:
    found = []
    in_fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        heading = _HEADING.match(line)
        if in_fence or not heading:
            continue
        title = MODULE_ATTRIBUTE.sub("", heading.group(2))
        if len(title) > 120:
            found.append(f"{file}:{number}: a {len(title)}-character heading: is it text?")
        elif re.search(r"[=;{}]|\w\(|^(import|def|class|for|if|return)\b", title):
            found.append(f"{file}:{number}: heading {title!r} looks like code: fence the code")
    return found
