"""Learning-path files: validated whole, every problem as file:line: message; the card's
"next course" is the first one not completed that a learner can open."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.course_pack import PackError
from domain.paths import LearningPath, PathStep, parse_path, unknown_courses

PATH = """\
slug: tea-journey
name: From leaf to cup
description: >
  Two courses, in order.
courses:
  - tiny
  - master
"""


def refused(text: str) -> list[str]:
    with pytest.raises(PackError) as error:
        parse_path("tea.yaml", text)
    return [str(p) for p in error.value.problems]


def test_a_path_file_parses_with_each_course_on_its_line() -> None:
    path = parse_path("tea.yaml", PATH)

    assert (path.slug, path.name, path.description) == (
        "tea-journey",
        "From leaf to cup",
        "Two courses, in order.",
    )
    assert path.courses == ("tiny", "master")
    assert path.course_lines == {"tiny": 6, "master": 7}


def test_a_course_twice_no_course_and_bad_fields_are_refused_with_their_lines() -> None:
    assert refused(PATH + "  - tiny\n") == [
        "tea.yaml:8: courses: 'tiny' is listed twice (also line 6)"
    ]
    assert refused("slug: p\nname: P\ncourses: []\n") == [
        "tea.yaml:3: courses: a path needs a course"
    ]
    assert refused("slug: Bad Slug\nname: P\ncourses: [tiny]\ncolour: red\n") == [
        "tea.yaml:1: slug: use lower-case letters, digits and '-' (at most 63)",
        "tea.yaml:4: colour: is not a known field",
    ]
    assert refused("name: P\n") == [
        "tea.yaml:1: courses: is required",
        "tea.yaml:1: slug: is required",
    ]
    assert refused("slug: p\nname: P: again\ncourses: [tiny]\n")[0].startswith("tea.yaml:2: ")


def test_a_course_not_in_the_database_is_named_at_its_line() -> None:
    path = parse_path("tea.yaml", PATH)

    assert [str(p) for p in unknown_courses(path, ["tiny"])] == [
        "tea.yaml:7: courses: there is no course 'master'"
    ]
    assert unknown_courses(path, ["tiny", "master", "other"]) == []


def step(name: str, status: str | None, published: bool = True, done: int = 0) -> PathStep:
    return PathStep(uuid4(), name.lower(), name, published, status, 4, done)


def test_the_next_step_skips_completed_and_unpublished_courses() -> None:
    steps = (step("A", "completed"), step("B", None, published=False), step("C", "active", done=1))
    path = LearningPath(uuid4(), "p", "P", "", steps)

    assert path.next_step == steps[2]
    assert path.completed == 1
    assert [s.percent for s in steps] == [100, 0, 25]
    done = LearningPath(uuid4(), "p", "P", "", (steps[0],))
    assert done.next_step is None and done.completed == 1
