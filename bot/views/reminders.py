"""/remind's screen, its replies, and the reminder message itself."""

from __future__ import annotations

from datetime import datetime, time
from html import escape

from bot.views.clock import local_time
from bot.views.screen import Button, Screen, button, opening
from domain.reminders import SNOOZE_HOURS, VARIANTS, Decision, Notice, Setting, Waiting
from domain.wording import count

USAGE = (
    "Send <code>/remind 19:00</code> (any time of day: 19:00, 7pm, 7:30 am), "
    "<code>/remind usual</code> (when you usually study), "
    "<code>/remind quiet 22:00-07:00</code> (never in those hours) or "
    "<code>/remind off</code>."
)

# The reminder's wordings, used in turn (domain.reminders.pick_variant): fresh wording
# keeps reminders read. `{what}` is what is waiting.
_VARIANTS = (
    "⏰ Time to study: {what}.",
    "📚 {what} — a few minutes now keeps it fresh.",
    "🧠 Your memory is due for a workout: {what}.",
    "👋 Ready for a short session? {what}.",
)
assert len(_VARIANTS) == VARIANTS

_NOTICES = {
    Notice.GOING_WEEKLY: "You've skipped a few reminders, so I'll remind you weekly now.",
    Notice.STOPPING: "I'll stop reminding you; /remind turns it back on.",
}


def _hhmm(moment: time) -> str:
    return f"{moment:%H:%M}"


def waiting(what: Waiting) -> str:
    """`6 cards due, 2 topics left in Module 2`."""
    parts = []
    if what.cards_due:
        parts.append(f"{count(what.cards_due, 'card')} due")
    if what.topics_left:
        where = f" in Module {what.module_no}" if what.module_no is not None else ""
        parts.append(f"{count(what.topics_left, 'topic')} left{where}")
    return ", ".join(parts)


def reminder(decision: Decision) -> Screen:
    what = waiting(decision.waiting)
    text = _VARIANTS[decision.variant % VARIANTS].format(what=what)
    lines = [text]
    if decision.notice is not None:
        lines += ["", _NOTICES[decision.notice]]
    go: list[Button] = [opening("▶ Continue", "home")]  # the reminder stays
    if decision.waiting.cards_due:  # the session starts below; the reminder stays too
        go.insert(0, button("🔁 Review now", "review"))
    rows: list[list[Button]] = [go]
    if decision.notice is not Notice.STOPPING:
        rows.append(
            [
                button(f"⏰ Snooze {SNOOZE_HOURS} h", "remind_snooze"),
                button("🔕 Stop", "remind_stop"),
            ]
        )
    return Screen("\n".join(lines), rows)


def setting(current: Setting, now: datetime) -> Screen:
    plan = current.plan
    lines = ["⏰ <b>Study reminders</b>", ""]
    rows: list[list[Button]] = []
    if plan is None or not current.on:
        lines.append("Reminders are off.")
    elif plan.at is not None:
        lines.append(f"Every day at <b>{_hhmm(plan.at)}</b>, your time ({escape(plan.timezone)}).")
    elif current.usual is not None:
        lines.append(
            f"When you usually study: around <b>{_hhmm(current.usual)}</b>, your time "
            f"({escape(plan.timezone)})."
        )
    else:
        lines.append(
            "When you usually study: I'll learn when that is once you've studied a few times."
        )
    if plan is not None and current.on and plan.ignored_in_a_row >= 3:
        lines.append("Weekly for now, as the last few went by; any study makes it daily again.")
    if plan is not None and plan.quiet is not None:
        lines.append(f"Quiet hours: {_hhmm(plan.quiet.start)}–{_hhmm(plan.quiet.end)}.")
    if current.on and current.next_at is not None and plan is not None:
        lines.append(f"Next: {local_time(current.next_at, plan.timezone, now)}.")
    lines += ["", USAGE]
    if current.on:
        rows.append([button("🔕 Stop reminders", "remind_stop")])
        if plan is not None and plan.at is not None:
            rows.append([button("🕰 When I usually study", "remind_usual")])
    else:
        at = plan.at if plan is not None and plan.at is not None else time(19, 0)
        rows.append(
            [
                button(f"⏰ Daily at {_hhmm(at)}", "remind_at", minute=at.hour * 60 + at.minute),
                button("🕰 When I usually study", "remind_usual"),
            ]
        )
    return Screen("\n".join(lines), rows)


def bad_input(typed: str) -> Screen:
    shown = escape(typed.strip()[:40]) or "nothing"
    return Screen(f"“{shown}” isn't a time I can remind you at. Nothing changed.\n\n{USAGE}")


def snoozed_toast(current: Setting, now: datetime) -> str:
    if current.plan is None or current.next_at is None:
        return "Reminders are off."
    return f"⏰ I'll remind you again {local_time(current.next_at, current.plan.timezone, now)}."


STOPPED_TOAST = "🔕 Reminders stopped; /remind turns them back on."
