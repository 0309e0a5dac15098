"""Flood rules with the clock in the test's hands: learners' token buckets and the
outgoing sliding window."""

from __future__ import annotations

from bisect import bisect_left

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.flood import FloodControl, FloodRules, Limit, SlidingWindow, TokenBucket

RULES = FloodRules(messages_per_minute=60, burst=10, questions_per_minute=6, question_burst=2)
ADA, BOB = 42, 43


def flood(control: FloodControl, user_id: int, count: int, now: float, *, question=False):
    return [control.admit(user_id, now, question=question) for _ in range(count)]


def test_a_learner_within_the_burst_is_always_let_through() -> None:
    control = FloodControl(RULES)

    verdicts = flood(control, ADA, 10, now=0.0)

    assert all(v.allowed for v in verdicts)


def test_over_the_burst_the_learner_is_told_once_per_stretch_not_once_per_message() -> None:
    control = FloodControl(RULES)
    flood(control, ADA, 10, now=0.0)

    dropped = flood(control, ADA, 50, now=0.5)

    assert not any(v.allowed for v in dropped)
    assert [v.notify for v in dropped] == [True] + [False] * 49
    assert {v.limit for v in dropped} == {Limit.MESSAGES}
    assert control.stats.dropped[Limit.MESSAGES] == 50
    assert control.stats.stretches[Limit.MESSAGES] == 1


def test_a_stretch_ends_after_the_wait_the_learner_was_told_not_at_the_first_new_token() -> None:
    control = FloodControl(RULES)
    flood(control, ADA, 10, now=0.0)
    (first,) = flood(control, ADA, 1, now=0.0)
    assert first.wait == 5.0, "half the bucket (5 tokens) at one token a second"

    assert not control.admit(ADA, now=2.0).allowed, "two tokens back: still inside the stretch"
    assert not control.admit(ADA, now=4.9).allowed
    assert control.admit(ADA, now=5.0).allowed, "dropped messages cost nothing"

    again = flood(control, ADA, 10, now=5.0)
    assert [v.allowed for v in again] == [True] * 4 + [False] * 6
    assert again[4].notify, "a new stretch is told about again"
    assert control.stats.stretches[Limit.MESSAGES] == 2


def test_questions_have_their_own_smaller_rate_and_plain_messages_still_pass() -> None:
    control = FloodControl(RULES)

    questions = flood(control, ADA, 4, now=0.0, question=True)
    assert [v.allowed for v in questions] == [True, True, False, False]
    assert [v.notify for v in questions[2:]] == [True, False]
    assert {v.limit for v in questions[2:]} == {Limit.QUESTIONS}

    assert control.admit(ADA, now=0.0).allowed, "a button press or a command still works"
    # 2 questions + 1 message took message tokens; the 2 dropped questions did not.
    assert all(v.allowed for v in flood(control, ADA, 7, now=0.0))
    assert not control.admit(ADA, now=0.0).allowed


def test_a_question_waits_for_its_own_bucket_to_refill() -> None:
    control = FloodControl(RULES)
    flood(control, ADA, 3, now=0.0, question=True)  # two through, the third starts a stretch

    assert not control.admit(ADA, now=9.0, question=True).allowed, "0.9 of a question back"
    assert control.admit(ADA, now=10.0, question=True).allowed, "one question (half of 2)"


def test_learners_are_limited_independently() -> None:
    control = FloodControl(RULES)
    flood(control, ADA, 30, now=0.0)

    assert all(v.allowed for v in flood(control, BOB, 10, now=0.0))


def test_a_rate_of_zero_switches_that_limit_off() -> None:
    no_questions_limit = FloodControl(FloodRules(60, 10, 0, 2))
    assert all(v.allowed for v in flood(no_questions_limit, ADA, 10, 0.0, question=True))

    off = FloodControl(FloodRules(0, 10, 0, 2))
    assert not off.enabled
    assert all(v.allowed for v in flood(off, ADA, 1000, 0.0, question=True))


def test_learners_whose_buckets_are_full_again_are_forgotten() -> None:
    control = FloodControl(RULES, forget_every=10)
    for user_id in range(9):
        control.admit(user_id, now=0.0)
    assert control.tracked() == 9

    control.admit(100, now=60.0)  # the tenth admission looks for idle learners

    assert control.tracked() == 1
    assert control.admit(0, now=60.0).allowed


def test_a_clock_that_steps_back_refills_nothing() -> None:
    bucket = TokenBucket.full(capacity=2, per_second=1.0, now=10.0)
    bucket.take()
    bucket.take()

    assert not bucket.has(1, now=5.0)
    assert not bucket.has(1, now=10.5)
    assert bucket.has(1, now=11.0)


@settings(max_examples=200, deadline=None)
@given(gaps=st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=150))
def test_admitted_messages_never_exceed_the_burst_plus_the_rate_over_any_span(gaps) -> None:
    control = FloodControl(RULES)
    now, admitted = 0.0, []
    for gap in gaps:
        now += gap
        if control.admit(ADA, now).allowed:
            admitted.append(now)

    per_second = RULES.messages_per_minute / 60
    for i, start in enumerate(admitted):
        for j in range(i, len(admitted)):
            span = admitted[j] - start
            assert j - i + 1 <= RULES.burst + per_second * span + 1e-9


# -- outgoing: the sliding window ------------------------------------------------------------


def test_a_window_lets_its_limit_through_at_once_then_says_exactly_how_long_to_wait() -> None:
    window = SlidingWindow(limit=3, window=3.0)
    for _ in range(3):
        assert window.delay(0.0) == 0.0
        window.record(0.0)

    assert window.delay(1.0) == 2.0
    assert window.delay(3.0) == 0.0, "the first three have left the window"


def test_sends_recorded_without_waiting_leave_less_room_for_those_who_wait() -> None:
    window = SlidingWindow(limit=3, window=1.0)
    for at in (0.0, 0.1, 0.2, 0.3):  # replies: counted, never held back
        window.record(at)

    assert window.ready_at(0.5) == 1.1, "when the third newest (0.1) has left"
    assert window.idle(1.3)


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=30),
    arrivals=st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=120),
)
def test_callers_that_wait_as_told_never_put_more_than_the_limit_in_any_window(
    limit: int, arrivals: list[float]
) -> None:
    window = SlidingWindow(limit, 1.0)
    sent: list[float] = []
    for arrival in sorted(arrivals):
        at = window.ready_at(max(arrival, sent[-1] if sent else 0.0))
        window.record(at)
        sent.append(at)

    for start in sent:
        inside = bisect_left(sent, start + 1.0) - bisect_left(sent, start)
        assert inside <= limit
