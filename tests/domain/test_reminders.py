"""When a reminder goes out: the learner's 19:00 in their zone, never in quiet hours, once
a local day, across daylight-saving changes, backing off when ignored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import BadTime
from domain.reminders import (
    VARIANTS,
    Cadence,
    DueReminder,
    Notice,
    Outcome,
    QuietHours,
    ReminderPlan,
    Waiting,
    came_back,
    decide,
    ignored,
    next_send_at,
    parse_quiet,
    parse_time,
    pick_variant,
    sent,
    snoozed,
    usual_study_time,
)

NIGHT = QuietHours(time(22, 0), time(8, 0))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("19:00", time(19)),
        ("19", time(19)),
        ("7pm", time(19)),
        ("7:30 pm", time(19, 30)),
        ("12 am", time(0)),
        ("12pm", time(12)),
        ("07.30", time(7, 30)),
        ("19h", time(19)),
        (" 6:05 ", time(6, 5)),
    ],
)
def test_a_typed_time_is_read_as_a_person_means_it(typed: str, meant: time) -> None:
    assert parse_time(typed) == meant


@pytest.mark.parametrize("typed", ["25:99", "24:00", "tomorrow", "", "13pm", "7:5", "19:60"])
def test_what_is_not_a_time_of_day_is_refused_with_what_was_typed(typed: str) -> None:
    with pytest.raises(BadTime) as refused:
        parse_time(typed)
    assert refused.value.text == typed


def test_a_tokyo_learner_gets_theirs_at_their_19_00_and_a_3_00_waits_for_quiet_hours_end() -> None:
    evening = ReminderPlan("Asia/Tokyo", time(19), NIGHT)
    assert next_send_at(evening, utc(2027, 1, 10, 0, 0)) == utc(2027, 1, 10, 10, 0)
    night = ReminderPlan("Asia/Tokyo", time(3), NIGHT)
    assert next_send_at(night, utc(2027, 1, 10, 0, 0)) == utc(2027, 1, 10, 23, 0)  # 08:00 JST


def test_a_berlin_learners_19_00_moves_in_utc_across_both_daylight_saving_changes() -> None:
    plan = ReminderPlan("Europe/Berlin", time(19), NIGHT)
    days = [
        (utc(2027, 3, 27, 12), utc(2027, 3, 27, 18)),  # CET
        (utc(2027, 3, 28, 12), utc(2027, 3, 28, 17)),  # CEST from 02:00 that night
        (utc(2027, 10, 30, 12), utc(2027, 10, 30, 17)),
        (utc(2027, 10, 31, 12), utc(2027, 10, 31, 18)),  # CET again
    ]
    for after, expected in days:
        assert next_send_at(plan, after) == expected
        assert next_send_at(plan, after).astimezone(ZoneInfo("Europe/Berlin")).hour == 19


def test_a_time_the_night_skips_becomes_the_first_minute_after_the_jump() -> None:
    plan = ReminderPlan("Europe/Berlin", time(2, 30))
    at = next_send_at(plan, utc(2027, 3, 27, 23))
    assert at == utc(2027, 3, 28, 1, 0)  # 03:00 CEST: 02:00-03:00 does not exist that night
    twice = next_send_at(plan, utc(2027, 10, 30, 23))
    assert twice == utc(2027, 10, 31, 0, 30), "02:30 happens twice: the first one"


def test_never_twice_in_one_local_day() -> None:
    plan = ReminderPlan("Asia/Tokyo", time(19))
    first = next_send_at(plan, utc(2027, 1, 10, 0))
    assert first == utc(2027, 1, 10, 10)
    after_sending = sent(plan, first)
    assert next_send_at(after_sending, first) == utc(2027, 1, 11, 10)
    # The learner moves the time later the same day: still tomorrow.
    later = sent(ReminderPlan("Asia/Tokyo", time(21)), first)
    assert next_send_at(later, first) == utc(2027, 1, 11, 12)


def test_three_ignored_go_weekly_three_more_stop_and_each_change_is_said() -> None:
    plan, notices = ReminderPlan("UTC", time(19)), []
    for _ in range(6):
        plan, notice = ignored(plan)
        notices.append(notice)
        if plan.cadence is Cadence.WEEKLY and notice is Notice.GOING_WEEKLY:
            last = utc(2027, 1, 10, 19)
            assert next_send_at(sent(plan, last), last) == utc(2027, 1, 17, 19)
    assert notices == [None, None, Notice.GOING_WEEKLY, None, None, Notice.STOPPING]
    assert plan.cadence is Cadence.STOPPED and next_send_at(plan, utc(2027, 1, 1)) is None
    assert came_back(plan).cadence is Cadence.DAILY


def test_a_snooze_sends_again_later_but_not_in_quiet_hours() -> None:
    plan = sent(ReminderPlan("UTC", time(19), NIGHT), utc(2027, 1, 10, 19))
    again = snoozed(plan, utc(2027, 1, 10, 19, 5))
    assert next_send_at(again, utc(2027, 1, 10, 19, 5)) == utc(2027, 1, 10, 21, 5)
    late = snoozed(
        sent(ReminderPlan("UTC", time(21), NIGHT), utc(2027, 1, 10, 21)), utc(2027, 1, 10, 21)
    )
    assert next_send_at(late, utc(2027, 1, 10, 21)) == utc(2027, 1, 11, 8), "23:00 is quiet"


def test_usual_study_time_is_the_most_frequent_local_hour() -> None:
    evenings = [utc(2027, 1, d, 11, 15) for d in range(1, 6)]  # 20:15 in Tokyo
    mornings = [utc(2027, 1, d, 0, 10) for d in range(1, 3)]  # 09:10 in Tokyo
    assert usual_study_time(evenings + mornings, "Asia/Tokyo") == time(20)
    assert usual_study_time(mornings, "Asia/Tokyo") is None, "two activities are no habit"
    usual = ReminderPlan("Asia/Tokyo", None)
    assert next_send_at(usual, utc(2027, 1, 10), usual=time(20)) == utc(2027, 1, 10, 11)
    assert next_send_at(usual, utc(2027, 1, 10)) is None


def test_wordings_take_turns_and_only_something_waiting_is_worth_a_reminder() -> None:
    assert [pick_variant(n, 3) for n in range(5)] == [0, 1, 2, 0, 1]
    assert not Waiting().worth_a_reminder
    assert Waiting(cards_due=6, topics_left=2, module_no=2).worth_a_reminder


zones = st.sampled_from(["Asia/Tokyo", "Europe/Berlin", "America/New_York", "Australia/Sydney"])
clock = st.times().map(lambda t: t.replace(second=0, microsecond=0))
moments = st.datetimes(datetime(2026, 1, 1), datetime(2029, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@given(zone=zones, wanted=clock, start=clock, end=clock, after=moments)
def test_a_reminder_is_never_in_quiet_hours_and_never_twice_a_local_day(
    zone: str, wanted: time, start: time, end: time, after: datetime
) -> None:
    quiet = QuietHours(start, end) if start != end else None
    plan = ReminderPlan(zone, wanted, quiet)
    first = next_send_at(plan, after)
    assert first is not None and after < first <= after + timedelta(days=2)
    local = first.astimezone(ZoneInfo(zone))
    if quiet is not None:
        assert local.time() not in quiet
    second = next_send_at(sent(plan, first), first)
    assert second is not None
    assert second.astimezone(ZoneInfo(zone)).date() > local.date()


# -- quiet hours as typed, and what a due reminder does (domain.reminders.decide) ------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("22:00-07:00", QuietHours(time(22), time(7))),
        ("22 - 7", QuietHours(time(22), time(7))),
        ("10pm – 7am", QuietHours(time(22), time(7))),
        ("13:00 to 14:30", QuietHours(time(13), time(14, 30))),
    ],
)
def test_quiet_hours_are_read_as_typed(typed: str, meant: QuietHours) -> None:
    assert parse_quiet(typed) == meant


@pytest.mark.parametrize("typed", ["22:00", "", "22:00-25:00", "7-7", "night", "1-2-3"])
def test_what_is_not_two_times_is_refused_with_what_was_typed(typed: str) -> None:
    with pytest.raises(BadTime) as refused:
        parse_quiet(typed)
    assert refused.value.text == typed


EVENING = ReminderPlan("UTC", time(19))
DUE = utc(2027, 1, 10, 19)
SOME = Waiting(cards_due=6, topics_left=2, module_no=2)


def due(plan: ReminderPlan = EVENING, **fields) -> DueReminder:
    return DueReminder(
        **({"user_id": 1, "plan": plan, "next_at": DUE, "sent_count": 0, "waiting": SOME} | fields)
    )


def test_a_due_reminder_is_sent_and_the_next_is_tomorrow() -> None:
    decision = decide(due(sent_count=5), DUE)
    assert decision.sends and decision.notice is None
    assert decision.variant == 5 % VARIANTS
    assert decision.plan.last_sent_at == DUE
    assert decision.next_at == DUE + timedelta(days=1)


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"waiting": Waiting()}, Outcome.NOTHING_WAITING),
        ({"blocked": True}, Outcome.BLOCKED),
        ({"next_at": DUE - timedelta(hours=1, minutes=1)}, Outcome.TOO_LATE),
    ],
)
def test_a_due_reminder_that_should_not_go_moves_to_its_next_time(fields, outcome) -> None:
    decision = decide(due(**fields), DUE)
    assert decision.outcome is outcome and not decision.sends
    assert decision.unsent_plan == EVENING, "nothing counted"
    assert decision.unsent_next_at == DUE + timedelta(days=1)


def test_quiet_hours_on_the_learners_clock_now_are_never_broken() -> None:
    # Due at 19:00 UTC, but the learner has since moved to Tokyo: 04:00 there, quiet.
    plan = ReminderPlan("Asia/Tokyo", time(19), NIGHT)
    decision = decide(due(plan), DUE)
    assert decision.outcome is Outcome.QUIET
    assert decision.unsent_next_at == utc(2027, 1, 11, 10)  # 19:00 JST


def test_the_one_before_is_judged_ignored_unless_the_learner_studied_since() -> None:
    before = replace(EVENING, last_sent_at=DUE - timedelta(days=1), ignored_in_a_row=2)
    studied = decide(due(before, last_active=DUE - timedelta(hours=2)), DUE)
    assert studied.plan.ignored_in_a_row == 0 and studied.notice is None
    ignored_third = decide(due(before, last_active=DUE - timedelta(days=2)), DUE)
    assert ignored_third.plan.ignored_in_a_row == 3
    assert ignored_third.notice is Notice.GOING_WEEKLY
    assert ignored_third.next_at == DUE + timedelta(days=7)
    last = replace(before, ignored_in_a_row=5, last_sent_at=DUE - timedelta(days=7))
    stopping = decide(due(last), DUE)
    assert (stopping.sends, stopping.notice, stopping.next_at) == (True, Notice.STOPPING, None)


def test_when_i_usually_study_follows_the_activity_and_waits_until_there_is_some() -> None:
    usual = ReminderPlan("UTC", None)
    none_yet = decide(due(usual), DUE)
    assert none_yet.outcome is Outcome.NO_USUAL_TIME
    assert none_yet.unsent_next_at == DUE + timedelta(days=1)
    nights = tuple(utc(2027, 1, d, 21, 10) for d in (6, 7, 8))
    learned = decide(due(usual, next_at=DUE, activity=nights), DUE)
    assert learned.sends
    assert learned.next_at == utc(2027, 1, 11, 21), "their usual 21:00, from tomorrow"
