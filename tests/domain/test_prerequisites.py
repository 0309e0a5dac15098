"""Prerequisites: what a pack may say in `requires:`, and what the import checks against the
courses stored (each required course exists, no cycle)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.course_pack import PackError, parse_pack
from domain.learning.model import CourseInfo, Prerequisite
from domain.prerequisites import cycle_through, import_problems, missing
from tests.domain.test_course_pack import valid_files


def pack_requiring(*lines: str, slug: str = "mini"):
    files = valid_files()
    body = files["course.yaml"].replace("slug: mini", f"slug: {slug}")
    files["course.yaml"] = body + "requires:\n" + "".join(f"  - {line}\n" for line in lines)
    return files


def refused(files: dict[str, str]) -> list[str]:
    with pytest.raises(PackError) as error:
        parse_pack(files)
    return [str(p) for p in error.value.problems]


def test_requires_lists_slugs_with_the_line_each_is_on() -> None:
    pack = parse_pack(pack_requiring("tiny", "ml-foundations"))

    assert pack.meta.requires == ["tiny", "ml-foundations"]
    assert pack.requires_lines == {"tiny": 6, "ml-foundations": 7}
    assert parse_pack(valid_files()).meta.requires == []


def test_a_course_cannot_require_itself_or_one_twice() -> None:
    assert refused(pack_requiring("tiny", "mini", "tiny")) == [
        "course.yaml:7: requires: a course cannot require itself ('mini')",
        "course.yaml:8: requires: 'tiny' is listed twice",
    ]


def test_a_required_course_is_a_slug() -> None:
    assert refused(pack_requiring("tiny", "Not A Slug")) == [
        "course.yaml:7: required course 2: use lower-case letters, digits and '-' (at most 63)"
    ]


def test_a_required_course_not_in_the_database_is_named_with_its_line() -> None:
    pack = parse_pack(pack_requiring("tiny", "ghost"))

    problems = import_problems(pack, {"tiny": []})

    assert [str(p) for p in problems] == [
        "course.yaml:7: requires: there is no course 'ghost'; import it first"
    ]
    assert import_problems(pack, {"tiny": [], "ghost": ["tiny"]}) == []


def test_a_cycle_through_the_course_is_an_error_naming_the_chain() -> None:
    # mini requires b; b requires c; c requires mini (stored before mini required b).
    graph = {"b": ["c"], "c": ["mini"], "mini": []}
    pack = parse_pack(pack_requiring("b"))

    [problem] = import_problems(pack, graph)

    assert str(problem) == "course.yaml:6: requires: a cycle, mini → b → c → mini"
    assert cycle_through("mini", ["b"], graph) == ["mini", "b", "c", "mini"]


def test_no_cycle_when_courses_share_a_prerequisite_or_chain_without_returning() -> None:
    graph = {"base": [], "left": ["base"], "right": ["base"], "top": ["left", "right"]}

    assert cycle_through("top", ["left", "right"], graph) is None
    assert cycle_through("base", [], graph) is None, "a course dropping its requirements"
    assert cycle_through("base", ["top"], graph) == ["base", "top", "left", "base"]
    assert cycle_through("a", ["b"], {"b": ["a"]}) == ["a", "b", "a"]


def test_missing_is_what_the_learner_has_not_completed_in_the_packs_order() -> None:
    done, first, second = (
        Prerequisite(uuid4(), slug, slug.title(), slug == "done") for slug in ("done", "x", "y")
    )
    course = CourseInfo(uuid4(), "top", "Top", "", "", "beginner", 0, "USD", 1, 1)

    assert missing(course) == ()
    gated = CourseInfo(
        uuid4(), "top", "Top", "", "", "beginner", 0, "USD", 1, 1, requires=(first, done, second)
    )
    assert missing(gated) == (first, second)
