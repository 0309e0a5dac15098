"""Screens of the learner journey. Course text is always escaped or rendered from Markdown."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from uuid import UUID

from bot.views.common import INTRO, course_completed
from bot.views.markdown import MESSAGE_LIMIT, paginate, plain_length
from bot.views.modules import MARKS, state_words
from bot.views.ratings import rate_button, rating_line
from bot.views.refusals import refusal_text
from bot.views.screen import Button, Screen, bar, button, link
from domain import wording
from domain.catalog import Browse, CatalogPage
from domain.errors import PrerequisitesMissing
from domain.learning.model import (
    Continue,
    CourseInfo,
    CourseProgress,
    ModuleState,
    ModuleStatus,
    ModuleView,
    Prerequisite,
    Resume,
    TopicView,
)
from domain.paths import PathSummary
from domain.personas import Persona
from domain.prerequisites import missing
from domain.progress import Advance, CourseCompleted, ModuleUnlocked
from domain.tutor import Suggestion
from domain.users import User

PERSONA_LABELS = {
    Persona.NORMAL: "📘 Normal",
    Persona.SPORTS: "⚽ Sports",
    Persona.COOKING: "🍳 Cooking",
    Persona.ADVENTURE: "🧭 Adventure",
}
PERSONA_BLURBS = {
    Persona.NORMAL: "plain explanations",
    Persona.SPORTS: "told through athletes, training and matches",
    Persona.COOKING: "told through recipes, kitchens and tasting",
    Persona.ADVENTURE: "told through expeditions, maps and explorers",
}
COMPLETE_AND_GO_ON = "✅ Complete & go on ➡"
# Room left on a topic page for its header and footer lines.
TOPIC_PAGE_CHARS = 3500
TOPIC_SUGGESTIONS = 3


def price(course: CourseInfo) -> str:
    if course.is_free:
        return "free"
    return f"{course.price_cents / 100:.2f} {escape(course.currency)}"


def home(
    user: User, mine: list[CourseProgress], catalog: list[CourseInfo], goal: str | None = None
) -> Screen:
    """One block per state, a blank line between blocks: the learner's courses (which stay
    theirs when a course is unpublished), the courses they could still join, and "nothing
    is published" only when there is nothing at all to show. `goal`: the streak's line,
    when a daily goal is set (bot/views/goals.py)."""
    greeting = f"👋 Hi <b>{escape(user.profile.display_name)}</b>!"
    blocks = [f"{greeting}\n{goal}" if goal else greeting]
    rows = []
    if not mine:
        blocks.append(INTRO)
    else:
        lines = ["<b>Your courses</b>"]
        for progress in mine:
            lines.append(f"• {escape(progress.course.name)} — {_standing(progress)}")
            rows.append(
                [button(f"▶ {progress.course.name}", "course_menu", course=progress.course.id)]
            )
        blocks.append("\n".join(lines))
    enrolled = {p.course.id for p in mine}
    others = [c for c in catalog if c.id not in enrolled]
    if others:
        lines = ["<b>Catalog</b>"]
        lines += [f"• {escape(c.name)} ({escape(c.level)}, {price(c)})" for c in others]
        rows += [[button(f"📘 {c.name}", "course", course=c.id)] for c in others]
        blocks.append("\n".join(lines))
    elif not mine:
        blocks.append(NOTHING_PUBLISHED)
    blocks.append("Type /help to see what I can do.")
    rows.append([button("📊 Progress", "progress"), button("📚 All courses", "catalog")])
    rows.append([button("🎯 Daily goal", "goal")])
    return Screen("\n\n".join(b.strip() for b in blocks), rows)


NOTHING_PUBLISHED = "No courses are published yet — please come back soon."


def catalog(found: CatalogPage, enrolled: set, paths: Sequence[PathSummary] = ()) -> Screen:
    """The catalog; past a screenful, filtered by level and category and paged. The
    learning paths come first, on the catalog's first unfiltered page."""
    if not found.total:
        return Screen(NOTHING_PUBLISHED, [[button("🏠 Home", "home")]])
    lines, rows = [], []
    if paths and found.browse == Browse():
        lines += ["<b>🧭 Learning paths</b>"]
        for path in paths:
            lines.append(f"• <b>{escape(path.name)}</b> — {wording.count(path.courses, 'course')}")
            rows.append([button(f"🧭 {path.name}", "path", path=path.id)])
        lines.append("")
    lines.append("<b>📚 Courses</b>")
    if found.filtered:
        level, category = found.level or "every level", found.category or "every category"
        lines.append(
            f"<i>{found.matching} of {found.total} · {escape(level)} · {escape(category)}</i>"
        )
    lines.append("")
    for course in found.courses:
        mine = course.id in enrolled
        mark = " ✓ enrolled" if mine else ""
        stars = f", ★ {course.rating:.1f}" if course.rating is not None else ""
        lacking = () if mine else missing(course)
        gate = f"\n  🔒 after {_names(lacking)}" if lacking else ""
        lines.append(
            f"• <b>{escape(course.name)}</b> — {escape(course.level)}, "
            f"{course.modules} modules, {price(course)}{stars}{mark}{gate}"
        )
        row = [button(course.name, "course", course=course.id)]
        first = next((p for p in lacking if p.published), None)
        if first is not None:
            row.append(button(f"🔒 First: {first.name}", "course", course=first.id))
        rows.append(row)
    if not found.courses:
        lines.append("No course matches both filters.")
    if found.filtered:
        rows += _catalog_filters(found)
    rows.append([button("🏠 Home", "home")])
    return Screen("\n".join(lines), rows)


