"""Course Markdown → Telegram HTML, split into pages that fit a message.

Each block (paragraph, list, heading, code fence, quote) is rendered on its own and is
valid HTML by itself, so pages can be cut between any two blocks. A block whose inline
markup would not nest properly falls back to escaped plain text: we would rather lose a
bit of emphasis than have Telegram refuse the message.
"""

from __future__ import annotations

import re
from html import escape, unescape

MESSAGE_LIMIT = 4096

_FENCE = re.compile(r"^```\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,3})[.)]\s+(.*)$")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_ITALIC_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_TAG = re.compile(r"<(/?)(b|i|u|s|a|code|pre|blockquote)\b[^>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def plain_length(html: str) -> int:
    """What Telegram counts against its limit: the text after entity parsing."""
    return utf16_length(unescape(re.sub(r"<[^>]+>", "", html)))


def inline(text: str) -> str:
    """Inline Markdown (code, links, bold, italics) → HTML, everything else escaped."""
    spans: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        spans.append(f"<code>{escape(match.group(1), quote=False)}</code>")
        return f"\x00{len(spans) - 1}\x00"

    out = _CODE_SPAN.sub(keep_code, text)
    out = escape(out, quote=False)
    out = _LINK.sub(_link, out)
    out = _BOLD.sub(r"<b>\1</b>", out)
    out = _ITALIC_STAR.sub(r"<i>\1</i>", out)
    out = _ITALIC_UNDERSCORE.sub(r"<i>\1</i>", out)
    out = re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], out)
    if not _balanced(out):
        return escape(text.replace("**", "").replace("`", ""), quote=False)
    return out


def _link(match: re.Match[str]) -> str:
    url = match.group(2).replace('"', "%22")
    return f'<a href="{url}">{match.group(1)}</a>'


def _balanced(html: str) -> bool:
    stack: list[str] = []
    for closing, tag in _TAG.findall(html):
        if not closing:
            stack.append(tag)
        elif not stack or stack.pop() != tag:
            return False
    return not stack


def blocks(markdown: str) -> list[str]:
    """Markdown source blocks: paragraphs, lists, headings, quotes, code fences."""
    result: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE.match(line.strip()):
            if not in_fence and current:
                result.append("\n".join(current))
                current = []
            current.append(line)
            in_fence = not in_fence
            if not in_fence:
                result.append("\n".join(current))
                current = []
            continue
        if in_fence:
            current.append(line)
        elif not line.strip():
            if current:
                result.append("\n".join(current))
                current = []
        elif _HEADING.match(line):
            if current:
                result.append("\n".join(current))
            result.append(line)
            current = []
        else:
            current.append(line)
    if current:
        result.append("\n".join(current))
    return result


def render_block(block: str) -> str:
    lines = block.splitlines()
    first = lines[0].strip()
    fence = _FENCE.match(first)
    if fence and len(lines) >= 2:
        body = "\n".join(lines[1:-1] if _FENCE.match(lines[-1].strip()) else lines[1:])
        language = fence.group(1)
        code = escape(body, quote=False)
        if language:
            return f'<pre><code class="language-{language}">{code}</code></pre>'
        return f"<pre>{code}</pre>"
    heading = _HEADING.match(first)
    if heading and len(lines) == 1:
        text = escape(re.sub(r"[*_`]+", "", heading.group(2)), quote=False)
        return f"<b>{text}</b>" if len(heading.group(1)) <= 2 else f"<b><i>{text}</i></b>"
    if all(line.lstrip().startswith(">") for line in lines):
        quoted = " ".join(line.lstrip()[1:].strip() for line in lines)
        return f"<blockquote>{inline(quoted)}</blockquote>"
    if _BULLET.match(lines[0]) or _NUMBERED.match(lines[0]):
        return "\n".join(_list_line(line) for line in _join_list_items(lines))
    return inline(" ".join(line.strip() for line in lines))


def _join_list_items(lines: list[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        if _BULLET.match(line) or _NUMBERED.match(line) or not items:
            items.append(line)
        else:
            items[-1] += " " + line.strip()
    return items


def _list_line(line: str) -> str:
    if bullet := _BULLET.match(line):
        indent = "  " * (len(bullet.group(1)) // 2)
        return f"{indent}• {inline(bullet.group(2))}"
    if numbered := _NUMBERED.match(line):
        indent = "  " * (len(numbered.group(1)) // 2)
        return f"{indent}{numbered.group(2)}. {inline(numbered.group(3))}"
    return inline(line.strip())


def render(markdown: str) -> str:
    return "\n\n".join(render_block(b) for b in blocks(markdown))


def paginate(markdown: str, limit: int) -> list[str]:
    """Pages of HTML whose parsed length is at most `limit` each; never an empty list."""
    rendered: list[str] = []
    for block in blocks(markdown):
        html = render_block(block)
        if plain_length(html) <= limit:
            rendered.append(html)
        else:
            rendered.extend(_split_block(block, limit))
    pages: list[str] = []
    current: list[str] = []
    size = 0
    for html in rendered:
        length = plain_length(html)
        if current and size + 2 + length > limit:
            pages.append("\n\n".join(current))
            current, size = [], 0
        current.append(html)
        size += length + (2 if size else 0)
    if current:
        pages.append("\n\n".join(current))
    return pages or [""]


def _split_block(block: str, limit: int) -> list[str]:
    """An oversized block is cut at sentence ends (or lines, for code), then hard-wrapped."""
    lines = block.splitlines()
    if _FENCE.match(lines[0].strip()):
        body = lines[1:-1] if _FENCE.match(lines[-1].strip()) else lines[1:]
        pieces = _group(body, limit - 20, "\n")
        return [f"<pre>{escape(p, quote=False)}</pre>" for p in pieces]
    words = " ".join(line.strip() for line in lines)
    sentences = [s for s in _SENTENCE_END.split(words) if s]
    return [inline(piece) for piece in _group(sentences, limit, " ")]


def _group(parts: list[str], limit: int, joiner: str) -> list[str]:
    groups: list[str] = []
    current = ""
    for part in parts:
        while utf16_length(part) > limit:
            cut = part.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                groups.append(current)
                current = ""
            groups.append(part[:cut])
            part = part[cut:].lstrip()
        candidate = f"{current}{joiner}{part}" if current else part
        if utf16_length(candidate) > limit and current:
            groups.append(current)
            current = part
        else:
            current = candidate
    if current:
        groups.append(current)
    return groups
