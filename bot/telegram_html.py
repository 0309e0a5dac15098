"""Telegram's HTML parse mode, re-implemented: what Telegram accepts, stores and shows.

Two users, hence a module of its own rather than a part of the emulator: the emulator
(``bot/emulator``) rejects what Telegram rejects with it, and the bot's views
(``bot/views/screen.py``) ask it what a screen will display, to see that a press would
change nothing before Telegram refuses the edit. The production bot never imports the
emulator package.

The Bot API server parses ``parse_mode=HTML`` with TDLib, which is much stricter than a
browser: an unknown tag, a stray ``<`` or a crossed end tag fails the whole request with
"Can't parse entities: …". This module follows TDLib's parser closely (same tags, same
error texts with UTF-8 byte offsets, ``&name;`` other than the four supported ones kept
literally, empty entities dropped, ``<pre><code class="language-x">`` merged into one
``pre`` entity) and then applies the same clean-up Telegram applies to every message text
(control characters, ``\\r``, leading/trailing whitespace). Offsets and lengths are counted
in UTF-16 code units because that is how Telegram counts entities and the 4096 limit.

Speed matters because the bot parses a screen on every button press: runs of plain text
are copied whole and counted in C (a 3,500-character topic page parses in well under a
millisecond); only tags and ``&`` entities go through the character-by-character
state machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]
"""A Bot API ``MessageEntity`` as JSON: ``{"type", "offset", "length", ...}``."""

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\0\v"  # TDLib's is_space(); NUL counts because C strings end with it
_END = "\0"
_NAME_END = re.compile(f"[{re.escape(_SPACES)}>]")
_BARE_TAG = re.compile(r"<(/?)([A-Za-z-]+)>")
_PLAIN_RUN = re.compile(r"[^<&]+")
_UNKNOWN_ENTITY = re.compile(r"&([A-Za-z]+|#[xX]?[0-9A-Fa-f]*);")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # what the clean-up changes: all but \n
_SURROGATE = re.compile("[\ud800-\udfff]")
_TG_USER_LINK = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)
_URL_SCHEMES = ("http", "https", "tg", "ton", "tonsite")
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]{2,}$|^localhost$", re.I)
_ENTITY_ORDER = {
    # Telegram sorts entities by offset, then longer first, then by this priority so
    # that nested formatting comes back in a stable order.
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 1,
    "code": 2,
    "text_link": 3,
    "text_mention": 3,
    "custom_emoji": 3,
    "date_time": 3,
    "bold": 4,
    "italic": 5,
    "underline": 6,
    "strikethrough": 7,
    "spoiler": 8,
}


class HtmlError(ValueError):
    """The text is not valid Telegram HTML.

    ``detail`` is TDLib's own message (e.g. ``Unsupported start tag "div" at byte offset 0``);
    ``str(error)`` adds the "Can't parse entities: " prefix the Bot API puts in front of it.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(f"Can't parse entities: {detail}")
        self.detail = detail


@dataclass(frozen=True)
class ParsedText:
    """Plain text plus Bot API entities, as Telegram would store the message.

    ``warnings`` lists constructs Telegram accepts silently but that are almost certainly
    mistakes, e.g. ``&nbsp;`` (shown to the user literally) or a link whose URL Telegram
    drops.
    """

    text: str
    entities: list[Entity] = field(default_factory=list)
    warnings: tuple[str, ...] = ()

    @property
    def utf16_length(self) -> int:
        return utf16_len(self.text)

    def spans(self) -> list[tuple[str, Entity]]:
        """Each entity paired with the piece of text it covers, in entity order."""
        return [(utf16_slice(self.text, e["offset"], e["length"]), e) for e in self.entities]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (most emoji) count twice."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of ``text`` an entity with this UTF-16 offset and length covers."""
    encoded = text.encode("utf-16-le", "surrogatepass")
    return encoded[2 * offset : 2 * (offset + length)].decode("utf-16-le", "replace")