def _catalog_filters(found: CatalogPage) -> list[list[Button]]:
    at = found.browse

    def to(page: int = 0, level: int = at.level, category: int = at.category) -> dict:
        return {"page": page, "level": level, "category": category}

    def mark(chosen: bool, label: str) -> str:
        return f"✓ {label}" if chosen else label

    rows: list[list[Button]] = []
    if found.pages > 1:
        rows.append(
            [
                button("◀", "catalog_page", **to(max(at.page - 1, 0))),
                button(f"{at.page + 1}/{found.pages}", "catalog_page", **to(at.page)),
                button("▶", "catalog_page", **to(min(at.page + 1, found.pages - 1))),
            ]
        )
    levels = [button(mark(not at.level, "All levels"), "catalog_page", **to(level=0))]
    levels += [
        button(mark(at.level == i, name.capitalize()), "catalog_page", **to(level=i))
        for i, name in enumerate(found.levels, 1)
    ]
    rows.append(levels)
    if found.categories:
        cells = [button(mark(not at.category, "All topics"), "catalog_page", **to(category=0))]
        cells += [
            button(mark(at.category == i, name), "catalog_page", **to(category=i))
            for i, name in enumerate(found.categories, 1)
        ]
        rows += [cells[i : i + 2] for i in range(0, len(cells), 2)]
    return rows


def _names(prerequisites: Sequence[Prerequisite]) -> str:
    return ", ".join(escape(p.name) for p in prerequisites)


def _requirements(course: CourseInfo) -> str | None:
    """The card's line of prerequisites, each marked done or not (by this learner)."""
    if not course.requires:
        return None
    marks = ", ".join(f"{'✅' if p.completed else '🔒'} {escape(p.name)}" for p in course.requires)
    return f"Requires: {marks}"


def gated(refused: PrerequisitesMissing) -> Screen:
    """Enrolment refused (a press, or a deep link): what is missing, a button to each."""
    lacking = refused.missing
    lines = [f"🔒 <b>{escape(refused.course_name)}</b>", "", escape(refusal_text(refused))]
    if any(not p.published for p in lacking):
        lines += ["", "<i>A course it needs is not open to learners at the moment.</i>"]
    rows = [[button(f"➡ {p.name}", "course", course=p.id)] for p in lacking if p.published]
    rows.append([button("⬅ Courses", "catalog")])
    return Screen(_fit("\n".join(lines)), rows)


