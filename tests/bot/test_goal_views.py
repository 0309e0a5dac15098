"""The streak's line, a target date's pace in words, and the /goal screen's limits."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from bot.views.goals import TARGETS_SHOWN, goal_screen, pace_words, streak_line
from bot.views.markdown import MESSAGE_LIMIT, plain_length
from domain.goals import (
    CourseTarget,
    DailyGoal,
    GoalKind,
    GoalOverview,
    GoalToday,
    Streak,
)

TODAY = date(2027, 1, 10)


def today(kind: GoalKind, target: int, done: int, streak: Streak) -> GoalToday:
    return GoalToday(DailyGoal(kind, target), TODAY, done, streak)


def test_the_streak_reads_in_one_line() -> None:
    assert streak_line(None) is None
    assert (
        streak_line(today(GoalKind.TOPICS, 2, 1, Streak(5, False, 1)))
        == "🔥 5-day streak · today 1/2 topics · ❄️ 1 freeze"
    )
    assert (
        streak_line(today(GoalKind.MINUTES, 20, 25, Streak(1, True, 2)))
        == "🔥 1-day streak · today 25/20 min ✅ · ❄️ 2 freezes"
    )
    assert (
        streak_line(today(GoalKind.REVIEWS, 10, 0, Streak(0, False, 0)))
        == "🎯 No streak yet · today 0/10 reviews"
    )


def target(done: int, by: date, name: str = "Tea <basics>") -> CourseTarget:
    return CourseTarget(uuid4(), name, by, date(2027, 1, 1), 0, done, 10)


def test_a_pace_in_words() -> None:
    march = date(2027, 3, 1)
    assert pace_words(target(10, march), TODAY) == "🎉 every topic done"
    assert pace_words(target(5, march), TODAY) == "on track: 1 topic a day to finish by 1 Mar"
    soon = date(2027, 1, 11)
    assert pace_words(target(2, soon), TODAY) == "behind: 4 topics a day to finish by 11 Jan"
    assert pace_words(target(2, date(2027, 1, 5)), TODAY) == "5 Jan has passed: 8 topics left"
    assert "by 1 Mar 2028" in pace_words(target(0, date(2028, 3, 1)), TODAY), "another year"


def test_the_goal_screen_escapes_names_and_keeps_within_telegrams_limits() -> None:
    many = [target(1, date(2027, 6, 1), "<b>" + "x" * 200) for _ in range(30)]
    goal = today(GoalKind.TOPICS, 2, 1, Streak(3, False, 0))
    screen = goal_screen(GoalOverview(TODAY, goal, many), "Asia/Tokyo")
    assert "&lt;b&gt;" in screen.text and "<b>x" not in screen.text
    assert plain_length(screen.text) <= MESSAGE_LIMIT
    assert f"… and {30 - TARGETS_SHOWN} more in /progress." in screen.text
    assert sum(len(row) for row in screen.rows) <= 100
    labels = [b["text"] for row in screen.rows for b in row]
    assert "✓ 2 topics" in labels and "🚫 No daily goal" in labels
