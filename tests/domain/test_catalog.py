"""Browsing the catalog: one screen when short, filters and pages past a screenful, and an
old button's filter that points nowhere falls back to "all"."""

from __future__ import annotations

from uuid import uuid4

from domain.catalog import PAGE, Browse, browse
from domain.learning.model import CourseInfo


def course(n: int, level: str = "beginner", category: str = "") -> CourseInfo:
    return CourseInfo(uuid4(), f"c{n}", f"Course {n:02}", "", category, level, 0, "USD", 1, 1)


def test_a_short_catalog_is_one_screen_without_filters() -> None:
    found = browse([course(i) for i in range(PAGE)], Browse(page=3, level=1))
    assert not found.filtered and found.pages == 1 and len(found.courses) == PAGE
    assert found.browse == Browse()


def test_a_long_catalog_pages_and_filters_by_what_courses_have() -> None:
    courses = [
        course(i, ("beginner", "advanced")[i % 2], ("Data", "art")[i % 3 == 0]) for i in range(20)
    ]
    found = browse(courses, Browse())
    assert found.filtered and (found.pages, len(found.courses)) == (3, PAGE)
    assert found.levels == ("beginner", "advanced"), "only the levels courses have, in order"
    assert found.categories == ("art", "Data"), "sorted regardless of case"
    last = browse(courses, Browse(page=99))
    assert last.browse.page == 2 and len(last.courses) == 4
    advanced = browse(courses, Browse(level=2))
    assert advanced.level == "advanced" and advanced.matching == 10
    art_advanced = browse(courses, Browse(level=2, category=1))
    assert {c.level for c in art_advanced.courses} == {"advanced"}
    assert {c.category for c in art_advanced.courses} == {"art"}


def test_a_filter_pointing_past_the_lists_means_all() -> None:
    courses = [course(i, category="Data") for i in range(PAGE + 1)]
    found = browse(courses, Browse(level=3, category=7))
    assert found.browse == Browse() and found.matching == PAGE + 1