def course_card(course: CourseInfo, enrolled: bool) -> Screen:
    text = "\n".join(
        [
            f"<b>{escape(course.name)}</b>",
            "",
            escape(course.description.strip()) or "—",
            "",
            f"Level: {escape(course.level)}"
            + (f" · {escape(course.category)}" if course.category else ""),
            f"Modules: {course.modules} · Topics: {course.topics}",
            f"Price: {price(course)}",
            *filter(None, [rating_line(course.ratings, course.rating), _requirements(course)]),
        ]
    )
    lacking = () if enrolled else missing(course)
    if enrolled:
        rows = [[button("▶ Open course", "course_menu", course=course.id)]]
    elif lacking:
        rows = [
            [button(f"🔒 First: {p.name}", "course", course=p.id)] for p in lacking if p.published
        ]
    else:
        label = "✅ Enroll" + (" for free" if course.is_free else "")
        rows = [[button(label, "enroll", course=course.id)]]
    if course.ratings:
        rows.append([button("💬 What learners say", "course_reviews", course=course.id)])
    return Screen(_fit(text), [*rows, [button("⬅ Courses", "catalog")]])


def persona_picker(course: CourseInfo, current: Persona | None, *, welcome: bool) -> Screen:
    intro = (
        f"🎉 You're enrolled in <b>{escape(course.name)}</b>! Module 1 is open.\n"
        "<i>🎓 Completing it earns a certificate with your Telegram name; "
        "/certificate_name sets the name to show instead.</i>\n\n"
        if welcome
        else ""
    )
    offered = course.personas
    lines = [intro + "<b>Pick a study persona</b> — the same lessons, told your way:", ""]
    lines += [f"{PERSONA_LABELS[p]} — {PERSONA_BLURBS[p]}{_coverage(course, p)}" for p in offered]
    if len(offered) < len(Persona):
        lines += ["", "<i>Only the personas this course is written for are offered.</i>"]
    lines += ["", "You can change it any time from the course menu."]
    rows = [
        [
            button(
                ("✓ " if p is current else "") + persona_label(course, p),
                "persona",
                course=course.id,
                persona=p,
            )
        ]
        for p in offered
    ]
    if current is not None:
        rows.append([button("⬅ Course", "course_menu", course=course.id)])
    return Screen("\n".join(lines), rows)


def persona_label(course: CourseInfo, persona: Persona) -> str:
    """The persona's name, saying when only some of the course's topics are told in it."""
    told = course.persona_topics(persona)
    partial = f" · {told} of {course.topics} topics" if told < course.topics else ""
    return PERSONA_LABELS[persona] + partial


def _coverage(course: CourseInfo, persona: Persona) -> str:
    told = course.persona_topics(persona)
    if told >= course.topics:
        return ""
    return f" <i>({told} of {course.topics} topics; the others in the plain text)</i>"


def course_menu(progress: CourseProgress, resume: Resume, clock: Reader) -> Screen:
    course = progress.course
    persona = progress.persona or Persona.NORMAL
    lines = [
        f"<b>{escape(course.name)}</b>",
        f"Progress: {bar(progress.percent)} ({progress.completed}/{progress.topics} topics)",
        f"Persona: {persona_label(course, persona)}",
        "",
    ]
    if progress.completed_course:
        lines[1:1] = ["🎓 <b>Course completed</b> — every module's quiz passed."]
    rows = [[continue_button(course.id, resume)]] if resume is not None else []
    for module in progress.modules:
        lines.append(_module_line(module, clock))
        label = f"{MARKS[module.state]} {module.number}. {module.title}"
        rows.append([button(label, "module", course=course.id, module=module.number)])
    rows.append(
        [button(f"🎭 Persona: {PERSONA_LABELS[persona]}", "persona_menu", course=course.id)]
    )
    rows.append([button("🏠 Home", "home")])
    return Screen(_fit("\n".join(lines)), rows)


