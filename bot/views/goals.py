"""Daily goals, streaks and course target dates as the learner reads them: /goal, the
streak's line on Home and in /progress, and each target date's pace."""

from __future__ import annotations

from datetime import date
from html import escape

from bot.views.screen import Screen, button
from domain.goals import (
    FREEZE_EVERY,
    FREEZES_AT_MOST,
    OFFERED,
    WORDS_PER_MINUTE,
    CourseTarget,
    GoalKind,
    GoalOverview,
    GoalToday,
    PaceState,
)

MARKS = {GoalKind.TOPICS: "📘", GoalKind.REVIEWS: "🔁", GoalKind.MINUTES: "⏱"}
TARGETS_SHOWN = 10  # a button each; Telegram allows 100 and a message 4,096 characters
HOW_TO_SET_A_DATE = (
    "Set a date to finish the course you're studying: <code>/goal by 2027-03-01</code>"
)


def amount(kind: GoalKind, n: int) -> str:
    if kind is GoalKind.MINUTES:
        return f"{n} min"
    word = "topic" if kind is GoalKind.TOPICS else "review"
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def topics(n: int) -> str:
    return amount(GoalKind.TOPICS, n)


def day(when: date, today: date) -> str:
    """1 Mar (this year), 1 Mar 2028 (another)."""
    text = f"{when.day} {when:%b}"
    return text if when.year == today.year else f"{text} {when.year}"


def streak_line(today: GoalToday | None) -> str | None:
    """One line: "🔥 5-day streak · today 1/2 topics · ❄️ 1 freeze"; None: no goal set."""
    if today is None:
        return None
    streak, goal = today.streak, today.goal
    parts = [f"🔥 {streak.days}-day streak" if streak.days else "🎯 No streak yet"]
    unit = amount(goal.kind, goal.target).removeprefix(f"{goal.target} ")
    progress = f"today {today.done_today}/{goal.target} {unit}"
    parts.append(progress + " ✅" if today.met else progress)
    if streak.freezes:
        parts.append(f"❄️ {streak.freezes} freeze" + ("s" if streak.freezes > 1 else ""))
    return " · ".join(parts)


def pace_words(target: CourseTarget, today: date) -> str:
    """ "on track", "behind: 3 topics a day to finish by 1 Mar", …"""
    pace, by = target.pace(today), day(target.target_date, today)
    match pace.state:
        case PaceState.DONE:
            return "🎉 every topic done"
        case PaceState.ON_TRACK:
            return f"on track: {topics(pace.per_day)} a day to finish by {by}"
        case _ if pace.days_left == 0:
            return f"{by} has passed: {topics(pace.per_day)} left"
    return f"behind: {topics(pace.per_day)} a day to finish by {by}"


def target_line(target: CourseTarget, today: date) -> str:
    return f"🎯 {pace_words(target, today)} ({target.done}/{target.total} topics)"


def goal_screen(overview: GoalOverview, timezone: str | None) -> Screen:
    today, goal = overview.today, overview.goal
    lines = ["🎯 <b>Your daily goal</b>"]
    if goal is None:
        lines.append("None set: pick one below, and keep a streak of the days you meet it.")
    else:
        lines.append(f"{MARKS[goal.goal.kind]} {amount(goal.goal.kind, goal.goal.target)} a day")
        lines.append(streak_line(goal) or "")
        if goal.streak.frozen:
            covered = ", ".join(day(d, today) for d in goal.streak.frozen[-3:])
            lines.append(f"❄️ A freeze kept your streak over {covered}.")
    lines += [
        "",
        f"<i>Days are yours: counted in {escape(timezone or 'UTC')} (/timezone). "
        f"Every {FREEZE_EVERY} days met in a row earn a ❄️ freeze ({FREEZES_AT_MOST} at most) "
        "that covers a missed day. Minutes are topics' reading time "
        f"({WORDS_PER_MINUTE} words a minute) and review answers. "
        "A new goal starts a new streak.</i>",
        "",
        "<b>Course target dates</b>",
    ]
    shown = overview.targets[:TARGETS_SHOWN]
    lines += [f"• {escape(t.course_name)}: {pace_words(t, today)}" for t in shown]
    if len(overview.targets) > len(shown):
        lines.append(f"<i>… and {len(overview.targets) - len(shown)} more in /progress.</i>")
    lines.append(HOW_TO_SET_A_DATE)
    current = goal.goal if goal is not None else None
    rows = []
    for kind, targets in OFFERED.items():
        row = []
        for n in targets:
            picked = current is not None and (current.kind, current.target) == (kind, n)
            label = f"{'✓ ' if picked else MARKS[kind] + ' '}{amount(kind, n)}"
            row.append(button(label, "goal_set", kind=kind, target=n))
        rows.append(row)
    if goal is not None:
        rows.append([button("🚫 No daily goal", "goal_off")])
    rows += [
        [button(f"✖ Drop the date for {t.course_name}"[:60], "target_drop", course=t.course_id)]
        for t in shown
    ]
    rows.append([button("📊 Progress", "progress"), button("🏠 Home", "home")])
    return Screen("\n".join(lines), rows, unchanged="That's your goal already.")


def target_set(target: CourseTarget, today: date) -> Screen:
    left = target.total - target.done
    text = (
        f"🎯 Target set: finish <b>{escape(target.course_name)}</b> by "
        f"{day(target.target_date, today)}.\n"
        f"{topics(left)} to go — {pace_words(target, today)}."
    )
    return Screen(text, [[button("🎯 Goals", "goal"), button("📊 Progress", "progress")]])
