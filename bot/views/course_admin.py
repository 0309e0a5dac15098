"""The staff course list with its publish / unpublish / archive buttons."""

from __future__ import annotations

from html import escape

from bot.views.screen import Screen, button
from domain.course_admin import CourseRow, Visibility
from domain.wording import count

MARKS = {Visibility.PUBLISHED: "🟢", Visibility.DRAFT: "📝", Visibility.ARCHIVED: "🗄"}


def overview(courses: list[CourseRow]) -> Screen:
    if not courses:
        return Screen("No courses yet. Send a course-pack .zip with the caption /import.")
    lines = ["<b>📚 Courses</b> — 🟢 published · 📝 draft (hidden) · 🗄 archived (hidden)", ""]
    rows = []
    for c in courses:
        lines.append(
            f"{MARKS[c.visibility]} <b>{escape(c.name)}</b> (<code>{escape(c.slug)}</code>) — "
            f"{c.visibility.value}, {count(c.learners, 'learner')}"
        )
        actions = []
        if c.visibility is not Visibility.PUBLISHED:
            actions.append(button(f"🟢 Publish {c.slug}", "course_visibility", course=c.id, op="p"))
        if c.visibility is Visibility.PUBLISHED:
            actions.append(
                button(f"📝 Unpublish {c.slug}", "course_visibility", course=c.id, op="u")
            )
        if c.visibility is not Visibility.ARCHIVED:
            actions.append(button(f"🗄 Archive {c.slug}", "course_visibility", course=c.id, op="a"))
        rows.append(actions)
    return Screen("\n".join(lines)[:4000], rows[:90])
