"""/stats never exceeds one message, whatever the number of courses, modules or the length
of names and questions, and stays valid HTML (checked by the emulator's own parser)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from bot.emulator import checks
from bot.views import stats as views
from domain.admin import CourseRef
from domain.stats import CourseStats, Figures, ModuleFunnel, QuestionCount, StatsReport
from domain.users import Role

NOW = datetime(2026, 5, 1, tzinfo=UTC)
LONG = "<Tea & 🍵 " * 40


def course(number: int, modules: int) -> CourseStats:
    ref = CourseRef(uuid4(), f"course-{number}", f"{LONG}{number}", modules)
    return CourseStats(
        ref,
        Figures(10, 5, {"active": 9, "suspended": 1, "completed": 0}),
        tuple(ModuleFunnel(m, LONG, 10, 8, 6, 4, 4, 2, 1, 3) for m in range(1, modules + 1)),
    )


def report(courses: tuple[CourseStats, ...], *, one: bool = False) -> StatsReport:
    questions = tuple(QuestionCount(LONG * 3, 9 - n) for n in range(5))
    head = courses[0].course if one else None
    return StatsReport(head, Role.ADMIN, NOW, Figures.none(), courses, questions)


def parsed(text: str) -> checks.ParsedText:
    return checks.message_text(text, "HTML", None)  # raises on bad HTML or > 4096 units


def test_many_courses_are_cut_with_a_pointer_to_the_rest() -> None:
    screen = views.text(report(tuple(course(n, 6) for n in range(200))))
    message = parsed(screen.text)
    assert "more courses: use /stats course-slug." in message.text
    assert message.text.endswith("×5")
    assert "&lt;Tea &amp; 🍵" in screen.text


def test_a_course_with_very_many_modules_is_cut_with_a_count() -> None:
    screen = views.text(report((course(1, 300),), one=True))
    message = parsed(screen.text)
    assert message.text.startswith("📊 <Tea & 🍵")
    assert "more modules." in message.text
    assert "Top questions" in message.text


def test_the_chart_is_a_png_of_at_most_sixteen_modules() -> None:
    png = views.chart(report(tuple(course(n, 6) for n in range(5))))
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = checks.image_size(png)
    assert width <= 1280 and height < width
    assert views.chart(report((course(1, 0),), one=True)) is None