def continue_button(course: UUID, resume: Continue) -> Button:
    """Named, so the learner knows where it leads: the next topic, or the quiz waiting."""
    ids = {"course": course, "module": resume.module_no}
    if resume.topic_number is None:
        return button(f"▶ Continue: Module {resume.module_no} quiz", "quiz", **ids)
    label = f"▶ Continue: {resume.module_no}.{resume.topic_number} {resume.title}"
    return button(label, "topic", **ids, topic=resume.topic_number, page=0)


def _module_line(module: ModuleStatus, clock: Reader) -> str:
    return (
        f"{MARKS[module.state]} <b>Module {module.number}</b>: {escape(module.title)} — "
        f"{_state(module, clock)}, {module.completed}/{module.topics}"
    )


@dataclass(frozen=True)
class Reader:
    """Whom times are written for: their time zone, and now."""

    timezone: str | None
    now: datetime


def _state(module: ModuleStatus, clock: Reader) -> str:
    return state_words(
        module.state,
        has_quiz=module.has_quiz,
        reopens_at=module.cooldown_until,
        timezone=clock.timezone,
        now=clock.now,
    )


def module_screen(view: ModuleView, clock: Reader, quiz: Button | None = None) -> Screen:
    module, course = view.module, view.course
    lines = [
        f"<b>Module {module.number}: {escape(module.title)}</b>",
        f"{bar(module.percent)} · {_state(module, clock)}",
    ]
    if module.description.strip():
        lines += ["", escape(module.description.strip())]
    lines.append("")
    rows = []
    for topic in view.topics:
        mark = "✅" if topic.completed else "▫️"
        lines.append(f"{mark} {module.number}.{topic.number} {escape(topic.title)}")
        rows.append(
            [
                button(
                    f"{mark} {topic.number}. {topic.title}",
                    "topic",
                    course=course.id,
                    module=module.number,
                    topic=topic.number,
                    page=0,
                )
            ]
        )
    if quiz is not None:
        rows.append([quiz])
    rows.append([button("⬅ Course", "course_menu", course=course.id)])
    return Screen(_fit("\n".join(lines)), rows)


def topic_pages(view: TopicView) -> list[str]:
    return list(_topic_pages(view.text))


@functools.lru_cache(maxsize=1024)
def _topic_pages(markdown: str) -> tuple[str, ...]:
    """A topic's text is shown again on every visit and changes only on import, and
    rendering it was ~6% of the bot's CPU under load: pages are worked out once per text."""
    return tuple(paginate(markdown, TOPIC_PAGE_CHARS))


