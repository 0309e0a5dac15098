"""YAML that remembers where things were written, so errors can say `file:line`."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode


class LineDict(dict[str, Any]):
    line: int = 1
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int = 1
    item_lines: list[int]


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key
        self.line = line


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> LineDict:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode):
                if key_node.value in seen:
                    raise DuplicateKeyError(key_node.value, key_node.start_mark.line + 1)
                seen[key_node.value] = key_node.start_mark.line + 1
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = seen
        return mapping

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> LineList:
        items = LineList(super().construct_sequence(node, deep=True))
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items


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
        raise YamlProblem(line + first_line - 1, f"invalid YAML: {exc.problem or exc}") from None
    if first_line != 1:
        _shift(data, first_line - 1)
    return data


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
