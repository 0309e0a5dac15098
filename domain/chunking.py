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

from domain.course_pack import CoursePack

MAX_CHARS = 1100
OVERLAP_CHARS = 180

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
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


def sections(markdown: str) -> list[Section]:
    """Blocks (paragraphs, lists, code fences) grouped under their heading path."""
    result: list[Section] = []
    path: list[tuple[int, str]] = []
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
            result.append(Section(tuple(h for _, h in path), tuple(blocks)))
            blocks.clear()

    for line in markdown.splitlines():
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
        heading = _HEADING.match(line)
        if heading:
            end_section()
            level = len(heading.group(1))
            path[:] = [(lvl, h) for lvl, h in path if lvl < level]
            path.append((level, _strip_inline(heading.group(2))))
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
        for body in _pack(section.blocks, max_chars - len(header) - 2, overlap):
            chunks.append(
                Chunk(source, len(chunks), label, f"{header}\n\n{body}", module_no, topic_number)
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


def _strip_inline(text: str) -> str:
    return re.sub(r"[*_`]+", "", text).strip()


def chunk_pack(pack: CoursePack) -> list[Chunk]:
    """Every retrievable chunk of a course: topics' default texts and reference material.

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
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match and len(match.group(1)) == 1:
            return _strip_inline(match.group(2))
        if line.strip():
            return None
    return None
