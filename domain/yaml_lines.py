"""YAML that remembers where things were written, so errors can say `file:line`."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode


class LineDict(dict[str, Any]):
    line: int = 1
    key_lines: dict[str, int]
    # How plain (unquoted) scalar values were written, e.g. "1.10" for a value YAML read
    # as the number 1.1: errors quote the author's own text.
    key_raw: dict[str, str]


class LineList(list[Any]):
    line: int = 1
    item_lines: list[int]
    item_raw: list[str | None]


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key
        self.line = line


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> LineDict:
        seen: dict[str, int] = {}
        raw: dict[str, str] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                if key_node.value in seen:
                    raise DuplicateKeyError(key_node.value, key_node.start_mark.line + 1)
                seen[key_node.value] = key_node.start_mark.line + 1
                if _plain(value_node):
                    raw[key_node.value] = value_node.value
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = seen
        mapping.key_raw = raw
        return mapping

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> LineList:
        items = LineList(super().construct_sequence(node, deep=True))
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        items.item_raw = [child.value if _plain(child) else None for child in node.value]
        return items


def _plain(node: Any) -> bool:
    return isinstance(node, ScalarNode) and node.style is None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


class YamlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load(text: str, first_line: int = 1) -> Any:
    """Parse YAML; raise YamlProblem with a 1-based line on syntax errors or duplicate keys."""
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader derives from SafeLoader
    except DuplicateKeyError as exc:
        raise YamlProblem(exc.line + first_line - 1, str(exc)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark else 1
        message = f"invalid YAML: {exc.problem or exc}"
        hint = _colon_hint(text, line) if exc.problem == _COLON_IN_VALUE else None
        raise YamlProblem(line + first_line - 1, hint or message) from None
    if first_line != 1:
        _shift(data, first_line - 1)
    return data


_COLON_IN_VALUE = "mapping values are not allowed here"
_KEY_VALUE = re.compile(r"^(\s*(?:-\s+)?)([A-Za-z0-9_-]+):\s+(.*?)\s*$")


def _colon_hint(text: str, line: int) -> str | None:
    """`title: Loss: the idea` — YAML reads the second ": " as a new mapping. Say what
    the author meant and how to write it, with their own line quoted."""
    lines = text.splitlines()
    found = _KEY_VALUE.match(lines[line - 1]) if 0 < line <= len(lines) else None
    if found is None:
        return None
    key, value = found.group(2), found.group(3)
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return (
        f"invalid YAML in {key}: a ': ' inside a value starts another key; "
        f"quote the value: {key}: {quoted}"
    )


def raw_of(data: Any, loc: tuple[int | str, ...]) -> str | None:
    """How the unquoted value at a pydantic error location was written, if it was."""
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            if last:
                return node.key_raw.get(part)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            if last:
                return node.item_raw[part]
            node = node[part]
        else:
            return None
    return None


def _shift(data: Any, by: int) -> None:
    if isinstance(data, LineDict):
        data.line += by
        data.key_lines = {k: v + by for k, v in data.key_lines.items()}
        for value in data.values():
            _shift(value, by)
    elif isinstance(data, LineList):
        data.line += by
        data.item_lines = [v + by for v in data.item_lines]
        for value in data:
            _shift(value, by)


def line_of(data: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest node along a pydantic error location."""
    line = getattr(data, "line", 1)
    node = data
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str):
            line = node.key_lines.get(part, node.line)
            if part not in node:
                return line
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
        line = getattr(node, "line", line) if isinstance(node, LineDict | LineList) else line
    return line