def parse_html(html: str) -> ParsedText:
    """Parse ``html`` like Telegram's ``parse_mode=HTML`` and clean it up like Telegram.

    Raises :class:`HtmlError` with Telegram's wording when Telegram would refuse the text.
    The result may have empty text: deciding whether that is an error ("message text is
    empty") is the caller's business, because captions may be empty and messages may not.
    """
    parsed = _HtmlParser(html).parse()
    text, entities = normalize_text(parsed.text, parsed.entities)
    return ParsedText(text, entities, parsed.warnings)


def plain_text(text: str, entities: Sequence[Entity] = ()) -> ParsedText:
    """Clean up text sent without a parse mode, as Telegram does before storing it."""
    cleaned, cleaned_entities = normalize_text(text, [dict(e) for e in entities])
    return ParsedText(cleaned, cleaned_entities)


def normalize_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Telegram's final clean-up of a formatted text (TDLib ``fix_formatted_text``).

    Control characters other than newline become spaces, ``\\r`` disappears, trailing
    whitespace is cut, leading spaces/newlines before the first entity are cut, and
    entities that cover only whitespace or nothing are dropped. Entity offsets follow.
    """
    if _CONTROL.search(text) is None:  # the usual case: every position stays where it is
        result = text
        total = utf16_len(text)

        def where(old: int) -> int:
            return min(max(old, 0), total)

    else:
        result, position_map = _replace_controls(text)

        def where(old: int) -> int:
            return _map_position(position_map, old)

    encoded = result.encode("utf-16-le", "surrogatepass")
    moved: list[Entity] = []
    for entity in entities:
        start = where(entity["offset"])
        end = where(entity["offset"] + entity["length"])
        covered = encoded[2 * start : 2 * end].decode("utf-16-le", "replace")
        if covered.strip(" \n"):
            moved.append({**entity, "offset": start, "length": end - start})

    trimmed = result.rstrip(" \n")
    trimmed_len = utf16_len(trimmed)
    for entity in moved:
        if entity["offset"] + entity["length"] > trimmed_len:
            entity["length"] = trimmed_len - entity["offset"]
    first_entity = min((e["offset"] for e in moved), default=trimmed_len)
    cut = 0
    while cut < len(trimmed) and trimmed[cut] in " \n" and cut < first_entity:
        cut += 1
    for entity in moved:
        entity["offset"] -= cut
    return trimmed[cut:], sort_entities(moved)


def _replace_controls(text: str) -> tuple[str, list[int]]:
    """Control characters other than newline become spaces and ``\\r`` goes; with the map
    from every old UTF-16 boundary to its new position."""
    out: list[str] = []
    position_map: list[int] = [0]
    new_pos = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if ch == "\r":
            position_map.extend([new_pos] * width)
            continue
        if ord(ch) < 32 and ch != "\n":
            ch = " "
        out.append(ch)
        new_pos += width
        position_map.extend(range(new_pos - width + 1, new_pos + 1))
    return "".join(out), position_map


def sort_entities(entities: Iterable[Entity]) -> list[Entity]:
    """Order entities the way the Bot API returns them."""
    return sorted(
        entities,
        key=lambda e: (e["offset"], -e["length"], _ENTITY_ORDER.get(e["type"], 9)),
    )


def normalize_url(url: str) -> str | None:
    """TDLib's link check, simplified: the URL Telegram would store, or None to drop it.

    Telegram adds ``http://`` when the scheme is missing and ``/`` when the path is, and
    silently drops links it can't understand (no host, unknown scheme, spaces).
    """
    if not url or any(ch.isspace() for ch in url):
        return None
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://(.*)$", url)
    scheme, rest = (match.group(1).lower(), match.group(2)) if match else ("http", url)
    if scheme not in _URL_SCHEMES:
        return None
    if scheme in ("tg", "ton", "tonsite"):
        return f"{scheme}://{rest}" if rest else None
    host_end = len(rest)
    for sep in "/?#":
        pos = rest.find(sep)
        if pos != -1:
            host_end = min(host_end, pos)
    authority, tail = rest[:host_end], rest[host_end:]
    host = authority.rsplit("@", 1)[-1]
    host_only = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if not (_HOST.match(host_only) or re.match(r"^\d{1,3}(?:\.\d{1,3}){3}$", host_only)):
        return None
    if not tail.startswith("/"):
        tail = "/" + tail
    return f"{scheme}://{authority}{tail}"


def html_to_terminal(html: str, *, ansi: bool = False) -> str:
    """Readable text for a terminal: the message as the user sees it, minus the styling.

    Links keep their target in brackets after the text so nothing is hidden. With
    ``ansi=True`` bold/italic/underline/strikethrough/code are rendered with ANSI escapes.
    Falls back to the raw text when the HTML is invalid (the terminal must show something).
    """
    try:
        parsed = parse_html(html)
    except HtmlError:
        return html
    return entities_to_terminal(parsed.text, parsed.entities, ansi=ansi)


_ANSI = {
    "bold": ("\x1b[1m", "\x1b[22m"),
    "italic": ("\x1b[3m", "\x1b[23m"),
    "underline": ("\x1b[4m", "\x1b[24m"),
    "strikethrough": ("\x1b[9m", "\x1b[29m"),
    "code": ("\x1b[36m", "\x1b[39m"),
    "pre": ("\x1b[36m", "\x1b[39m"),
    "spoiler": ("\x1b[2m", "\x1b[22m"),
}


def entities_to_terminal(text: str, entities: Sequence[Entity], *, ansi: bool = False) -> str:
    """Render plain text + entities for a terminal (see :func:`html_to_terminal`)."""
    encoded = text.encode("utf-16-le", "surrogatepass")
    inserts: dict[int, list[str]] = {}
    for entity in entities:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if entity["type"] == "text_link":
            inserts.setdefault(end, []).append(f" ({entity['url']})")
        elif ansi and entity["type"] in _ANSI:
            opening, closing = _ANSI[entity["type"]]
            inserts.setdefault(start, []).append(opening)
            inserts.setdefault(end, []).insert(0, closing)
    pieces: list[str] = []
    cursor = 0
    for position in sorted(inserts):
        pieces.append(encoded[2 * cursor : 2 * position].decode("utf-16-le", "replace"))
        pieces.extend(inserts[position])
        cursor = position
    pieces.append(encoded[2 * cursor :].decode("utf-16-le", "replace"))
    return "".join(pieces)


def _map_position(position_map: list[int], old: int) -> int:
    if old >= len(position_map):
        return position_map[-1]
    return position_map[max(old, 0)]


def _is_ascii_alpha(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_ascii_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _is_hex_digit(ch: str) -> bool:
    return _is_ascii_digit(ch) or ("a" <= ch <= "f") or ("A" <= ch <= "F")


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    attributes: dict[str, str]
    utf16_offset: int
    text_index: int  # index into the output list, for <a> without href


class _HtmlParser:
    """One pass over the source, mirroring TDLib's ``do_parse_html`` state machine."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.out: list[str] = []
        self.utf16 = 0
        self.entities: list[Entity] = []
        self.stack: list[_OpenTag] = []
        self.warnings: list[str] = []

    def parse(self) -> ParsedText:
        src = self.src
        i = 0
        while i < len(src):
            ch = src[i]
            if ch not in "<&":
                run = _PLAIN_RUN.match(src, i)
                assert run is not None
                self._emit(run.group())
                i = run.end()
                continue
            if ch == "&":
                decoded = self._decode_entity(i)
                if decoded is not None:
                    self._emit(decoded[0])
                    i = decoded[1]
                    continue
                unknown = _UNKNOWN_ENTITY.match(src, i)
                if unknown:
                    self.warnings.append(
                        f"{unknown.group(0)} at byte offset {self._byte_offset(i)} is not an "
                        "entity Telegram knows (only &lt; &gt; &amp; &quot; and &#NNN;); "
                        "the user sees it literally"
                    )
            if ch != "<":
                self._emit(ch)
                i += 1
                continue
            bare = _BARE_TAG.match(src, i)
            if bare is not None:  # <b>, </b>: the usual tags, with nothing to scan inside
                if bare.group(1):
                    self._close_tag(i, bare.group(2))
                else:
                    self._open_tag(i, bare.group(2).lower(), {})
                i = bare.end()
                continue
            begin = i
            i += 1
            i = self._start_tag(begin, i) if self._at(i) != "/" else self._end_tag(begin, i)
        if self.stack:
            raise HtmlError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        text = "".join(self.out)
        if _SURROGATE.search(text):
            raise HtmlError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        return ParsedText(text, self.entities, tuple(self.warnings))

    # -- helpers -------------------------------------------------------------------------

    def _at(self, i: int) -> str:
        return self.src[i] if i < len(self.src) else _END

    def _byte_offset(self, i: int) -> int:
        return len(self.src[:i].encode("utf-8", "surrogatepass"))

    def _name_end(self, i: int) -> int:
        """Where a tag's name starting at ``i`` ends: at a space, ``>`` or the end."""
        found = _NAME_END.search(self.src, i)
        return len(self.src) if found is None else found.start()

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += utf16_len(text)

    def _decode_entity(self, i: int) -> tuple[str, int] | None:
        """TDLib's ``decode_html_entity``: the character and the index after the entity."""
        end = i + 1
        if self._at(end) == "#":
            end += 1
            value = 0
            if self._at(end) == "x":
                end += 1
                while _is_hex_digit(self._at(end)):
                    value = value * 16 + int(self._at(end), 16)
                    end += 1
                    if value >= 0x10FFFF:
                        return None
            else:
                while _is_ascii_digit(self._at(end)):
                    value = value * 10 + int(self._at(end))
                    end += 1
                    if value >= 0x10FFFF:
                        return None
            if value == 0 or value >= 0x10FFFF:
                return None
            char = chr(value)
        else:
            while _is_ascii_alpha(self._at(end)):
                end += 1
            named = _NAMED_ENTITIES.get(self.src[i + 1 : end])
            if named is None:
                return None
            char = named
        if self._at(end) == ";":
            end += 1
        return char, end

    def _start_tag(self, begin: int, i: int) -> int:
        i = self._name_end(i)
        if self._at(i) == _END:
            raise HtmlError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        tag = self.src[begin + 1 : i].lower()
        self._check_supported(begin, tag)
        attributes: dict[str, str] = {}
        while self._at(i) != ">":
            while self._at(i) != _END and self._at(i) in _SPACES:
                i += 1
            if self._at(i) == ">":
                break
            name_begin = i
            while self._at(i) not in _SPACES and self._at(i) not in "=>":
                i += 1
            name = self.src[name_begin:i]
            if not name:
                raise HtmlError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self._byte_offset(begin)}"
                )
            while self._at(i) != _END and self._at(i) in _SPACES:
                i += 1
            if self._at(i) != "=":
                if tag == "blockquote" and name.lower() == "expandable":
                    attributes["expandable"] = ""
                    continue
                raise HtmlError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self._byte_offset(begin)}'
                )
            i += 1
            while self._at(i) != _END and self._at(i) in _SPACES:
                i += 1
            if self._at(i) == _END:
                raise HtmlError(
                    f'Unclosed start tag "{tag}" at byte offset {self._byte_offset(begin)}'
                )
            value, i = self._attribute_value(i)
            if self._at(i) == _END:
                raise HtmlError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
            attributes[name] = value
        self._open_tag(begin, tag, attributes)
        return i + 1

    def _check_supported(self, begin: int, tag: str) -> None:
        if tag not in _SUPPORTED_TAGS:
            raise HtmlError(
                f'Unsupported start tag "{tag}" at byte offset {self._byte_offset(begin)}'
            )

    def _open_tag(self, begin: int, tag: str, attributes: dict[str, str]) -> None:
        self._check_supported(begin, tag)
        argument = self._tag_argument(tag, attributes, begin)
        self.stack.append(_OpenTag(tag, argument, attributes, self.utf16, len(self.out)))

    def _attribute_value(self, i: int) -> tuple[str, int]:
        quote = self._at(i)
        if quote not in "'\"":
            token_begin = i
            while (
                _is_ascii_alpha(self._at(i)) or _is_ascii_digit(self._at(i)) or self._at(i) in ".-"
            ):
                i += 1
            if self._at(i) not in _SPACES and self._at(i) != ">":
                raise HtmlError(
                    f"Unexpected end of name token at byte offset {self._byte_offset(token_begin)}"
                )
            return self.src[token_begin:i].lower(), i
        i += 1
        chars: list[str] = []
        while self._at(i) != quote and self._at(i) != _END:
            if self._at(i) == "&":
                decoded = self._decode_entity(i)
                if decoded is not None:
                    chars.append(decoded[0])
                    i = decoded[1]
                    continue
            chars.append(self._at(i))
            i += 1
        if self._at(i) == quote:
            i += 1
        return "".join(chars), i

    def _tag_argument(self, tag: str, attributes: dict[str, str], begin: int) -> str:
        if tag == "a":
            return attributes.get("href", "")
        if tag == "code":
            css = attributes.get("class", "")
            return css[len("language-") :] if css.startswith("language-") else ""
        if tag == "span":
            css = attributes.get("class", "")
            if css != "tg-spoiler":
                raise HtmlError(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{self._byte_offset(begin)}"
                )
            return "spoiler"
        if tag == "tg-emoji":
            return attributes.get("emoji-id", "")
        if tag == "tg-time":
            return attributes.get("unix", "")
        if tag == "blockquote":
            return "1" if "expandable" in attributes else ""
        return ""

    def _end_tag(self, begin: int, i: int) -> int:
        if not self.stack:
            raise HtmlError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        i += 1  # skip "/"
        i = self._name_end(i)
        end_name = self.src[begin + 2 : i]
        while self._at(i) in _SPACES and self._at(i) != _END:
            i += 1
        if self._at(i) != ">":
            raise HtmlError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        self._close_tag(begin, end_name)
        return i + 1

    def _close_tag(self, begin: int, end_name: str) -> None:
        if not self.stack:
            raise HtmlError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        opened = self.stack.pop()
        if end_name and end_name != opened.name:
            raise HtmlError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{opened.name}>", found "</{end_name}>"'
            )
        if self.utf16 > opened.utf16_offset:
            self._close_entity(opened, opened.utf16_offset, self.utf16 - opened.utf16_offset)

    def _close_entity(self, opened: _OpenTag, offset: int, length: int) -> None:
        tag, argument = opened.name, opened.argument
        base: Entity = {"offset": offset, "length": length}
        if tag in _SIMPLE_TAGS:
            self.entities.append({"type": _SIMPLE_TAGS[tag], **base})
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise HtmlError("Invalid custom emoji identifier specified")
            self.entities.append({"type": "custom_emoji", **base, "custom_emoji_id": argument})
        elif tag == "tg-time":
            if not argument.lstrip("-").isdigit():
                raise HtmlError("Invalid Unix time specified")
            entity: Entity = {"type": "date_time", **base, "unix_time": int(argument)}
            if opened.attributes.get("format"):
                entity["date_time_format"] = opened.attributes["format"]
            self.entities.append(entity)
        elif tag == "a":
            self._close_link(opened, base)
        elif tag == "pre":
            last = self.entities[-1] if self.entities else None
            if (
                last is not None
                and last["type"] == "code"
                and (last["offset"], last["length"]) == (offset, length)
                and last.get("language")
            ):
                last["type"] = "pre"
            else:
                self.entities.append({"type": "pre", **base})
        elif tag == "code":
            last = self.entities[-1] if self.entities else None
            if (
                last is not None
                and last["type"] == "pre"
                and (last["offset"], last["length"]) == (offset, length)
                and argument
            ):
                last["language"] = argument
            else:
                code: Entity = {"type": "code", **base}
                if argument:
                    code["language"] = argument  # kept only if a <pre> of the same span follows
                self.entities.append(code)
        elif tag == "blockquote":
            kind = "expandable_blockquote" if argument else "blockquote"
            self.entities.append({"type": kind, **base})

    def _close_link(self, opened: _OpenTag, base: Entity) -> None:
        url = opened.argument or "".join(self.out[opened.text_index :])
        mention = _TG_USER_LINK.match(url)
        if mention:
            # The server swaps in the full User (or drops the entity if it doesn't know it).
            self.entities.append({"type": "text_mention", **base, "user": {"id": int(mention[1])}})
            return
        normalized = normalize_url(url)
        if normalized is None:
            self.warnings.append(
                f'<a href="{url}"> is not a URL Telegram accepts; the link is dropped silently'
            )
            return
        self.entities.append({"type": "text_link", **base, "url": normalized})
