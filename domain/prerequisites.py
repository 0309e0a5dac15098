"""Prerequisites: a course may require others to be completed before a learner enrols.

A pack says so with `requires: [slug, …]` in course.yaml (docs/course-pack.md). What the
pack alone can check (the slug format, not itself, not twice) is checked with the rest of
the pack (domain.course_pack); what needs the other courses (each required course is in
the database, no cycle) is checked here, against every stored course's requirements, at
import, before anything is embedded and again inside the import's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.course_pack import CoursePack, Problem
from domain.learning.model import CourseInfo, Prerequisite

COURSE_FILE = "course.yaml"


def cycle_through(
    slug: str, requires: Sequence[str], graph: Mapping[str, Sequence[str]]
) -> list[str] | None:
    """The cycle `slug` would close if it required `requires`, as the chain of slugs from
    `slug` back to itself (["a", "b", "a"]); None when there is none. `graph`: every stored
    course's requirements (its own, if stored, are replaced by `requires`). The stored
    graph has no cycle (every import was checked), so a new one runs through `slug`."""
    edges = {**graph, slug: list(requires)}
    seen: set[str] = set()

    def walk(node: str, chain: list[str]) -> list[str] | None:
        for nxt in edges.get(node, ()):
            if nxt == slug:
                return [*chain, nxt]
            if nxt not in seen:
                seen.add(nxt)
                found = walk(nxt, [*chain, nxt])
                if found:
                    return found
        return None

    return walk(slug, [slug])


def import_problems(pack: CoursePack, graph: Mapping[str, Sequence[str]]) -> list[Problem]:
    """Why the pack's `requires:` cannot be stored: a required course not in the database
    (`graph` has every stored course, with what it requires), or a cycle."""
    slug, requires = pack.meta.slug, pack.meta.requires
    problems = [
        Problem(
            COURSE_FILE,
            pack.requires_lines.get(required, 1),
            f"requires: there is no course {required!r}; import it first",
        )
        for required in requires
        if required not in graph
    ]
    if problems:
        return problems
    chain = cycle_through(slug, requires, graph)
    if chain:
        line = pack.requires_lines.get(chain[1], 1)
        return [Problem(COURSE_FILE, line, f"requires: a cycle, {' → '.join(chain)}")]
    return []


def missing(course: CourseInfo) -> tuple[Prerequisite, ...]:
    """The course's prerequisites the learner (whose view `course` is) has not completed."""
    return tuple(p for p in course.requires if not p.completed)