def topic_screen(
    view: TopicView,
    page: int,
    suggestions: Sequence[Suggestion] = (),
    advance: Advance | None = None,
) -> Screen:
    """A topic's page; `advance`: what marking it done just did to the course, if anything
    (the last topic of a module without a quiz opens the next module or completes it)."""
    pages = topic_pages(view)
    page = min(max(page, 0), len(pages) - 1)
    course, module, topic = view.course, view.module, view.topic
    header = (
        f"<b>Module {module.number} · Topic {topic.number} of {view.topic_count}</b>\n"
        f"<b>{escape(topic.title)}</b>"
    )
    status = "✅ completed" if view.completed else "not completed yet"
    persona = PERSONA_LABELS[view.persona]
    if not view.told_in_persona:  # say so rather than label the plain text with the theme
        persona = f"{persona}: no version of this topic yet, shown in the plain text"
    footer = f"<i>{persona} · {status}"
    footer += f" · page {page + 1}/{len(pages)}</i>" if len(pages) > 1 else "</i>"
    text = f"{header}\n\n{pages[page]}\n\n{footer}"
    if isinstance(advance, CourseCompleted):
        text += f"\n\n{course_completed(view.course.name)}"
    elif isinstance(advance, ModuleUnlocked):
        text += f"\n\n🔓 <b>Module {advance.module_no}</b> is now open."
    ids = {"course": course.id, "module": module.number}
    rows = []
    if len(pages) > 1:
        # At the ends, and on the counter, a press leads to this same page: it is answered
        # with the screen's `unchanged` note instead of an edit that would change nothing.
        turn = {**ids, "topic": topic.number}
        rows.append(
            [
                button("◀ Page", "topic", **turn, page=max(page - 1, 0)),
                button(f"{page + 1}/{len(pages)}", "topic", **turn, page=page),
                button("Page ▶", "topic", **turn, page=min(page + 1, len(pages) - 1)),
            ]
        )
    nav = []
    if view.has_previous:
        nav.append(button("⬅ Previous", "topic", **ids, topic=topic.number - 1, page=0))
    if not view.completed:
        nav.append(button("✅ Mark complete", "complete", **ids, topic=topic.number))
    if view.has_next:
        nav.append(button("Next ➡", "topic", **ids, topic=topic.number + 1, page=0))
    rows.append(nav)
    if isinstance(advance, CourseCompleted):
        rows.append([rate_button(course.id)])
    if not view.completed and view.has_next:  # finishing a topic usually means going on
        rows.append([button(COMPLETE_AND_GO_ON, "complete_next", **ids, topic=topic.number)])
    media = []
    if topic.ppt_url:
        media.append(link("📊 Slides", topic.ppt_url))
    if topic.video_url:
        media.append(link("🎬 Video", topic.video_url))
    if media:
        rows.append(media)
    rows += [
        [button(f"💡 {s.prompt}", "suggestion", suggestion=s.id)]
        for s in suggestions[:TOPIC_SUGGESTIONS]
    ]
    rows.append([button("💬 Ask about this topic", "ask", **ids, topic=topic.number)])
    rows.append(
        [
            button("📝 Notes", "topic_notes", **ids, topic=topic.number),
            button("🔖 Bookmark", "bookmark", **ids, topic=topic.number),
        ]
    )
    if view.module.state is ModuleState.COMPLETED and view.module.has_quiz:
        rows.append([button(f"📝 Module {module.number} quiz", "quiz", **ids)])
    rows.append([button("⬅ Module", "module", **ids)])
    return Screen(text, [r for r in rows if r], unchanged=_page_note(page, len(pages)))


def _page_note(page: int, pages: int) -> str:
    if pages == 1:
        return "You're already on this topic."
    if page == 0:
        return f"Page 1 of {pages} — the first page."
    if page == pages - 1:
        return f"Page {pages} of {pages} — the last page."
    return f"Page {page + 1} of {pages}."


def progress_summary(
    mine: list[CourseProgress],
    clock: Reader,
    goal: str | None = None,
    targets: Mapping[UUID, str] | None = None,
) -> Screen:
    """`goal`: the streak's line; `targets`: a line per course with a target date (its
    pace), both from bot/views/goals.py."""
    if not mine:
        return Screen(
            "You're not enrolled in any course yet. Pick one from the catalog:",
            [[button("📚 Courses", "catalog")]],
        )
    lines = ["<b>📊 Your progress</b>", *([goal] if goal else [])]
    rows = []
    for progress in mine:
        lines += ["", f"<b>{escape(progress.course.name)}</b> — {_standing(progress)}"]
        if targets and progress.course.id in targets:
            lines.append(targets[progress.course.id])
        lines += [
            f"  {MARKS[m.state]} Module {m.number}: {bar(m.percent, 5)} "
            f"({m.completed}/{m.topics}, {_state(m, clock)})"
            for m in progress.modules
        ]
        rows.append([button(f"▶ {progress.course.name}", "course_menu", course=progress.course.id)])
    rows.append([button("🏠 Home", "home")])
    return Screen(_fit("\n".join(lines)), rows)


def _standing(progress: CourseProgress) -> str:
    standing = bar(progress.percent)
    return f"{standing} · 🎓 completed" if progress.completed_course else standing


def _fit(html: str) -> str:
    """Screens built from many rows (a huge catalog) are cut rather than refused."""
    if plain_length(html) <= MESSAGE_LIMIT:
        return html
    lines = html.split("\n")
    while lines and plain_length("\n".join([*lines, "…"])) > MESSAGE_LIMIT:
        lines.pop()
    return "\n".join([*lines, "…"])
