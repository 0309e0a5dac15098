"""Goals and streaks in the learner's own days, and whether a course's target date holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.errors import Reason, TargetRefused
from domain.goals import (
    CourseTarget,
    DailyGoal,
    GoalKind,
    GoalRecord,
    PaceState,
    daily_totals,
    goal_today,
    local_day,
    pace,
    parse_target_date,
    streak,
)

TWO_TOPICS = DailyGoal(GoalKind.TOPICS, 2)


def met_on(*days: date, amount: int = 2) -> dict[date, int]:
    return {day: amount for day in days}


def run(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def test_an_activity_at_23_30_in_tokyo_counts_for_that_tokyo_day() -> None:
    late = datetime(2027, 1, 10, 14, 30, tzinfo=UTC)  # 23:30 JST on the 10th
    early = datetime(2027, 1, 10, 15, 30, tzinfo=UTC)  # 00:30 JST on the 11th
    assert daily_totals([(late, 1), (early, 1)], "Asia/Tokyo") == {
        date(2027, 1, 10): 1,
        date(2027, 1, 11): 1,
    }
    assert daily_totals([(late, 1), (early, 1)], "UTC") == {date(2027, 1, 10): 2}


def test_met_days_in_a_row_make_the_streak_and_today_unmet_does_not_break_it_yet() -> None:
    days = run(date(2027, 1, 1), 3)
    today = date(2027, 1, 4)
    assert streak(met_on(*days), TWO_TOPICS, today).days == 3
    with_today = streak(met_on(*days, today), TWO_TOPICS, today)
    assert (with_today.days, with_today.met_today) == (4, True)
    half = streak({**met_on(*days), today: 1}, TWO_TOPICS, today)
    assert (half.days, half.met_today) == (3, False), "one topic of two: not met yet"


def test_a_missed_day_without_a_freeze_ends_the_streak() -> None:
    totals = met_on(date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 4))
    assert streak(totals, TWO_TOPICS, date(2027, 1, 4)).days == 1


def test_seven_days_earn_a_freeze_that_covers_one_missed_day() -> None:
    week = run(date(2027, 1, 1), 7)
    after_gap = run(date(2027, 1, 9), 2)  # the 8th missed
    result = streak(met_on(*week, *after_gap), TWO_TOPICS, date(2027, 1, 10))
    assert result.days == 9 and result.frozen == [date(2027, 1, 8)] and result.freezes == 0
    two_gaps = met_on(*week, date(2027, 1, 9), date(2027, 1, 11))
    assert streak(two_gaps, TWO_TOPICS, date(2027, 1, 11)).days == 1, "one freeze, two gaps"


def test_freezes_are_kept_at_most_two() -> None:
    four_weeks = run(date(2027, 1, 1), 28)
    assert streak(met_on(*four_weeks), TWO_TOPICS, date(2027, 1, 28)).freezes == 2


def test_a_target_date_is_on_track_or_behind_by_the_pace_so_far() -> None:
    start, target = date(2027, 1, 1), date(2027, 1, 10)  # ten days for ten topics
    on_track = pace(done=5, total=10, started=start, target=target, today=date(2027, 1, 6))
    assert on_track.state is PaceState.ON_TRACK and on_track.days_left == 5
    assert on_track.per_day == 1
    behind = pace(done=2, total=10, started=start, target=target, today=date(2027, 1, 6))
    assert behind.state is PaceState.BEHIND and behind.per_day == 2
    late = pace(done=8, total=10, started=start, target=target, today=date(2027, 1, 12))
    assert (late.state, late.per_day, late.days_left) == (PaceState.BEHIND, 2, 0)
    assert pace(10, 10, start, target, date(2027, 1, 5)).state is PaceState.DONE
    assert pace(0, 10, start, target, start).state is PaceState.ON_TRACK, "day one"


TODAY = date(2027, 1, 10)


@pytest.mark.parametrize(
    "text", ["2027-03-01", "1.3.2027", "1 Mar 2027", "01 march 2027", "  2027-03-01 "]
)
def test_a_target_date_is_read_as_people_write_it(text: str) -> None:
    assert parse_target_date(text, TODAY) == date(2027, 3, 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31-02", Reason.BAD_DATE),
        ("2027-02-31", Reason.BAD_DATE),
        ("tomorrow", Reason.BAD_DATE),
        ("", Reason.BAD_DATE),
        ("2027-01-09", Reason.DATE_PASSED),
        ("2031-01-01", Reason.DATE_TOO_FAR),
    ],
)
def test_a_bad_past_or_far_target_date_is_refused_with_what_was_typed(
    text: str, reason: Reason
) -> None:
    with pytest.raises(TargetRefused) as refused:
        parse_target_date(text, TODAY)
    assert refused.value.reason is reason and refused.value.text == text.strip()
    assert parse_target_date("2027-01-10", TODAY) == TODAY, "today itself is fine"


def test_today_is_the_learners_own_day() -> None:
    moment = datetime(2027, 1, 10, 15, 30, tzinfo=UTC)
    assert local_day(moment, ZoneInfo("Asia/Tokyo")) == date(2027, 1, 11)
    assert local_day(moment, UTC) == date(2027, 1, 10)


def test_goal_today_says_how_far_today_is_and_the_streak() -> None:
    three_days = met_on(*run(TODAY - timedelta(days=3), 3))
    record = GoalRecord(TWO_TOPICS, datetime(2027, 1, 1, tzinfo=UTC), {**three_days, TODAY: 1})
    today = goal_today(record, TODAY)
    assert today is not None and (today.done_today, today.met, today.streak.days) == (1, False, 3)
    assert goal_today(None, TODAY) is None


def test_a_target_set_midway_counts_only_the_topics_done_since() -> None:
    target = CourseTarget(uuid4(), "C", date(2027, 1, 19), TODAY, 10, 10, 20)
    assert target.pace(TODAY).state is PaceState.ON_TRACK, "day one"
    idle = target.pace(date(2027, 1, 15))  # half the days gone, nothing done since
    assert (idle.state, idle.per_day) == (PaceState.BEHIND, 2)
    kept_up = CourseTarget(uuid4(), "C", date(2027, 1, 19), TODAY, 10, 15, 20)
    assert kept_up.pace(date(2027, 1, 15)).state is PaceState.ON_TRACK
