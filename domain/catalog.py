"""The catalog as a learner browses it: filtered by level and category, a page at a time.

A short catalog is one screen with no filters to learn; past `PAGE` courses it pages and
offers the levels and categories that courses really have. A filter is carried as
positions in those lists (so a button's data stays a few bytes whatever the names), and a
position that no longer points anywhere (the catalog changed under an old button) falls
back to "all" rather than to some other category.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.learning.model import CourseInfo

PAGE = 8  # courses on one screen: each is a button, and a phone shows about this many
LEVELS = ("beginner", "intermediate", "advanced")


@dataclass(frozen=True)
class Browse:
    """What the learner asked for: `level` and `category` are 1-based positions in the
    offered lists, 0 for all; `page` is 0-based."""

    page: int = 0
    level: int = 0
    category: int = 0


@dataclass(frozen=True)
class CatalogPage:
    courses: list[CourseInfo]
    browse: Browse  # as applied: positions out of range reset to 0, the page clamped
    pages: int
    matching: int  # courses passing the filters
    total: int  # published courses
    levels: tuple[str, ...]  # offered, in LEVELS order
    categories: tuple[str, ...]  # offered, sorted

    @property
    def filtered(self) -> bool:
        return self.total > PAGE

    @property
    def level(self) -> str | None:
        return self.levels[self.browse.level - 1] if self.browse.level else None

    @property
    def category(self) -> str | None:
        return self.categories[self.browse.category - 1] if self.browse.category else None


def browse(courses: list[CourseInfo], asked: Browse, size: int = PAGE) -> CatalogPage:
    levels = tuple(level for level in LEVELS if any(c.level == level for c in courses))
    categories = tuple(sorted({c.category for c in courses if c.category}, key=str.casefold))
    level = asked.level if 0 < asked.level <= len(levels) else 0
    category = asked.category if 0 < asked.category <= len(categories) else 0
    if len(courses) <= size:
        level = category = 0  # one screen: nothing to filter
    matching = [
        c
        for c in courses
        if (not level or c.level == levels[level - 1])
        and (not category or c.category == categories[category - 1])
    ]
    pages = max(1, -(-len(matching) // size))
    page = min(max(asked.page, 0), pages - 1)
    return CatalogPage(
        matching[page * size : (page + 1) * size],
        Browse(page, level, category),
        pages,
        len(matching),
        len(courses),
        levels,
        categories,
    )
