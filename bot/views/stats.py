"""What staff see for /stats: one HTML message of figures and a PNG chart of the funnel."""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape

from bot.views.screen import Screen
from domain.admin import CourseRef
from domain.stats import ACTIVE_DAYS, STAGES, CourseStats, Figures, ModuleFunnel, StatsReport
from domain.users import Role
from domain.wording import count

# Telegram allows 4096 UTF-16 units after entity parsing; the HTML is never shorter than
# the parsed text, so keeping the HTML within this budget keeps the message within the limit.
TEXT_BUDGET = 4000
NAME_CHARS = 60
TITLE_CHARS = 40
QUESTION_CHARS = 90
CHART_GROUPS = 16  # modules drawn at most: Telegram shows photos ≤ 1280 px wide
FUNNEL = f"<b>Funnel per module</b> <i>({' → '.join(STAGES)})</i>"
COLOURS = ("#4C72B0", "#55A868", "#DD8452", "#8172B3")  # one per funnel stage
MORE_COURSES = "<i>… and {n} more courses: use /stats course-slug.</i>"
MORE_MODULES = "<i>… and {n} more modules.</i>"


def text(report: StatsReport, extra: Sequence[str] = ()) -> Screen:
    """Totals, then each course (figures and one line per module), then `extra` lines
    (other features' figures) and the top questions. What doesn't fit in one message is left
    out and says so."""
    head = _head(report)
    tail = "\n\n".join(part for part in ("\n".join(extra), _questions(report)) if part)
    room = TEXT_BUDGET - _units(head) - _units(tail) - _units(MORE_COURSES) - 8
    body: list[str] = []
    for course in report.courses:
        section = _course(course, with_figures=report.course is None, room=room)
        if section is None:
            break
        body.append(section)
        room -= _units(section) + 2
    if hidden := len(report.courses) - len(body):
        body.append(MORE_COURSES.format(n=hidden))
    if not report.courses:
        body.append(
            "You aren't assigned to any course yet."
            if report.role is Role.TUTOR
            else "There are no courses yet."
        )
    return Screen("\n\n".join(part for part in (head, *body, tail) if part))


def _units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _course_title(course: CourseRef, prefix: str = "") -> str:
    name = escape(_clip(course.name, NAME_CHARS))
    return f"<b>{prefix}{name}</b> (<code>{escape(course.slug)}</code>)"


def _head(report: StatsReport) -> str:
    if report.course is not None:
        title = _course_title(report.course, "📊 ")
    elif report.role is Role.ADMIN:
        title = "<b>📊 All courses</b>"
    else:
        title = "<b>📊 Your courses</b>"
    if report.cohort is not None:
        title += f"\n<b>👥 Cohort «{escape(report.cohort)}»</b>: its current members only"
    return "\n".join(
        [
            title,
            *_figures(report.totals),
            f"Typed questions used: {report.typed}",
            f"<i>Active: enrolled, studied a topic, took a quiz or asked the tutor in the last "
            f"{ACTIVE_DAYS} days.</i>",
            *([] if report.course is not None or not report.courses else ["", FUNNEL]),
        ]
    )


def _figures(figures: Figures) -> list[str]:
    statuses = " · ".join(f"{n} {status}" for status, n in figures.by_status.items())
    return [
        f"Learners: {figures.learners} · active in {ACTIVE_DAYS} days: {figures.active}",
        f"Enrollments: {statuses}",
    ]


def _ratings(course: CourseStats) -> list[str]:
    rated = course.ratings
    if rated.average is None:
        return []
    return [
        f"Rating: ★ {rated.average:.1f} from {count(rated.count, 'rating')}, "
        f"{count(rated.reviews, 'review')} with words"
    ]


def _course(course: CourseStats, *, with_figures: bool, room: int) -> str | None:
    """The course's lines within `room` UTF-16 units (modules past it are counted, not
    shown); None when not even its head fits."""
    lines = []
    if with_figures:
        lines.append(_course_title(course.course))
        lines += _figures(course.figures)
        lines.append(f"Typed questions used: {course.typed}")
        lines += _ratings(course)
    else:
        lines += [*_ratings(course), FUNNEL]
    if not course.modules:
        lines.append("No modules yet.")
    room -= _units("\n".join(lines)) + _units(MORE_MODULES) + 8
    if room < 0:
        return None
    for index, module in enumerate(course.modules):
        line = _module(module)
        room -= _units(line) + 1
        if room < 0:
            lines.append(MORE_MODULES.format(n=len(course.modules) - index))
            break
        lines.append(line)
    return "\n".join(lines)


def _module(module: ModuleFunnel) -> str:
    title = _clip(module.title, TITLE_CHARS)
    funnel = " → ".join(str(n) for n in module.stages)
    rate = module.pass_rate
    quiz = (
        f"quiz pass rate {module.attempts_passed}/{module.attempts_finished} ({rate}%)"
        if rate is not None
        else "no quiz finished"
    )
    if module.attempts_abandoned:
        quiz += f", {module.attempts_abandoned} abandoned"
    return f"M{module.module_no} {escape(title)}: {funnel} · {quiz}"


def _questions(report: StatsReport) -> str:
    if not report.courses:
        return ""
    if not report.top_questions:
        return "<b>Top questions</b>\nNo typed questions yet."
    lines = ["<b>Top questions</b>"]
    for number, question in enumerate(report.top_questions, 1):
        shown = escape(_clip(question.text, QUESTION_CHARS))
        lines.append(f"{number}. “{shown}” ×{question.count}")
    return "\n".join(lines)


def chart(report: StatsReport) -> bytes | None:
    """The funnel per module as grouped bars, as PNG bytes (None: no module to draw).

    matplotlib is imported here, not at module level, so the bot starts without it; the
    figure is drawn with the headless Agg canvas and no pyplot, so no global state is
    touched and it can run in a worker thread.
    """
    several = len(report.courses) > 1
    groups = [
        (f"{c.course.slug}\nM{m.module_no}" if several else f"M{m.module_no}", m.stages)
        for c in report.courses
        for m in c.modules
    ]
    if not groups:
        return None
    clipped = len(groups) > CHART_GROUPS
    groups = groups[:CHART_GROUPS]

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(max(6.0, 1.0 + 0.6 * len(groups)), 4.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / len(STAGES)
    for index, (stage, colour) in enumerate(zip(STAGES, COLOURS, strict=True)):
        positions = [g + (index - (len(STAGES) - 1) / 2) * width for g in range(len(groups))]
        bars = axes.bar(
            positions, [counts[index] for _, counts in groups], width, label=stage, color=colour
        )
        axes.bar_label(bars, fontsize=7, padding=1)
    axes.set_xticks(range(len(groups)), [label for label, _ in groups], fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("learners")
    axes.set_ylim(0, max(1, *(max(counts) for _, counts in groups)) * 1.1)
    if report.course is not None:
        name = report.course.name
    else:
        name = "all courses" if report.role is Role.ADMIN else "your courses"
    more = f" (first {CHART_GROUPS} modules)" if clipped else ""
    axes.set_title(f"Completion funnel: {name}{more}", fontsize=10, pad=24)
    axes.legend(
        fontsize=8, ncols=len(STAGES), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False
    )
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
