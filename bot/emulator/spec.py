"""The Bot API's machine-readable description, used to check every call the bot makes.

The emulator only implements the handful of methods Tutorbot uses, but it can still tell
whether *any* call is one Telegram would accept: the method exists, required parameters
are there, nothing misspelled is passed, and values have the declared JSON types. That
catches the mistakes no unit test with a mocked ``Bot`` would (a parameter renamed in a
newer Bot API, a string where an array was meant, a button with no text).

The data comes from ``api.json`` of the telegram-bot-api-spec project (MIT, see
``tests/data/bot-api/README.md``): ``methods`` and ``types`` keyed by name, each with
``fields`` of ``name``/``types``/``required``/``description``; union types list their
``subtypes``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ARRAY_PREFIX = "Array of "
_DISCRIMINATOR = re.compile(r'(?:must be|always) "?([a-z_]+)"?')
_MAX_DEPTH = 8  # deep enough for keyboards (markup -> rows -> row -> button -> web_app)


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request: what the spec calls an ``InputFile``."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:  # keep recorded calls readable: no raw bytes
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[str, ...]

    def discriminator(self) -> tuple[str, str] | None:
        """For a subtype of a union: the field and value that identify it (type="chat")."""
        for field in self.fields.values():
            if field.required and field.types == ("String",):
                match = _DISCRIMINATOR.search(field.description)
                if match:
                    return field.name, match.group(1)
        return None


class BotApiSpec:
    """Lookup and validation over the Bot API description."""

    def __init__(
        self,
        methods: Mapping[str, MethodSpec],
        types: Mapping[str, TypeSpec],
        version: str = "",
    ) -> None:
        self.version = version
        self.types = dict(types)
        self._methods = {name.lower(): spec for name, spec in methods.items()}

    @classmethod
    def load(cls, path: str | Path) -> BotApiSpec:
        """Read ``api.json`` as published by telegram-bot-api-spec."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BotApiSpec:
        methods = {
            name: MethodSpec(name, _fields(raw.get("fields", ())), tuple(raw.get("returns", ())))
            for name, raw in data["methods"].items()
        }
        types = {
            name: TypeSpec(name, _fields(raw.get("fields", ())), tuple(raw.get("subtypes", ())))
            for name, raw in data["types"].items()
        }
        return cls(methods, types, str(data.get("version", "")))

    # -- lookup --------------------------------------------------------------------------

    def method(self, name: str) -> MethodSpec | None:
        """The method, looked up case-insensitively as Telegram does."""
        return self._methods.get(name.lower())

    def canonical_name(self, name: str) -> str | None:
        """``SENDMESSAGE`` -> ``sendMessage``; None for a method that doesn't exist."""
        spec = self.method(name)
        return spec.name if spec else None

    @property
    def method_names(self) -> list[str]:
        return sorted(spec.name for spec in self._methods.values())

    def param_types(self, method: str) -> dict[str, tuple[str, ...]]:
        """Declared types per parameter, e.g. ``{"chat_id": ("Integer", "String"), ...}``.

        The server uses this to decide which form values are JSON (everything that isn't
        declared as a plain String) — PTB, like most clients, JSON-encodes all non-string
        values and sends strings raw.
        """
        spec = self.method(method)
        if spec is None:
            return {}
        return {name: field.types for name, field in spec.fields.items()}

    # -- validation ----------------------------------------------------------------------

    def validate(self, method: str, params: Mapping[str, Any]) -> list[str]:
        """Everything wrong with calling ``method`` with these (already decoded) params.

        Problems are phrased for the "Bad Request: …" description. An empty list means
        Telegram would at least understand the call; semantic checks (does the chat exist,
        is the text too long) are the server's job.
        """
        spec = self.method(method)
        if spec is None:
            return [f'method "{method}" does not exist in the Bot API']
        problems: list[str] = []
        for field in spec.fields.values():
            if field.required and field.name not in params:
                problems.append(f'parameter "{field.name}" is required')
        for name, value in params.items():
            declared = spec.fields.get(name)
            if declared is None:
                problems.append(f'unknown parameter "{name}" for method {spec.name}')
                continue
            problems.extend(self._check(value, declared.types, name, 0))
        return problems

    def check_value(self, value: Any, types: Sequence[str], path: str = "value") -> list[str]:
        """Check one value against declared types like ``["Integer", "String"]``."""
        return self._check(value, tuple(types), path, 0)

    def fits(self, value: Any, types: Sequence[str]) -> bool:
        return not self._check(value, tuple(types), "value", 0)

    def _check(self, value: Any, types: tuple[str, ...], path: str, depth: int) -> list[str]:
        if depth > _MAX_DEPTH:
            return []
        if len(types) == 1:
            return self._check_one(value, types[0], path, depth)
        claimed: list[list[str]] = []
        for declared in types:
            problems = self._check_one(value, declared, path, depth)
            if not problems:
                return []
            if isinstance(value, dict) and self._claims(value, declared):
                claimed.append(problems)
        if len(claimed) == 1:  # e.g. a dict with "inline_keyboard": explain what's wrong in it
            return claimed[0]
        return [f'"{path}" must be {" or ".join(types)}, not {_json_kind(value)}']

    def _claims(self, value: dict[str, Any], declared: str) -> bool:
        """Whether an object evidently means to be ``declared`` (has one of its required keys)."""
        type_spec = self.types.get(declared)
        if type_spec is None or type_spec.subtypes:
            return False
        return any(f.required and f.name in value for f in type_spec.fields.values())

    def _check_one(self, value: Any, declared: str, path: str, depth: int) -> list[str]:
        if declared.startswith(_ARRAY_PREFIX):
            if not isinstance(value, list):
                return [f'"{path}" must be {declared}, not {_json_kind(value)}']
            element = declared[len(_ARRAY_PREFIX) :]
            problems: list[str] = []
            for index, item in enumerate(value):
                problems.extend(self._check(item, (element,), f"{path}[{index}]", depth + 1))
            return problems
        scalar = _SCALARS.get(declared)
        if scalar is not None:
            if scalar(value):
                return []
            return [f'"{path}" must be {declared}, not {_json_kind(value)}']
        type_spec = self.types.get(declared)
        if type_spec is None:  # a type this spec doesn't describe: accept any object
            return [] if isinstance(value, dict) else [_not_object(path, declared, value)]
        if not isinstance(value, dict):
            return [_not_object(path, declared, value)]
        if type_spec.subtypes:
            return self._check_union(value, type_spec, path, depth)
        return self._check_fields(value, type_spec, path, depth)

    def _check_union(
        self, value: dict[str, Any], union: TypeSpec, path: str, depth: int
    ) -> list[str]:
        candidates = [self.types[name] for name in union.subtypes if name in self.types]
        for candidate in candidates:
            tag = candidate.discriminator()
            if tag and value.get(tag[0]) == tag[1]:
                return self._check_fields(value, candidate, path, depth)
        for candidate in candidates:
            if not self._check_fields(value, candidate, path, depth):
                return []
        return [f'"{path}" must be one of {", ".join(union.subtypes)}']

    def _check_fields(
        self, value: dict[str, Any], type_spec: TypeSpec, path: str, depth: int
    ) -> list[str]:
        # Unknown keys inside objects are ignored by Telegram, so they are not flagged.
        problems: list[str] = []
        for field in type_spec.fields.values():
            if field.name not in value:
                if field.required:
                    problems.append(f'"{path}.{field.name}" is required in {type_spec.name}')
                continue
            problems.extend(
                self._check(value[field.name], field.types, f"{path}.{field.name}", depth + 1)
            )
        return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_upload(value: Any) -> bool:
    # An uploaded file; a file_id/URL/attach:// reference arrives as "String" instead.
    return isinstance(value, UploadedFile)


_SCALARS: dict[str, Callable[[Any], bool]] = {
    "Integer": _is_int,
    "Float": _is_float,
    "String": _is_str,
    "Boolean": _is_bool,
    "True": _is_bool,  # e.g. ReplyKeyboardRemove.remove_keyboard
    "InputFile": _is_upload,
}


def _not_object(path: str, declared: str, value: Any) -> str:
    return f'"{path}" must be a {declared} object, not {_json_kind(value)}'


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, UploadedFile):
        return "an uploaded file"
    if value is None:
        return "null"
    return type(value).__name__


def _fields(raw_fields: Sequence[Mapping[str, Any]]) -> dict[str, FieldSpec]:
    return {
        raw["name"]: FieldSpec(
            name=raw["name"],
            types=tuple(raw.get("types", ())),
            required=bool(raw.get("required", False)),
            description=str(raw.get("description", "")),
        )
        for raw in raw_fields
    }
