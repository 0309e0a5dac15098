"""Learning paths: an ordered list of courses with its own card in the catalog.

A path is written as one YAML file (docs/course-pack.md, "Learning paths") and imported
with `tutorbot import-path FILE`. What the file alone can check (fields, a course twice,
no course at all) is checked here as `file:line: message`; that every course is in the
database is checked by the import, in the transaction that writes the path. A path's
courses are not prerequisites of one another: a course says that itself (`requires:`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Protocol
from uuid import UUID

from pydantic import Field, StringConstraints

from domain.course_pack import Collector, PackError, Problem, Slug, Strict
from domain.errors import NotFound, Reason
from domain.learning.model import percent

MAX_COURSES = 30


class PathFile(Strict):
    slug: Slug
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    courses: list[Slug] = Field(max_length=MAX_COURSES)


@dataclass(frozen=True)
class PathPack:
    """A validated path file: its courses in order, each with the line it is on."""

    file: str
    slug: str
    name: str
    description: str
    courses: tuple[str, ...]
    course_lines: Mapping[str, int] = field(default_factory=dict)


def parse_path(file: str, text: str) -> PathPack:
    """Validate a path file (`file` names it in the problems); raise PackError listing all."""
    out = Collector()
    data = out.yaml(file, text)
    parsed: PathFile | None = out.model(file, data, PathFile)
    lines: dict[str, int] = {}
    if parsed is not None:
        items = getattr(data.get("courses"), "item_lines", [])
        for index, slug in enumerate(parsed.courses):
            line = items[index] if index < len(items) else 1
            if slug in lines:
                out.add(file, line, f"courses: {slug!r} is listed twice (also line {lines[slug]})")
            lines.setdefault(slug, line)
        if not parsed.courses:
            out.add(file, data.key_lines.get("courses", 1), "courses: a path needs a course")
    if out.problems or parsed is None:
        raise PackError(out.problems)
    return PathPack(
        file, parsed.slug, parsed.name, parsed.description.strip(), tuple(parsed.courses), lines
    )


def unknown_courses(path: PathPack, stored: Sequence[str]) -> list[Problem]:
    """Each course of the path that is not in the database, at its line."""
    known = set(stored)
    return [
        Problem(path.file, path.course_lines.get(slug, 1), f"courses: there is no course {slug!r}")
        for slug in path.courses
        if slug not in known
    ]


@dataclass(frozen=True)
class PathSummary:
    """A path as the catalog lists it."""

    id: UUID
    slug: str
    name: str
    courses: int


@dataclass(frozen=True)
class PathStep:
    """One course of a path, with the learner's standing in it."""

    course_id: UUID
    slug: str
    name: str
    published: bool
    status: str | None  # the learner's enrollment: None, active, completed, suspended
    topics: int
    done: int  # topics the learner completed

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    @property
    def percent(self) -> int:
        return 100 if self.completed else percent(self.done, self.topics)


@dataclass(frozen=True)
class LearningPath:
    id: UUID
    slug: str
    name: str
    description: str
    steps: tuple[PathStep, ...]

    @property
    def next_step(self) -> PathStep | None:
        """The first course not completed that a learner can open: where to go on."""
        return next((s for s in self.steps if not s.completed and s.published), None)

    @property
    def completed(self) -> int:
        return sum(s.completed for s in self.steps)


class PathStore(Protocol):
    async def save_path(self, path: PathPack) -> UUID: ...

    async def path(self, user_id: int, path_id: UUID) -> LearningPath | None: ...


class PathService:
    def __init__(self, store: PathStore) -> None:
        self._store = store

    async def import_path(self, path: PathPack) -> UUID:
        """Store the path (replacing the one of that slug); raises PackError, nothing
        written, when a course it lists is not in the database."""
        return await self._store.save_path(path)

    async def card(self, user_id: int, path_id: UUID) -> LearningPath:
        found = await self._store.path(user_id, path_id)
        if found is None:
            raise NotFound(Reason.PATH_GONE)
        return found
