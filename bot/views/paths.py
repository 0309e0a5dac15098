"""A learning path's card: its courses in order, the learner's progress in each, and a
button to the next one (whose card enrols, or says what it requires first)."""

from __future__ import annotations

from html import escape

from bot.views.learning import _fit
from bot.views.screen import Screen, bar, button
from domain.paths import LearningPath, PathStep


def _mark(step: PathStep) -> str:
    if step.completed:
        return "✅"
    if not step.published:
        return "⏸"
    return "▶" if step.status in ("active", "suspended") else "▫️"


def _standing(step: PathStep) -> str:
    if not step.published:
        return "not open to learners at the moment"
    if step.completed:
        return "completed"
    if step.status is None:
        return "not started"
    return f"{bar(step.percent, 5)} {step.done}/{step.topics} topics"


def path_card(path: LearningPath) -> Screen:
    lines = [f"🧭 <b>{escape(path.name)}</b>"]
    if path.description:
        lines += ["", escape(path.description)]
    lines += ["", f"<i>{path.completed} of {len(path.steps)} courses completed</i>", ""]
    for number, step in enumerate(path.steps, 1):
        lines.append(f"{_mark(step)} {number}. <b>{escape(step.name)}</b> — {_standing(step)}")
    rows = []
    following = path.next_step
    if following is not None:
        verb = "Continue" if following.status is not None else "Next"
        rows.append([button(f"➡ {verb}: {following.name}", "course", course=following.course_id)])
    elif path.steps and path.completed == len(path.steps):
        lines += ["", "🎓 <b>Path completed</b> — every course in it."]
    rows.append([button("⬅ Courses", "catalog")])
    return Screen(_fit("\n".join(lines)), rows)
