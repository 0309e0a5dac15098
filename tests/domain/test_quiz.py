"""Pure quiz rules: drawing and freezing a question set, scoring, gating and finishing."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from uuid import uuid4

import pytest

from domain.progress import CourseCompleted, ModuleUnlocked
from domain.quiz.model import (
    Attempt,
    AttemptStatus,
    BankQuestion,
    Gate,
    ModuleQuizRecord,
    Question,
    QuestionKind,
    QuizRules,
)
from domain.quiz.rules import (
    draw_questions,
    freeze,
    gate,
    passes,
    plan_finish,
    question_kind,
    section_results,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def bank_question(key: str, section: int = 0, options: int = 4) -> BankQuestion:
    """A single-choice question whose first option (`<key>:right`) is the correct one."""
    return BankQuestion(
        key=key,
        section=section,
        text=f"Question {key}?",
        explanation=f"Because {key}.",
        options=(
            (f"{key}:right", True),
            *((f"{key}:wrong{i}", False) for i in range(1, options)),
        ),
    )


def bank(sections: int, per_section: int) -> list[BankQuestion]:
    return [
        bank_question(f"s{s}q{q}", section=s) for s in range(sections) for q in range(per_section)
    ]


def record(**overrides) -> ModuleQuizRecord:
    """Module 1 of 3, unlocked, both topics done, nothing attempted: the quiz is open."""
    base = ModuleQuizRecord(
        course_id=uuid4(),
        course_name="Tea basics",
        module_no=1,
        module_title="Kinds of tea",
        last_module_no=3,
        next_module_title="Brewing",
        enrollment_status="active",
        rules=QuizRules(pass_threshold=70, cooldown_hours=24, attempts_limit=0),
        bank_size=10,
        topic_titles={1: "The tea plant", 2: "Green, oolong and black"},
        topics_completed=2,
        unlocked=True,
        quiz_passed=False,
        best_score=None,
        attempts_used=0,
        extra_attempts=0,
        cooldown_until=None,
        open_attempt=None,
    )
    return replace(base, **overrides)


def rules(**overrides) -> QuizRules:
    return replace(QuizRules(pass_threshold=70, cooldown_hours=24), **overrides)


# -- drawing a question set ------------------------------------------------------------------


@pytest.mark.parametrize("count", [4, 5, 7])
def test_draw_covers_every_section_when_the_count_allows(count: int) -> None:
    for seed in range(25):
        drawn = draw_questions(bank(sections=4, per_section=5), count, random.Random(seed))
        assert {q.section for q in drawn} == {0, 1, 2, 3}, seed


@pytest.mark.parametrize("count", [1, 2, 3, 6, 11])
def test_draw_returns_exactly_count_distinct_questions_when_the_bank_is_larger(
    count: int,
) -> None:
    drawn = draw_questions(bank(sections=3, per_section=4), count, random.Random(count))

    assert len(drawn) == count
    assert len({q.key for q in drawn}) == count, "no question is drawn twice"


def test_fewer_slots_than_sections_still_spread_over_distinct_sections() -> None:
    for seed in range(20):
        drawn = draw_questions(bank(sections=5, per_section=3), 3, random.Random(seed))
        assert len({q.section for q in drawn}) == 3


def test_draw_takes_the_whole_bank_when_it_is_smaller_than_count() -> None:
    questions = [*bank(sections=2, per_section=2), bank_question("lonely", section=7)]

    drawn = draw_questions(questions, 10, random.Random(1))

    assert sorted(q.key for q in drawn) == sorted(q.key for q in questions)


def test_draw_of_an_empty_bank_is_empty() -> None:
    assert draw_questions([], 10, random.Random(0)) == []


def test_the_same_seed_draws_the_same_set_in_the_same_order() -> None:
    questions = bank(sections=3, per_section=4)

    assert draw_questions(questions, 6, random.Random(42)) == draw_questions(
        questions, 6, random.Random(42)
    )


def test_different_seeds_shuffle_question_and_option_order() -> None:
    questions = bank(sections=2, per_section=3)
    draws = [draw_questions(questions, 6, random.Random(seed)) for seed in range(10)]

    question_orders = {tuple(q.key for q in drawn) for drawn in draws}
    option_orders = {
        next(q.options for q in drawn if q.key == "s0q0") for drawn in draws
    }  # one question's options across draws

    assert len(question_orders) > 1, "the question order depends on the seed"
    assert len(option_orders) > 1, "the option order depends on the seed"
    assert all(
        sorted(q.options) == sorted(t for t, _ in bank_question(q.key).options)
        for drawn in draws
        for q in drawn
    ), "shuffling reorders options, it never drops or invents one"


def test_the_drawn_set_is_shuffled_as_a_whole_not_served_section_by_section() -> None:
    questions = bank(sections=2, per_section=3)

    def neighbours_share_a_section(drawn: list[Question]) -> bool:
        return any(a.section == b.section for a, b in pairwise(drawn))

    assert any(
        neighbours_share_a_section(draw_questions(questions, 6, random.Random(seed)))
        for seed in range(10)
    ), "taking turns between sections alone would never put two of one section side by side"


def test_the_correct_set_follows_its_option_through_the_shuffle() -> None:
    multiple = BankQuestion(
        "multi", 0, "Which are true teas?", "", (("Green", True), ("Mint", False), ("Black", True))
    )
    questions = [*bank(sections=2, per_section=3), multiple]
    for seed in range(30):
        for q in draw_questions(questions, 7, random.Random(seed)):
            right = {i for i, text in enumerate(q.options) if text.endswith(":right")}
            if q.key == "multi":
                right = {q.options.index("Green"), q.options.index("Black")}
            assert q.correct == frozenset(right), (seed, q)
            assert q.is_right(frozenset(right))


# -- freezing a single question --------------------------------------------------------------


def test_true_false_is_detected_case_insensitively_and_always_shown_true_first() -> None:
    question = BankQuestion(
        "tf", 0, "Oolong is partly oxidised.", "", ((" FALSE ", False), ("tRuE", True))
    )

    assert question_kind(question.options) is QuestionKind.TRUE_FALSE
    for seed in range(10):
        frozen = freeze(question, random.Random(seed))
        assert frozen.kind is QuestionKind.TRUE_FALSE
        assert frozen.options == ("tRuE", " FALSE ")
        assert frozen.correct == frozenset({0})


def test_a_false_statement_keeps_its_correct_index_on_false() -> None:
    question = BankQuestion("tf", 0, "Mint is a true tea.", "", (("True", False), ("False", True)))

    frozen = freeze(question, random.Random(3))

    assert frozen.options == ("True", "False")
    assert frozen.correct == frozenset({1})


def test_true_and_false_among_other_options_is_not_a_true_false_question() -> None:
    options = (("True", True), ("False", False), ("Sometimes", False))
    assert question_kind(options) is QuestionKind.SINGLE


def test_several_correct_options_make_a_multiple_choice_question() -> None:
    assert question_kind((("a", True), ("b", True), ("c", False))) is QuestionKind.MULTIPLE
    assert question_kind((("a", True), ("b", False), ("c", False))) is QuestionKind.SINGLE


def test_freezing_keeps_the_question_text_section_and_explanation() -> None:
    source = bank_question("k", section=2)

    frozen = freeze(source, random.Random(0))

    assert (frozen.key, frozen.section, frozen.text, frozen.explanation) == (
        "k",
        2,
        "Question k?",
        "Because k.",
    )
    assert frozen.kind is QuestionKind.SINGLE


def test_a_frozen_question_survives_a_json_round_trip() -> None:
    frozen = Question(
        key="multi",
        section=1,
        text="Which are true teas?",
        explanation="Both come from Camellia sinensis.",
        kind=QuestionKind.MULTIPLE,
        options=("Mint", "Green", "Black"),
        correct=frozenset({2, 1}),
    )

    stored = json.loads(json.dumps(frozen.to_json()))

    assert stored["correct"] == [1, 2]
    assert Question.from_json(stored) == frozen


# -- scoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("correct", "total", "threshold", "expected"),
    [
        (7, 10, 70, True),
        (6, 10, 70, False),
        (10, 10, 100, True),
        (9, 10, 100, False),
        (1, 2, 50, True),
        (2, 3, 67, False),  # 66.67 % is below 67
        (0, 0, 1, False),
    ],
)
def test_pass_threshold_is_inclusive(
    correct: int, total: int, threshold: int, expected: bool
) -> None:
    assert passes(correct, total, threshold) is expected


def attempt_of(sections: list[int]) -> Attempt:
    """Questions in the given sections, the correct answer always option 0."""
    questions = tuple(
        Question(f"q{i}", s, "?", "", QuestionKind.SINGLE, ("a", "b"), frozenset({0}))
        for i, s in enumerate(sections)
    )
    return Attempt(uuid4(), 42, uuid4(), 1, questions, {}, 0, 0, AttemptStatus.IN_PROGRESS, NOW)


def test_section_results_mark_the_sections_below_the_threshold_as_weak() -> None:
    attempt = attempt_of([0, 1, 0, 1, 1])
    answers = {0: (0,), 1: (0,), 2: (0,), 3: (1,)}  # question 4 was never answered

    results = section_results(attempt, answers, threshold=70, topic_numbers=[4, 1, 3, 2])

    assert [(r.section, r.topic_numbers, r.correct, r.total, r.weak) for r in results] == [
        (0, (1, 2), 2, 2, False),
        (1, (3, 4), 1, 3, True),
    ]


def test_a_section_exactly_at_the_threshold_is_not_weak() -> None:
    results = section_results(attempt_of([0, 0]), {0: (0,), 1: (1,)}, 50, [1, 2])

    assert [r.weak for r in results] == [False]


# -- who may start the quiz ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, Gate.OPEN),
        ({"bank_size": 0, "unlocked": False, "quiz_passed": True}, Gate.NO_QUIZ),
        ({"unlocked": False, "topics_completed": 0}, Gate.MODULE_LOCKED),
        ({"quiz_passed": True, "cooldown_until": NOW + timedelta(hours=1)}, Gate.PASSED),
        ({"open_attempt": uuid4(), "cooldown_until": NOW + timedelta(hours=1)}, Gate.IN_PROGRESS),
        ({"topics_completed": 1}, Gate.TOPICS_PENDING),
    ],
    ids=["open", "no-quiz", "locked", "passed", "in-progress", "topics-pending"],
)
def test_gate_names_where_the_learner_stands(overrides: dict, expected: Gate) -> None:
    assert gate(record(**overrides), NOW).gate is expected


def test_a_future_cooldown_closes_the_quiz_until_it_ends() -> None:
    until = NOW + timedelta(minutes=1)

    status = gate(record(cooldown_until=until), NOW)

    assert status.gate is Gate.COOLDOWN
    assert status.reopens_at == until


@pytest.mark.parametrize("ago", [timedelta(0), timedelta(seconds=1), timedelta(days=3)])
def test_a_cooldown_that_has_ended_leaves_the_quiz_open(ago: timedelta) -> None:
    status = gate(record(cooldown_until=NOW - ago), NOW)

    assert status.gate is Gate.OPEN
    assert status.reopens_at is None


def test_used_up_attempts_close_the_quiz_and_extra_attempts_reopen_it() -> None:
    limited = rules(attempts_limit=2)

    exhausted = gate(record(rules=limited, attempts_used=2), NOW)
    granted = gate(record(rules=limited, attempts_used=2, extra_attempts=1), NOW)
    one_left = gate(record(rules=limited, attempts_used=1), NOW)

    assert (exhausted.gate, exhausted.attempts_left) == (Gate.NO_ATTEMPTS_LEFT, 0)
    assert (granted.gate, granted.attempts_left) == (Gate.OPEN, 1)
    assert (one_left.gate, one_left.attempts_left) == (Gate.OPEN, 1)


def test_a_cooldown_is_reported_before_running_out_of_attempts() -> None:
    status = gate(
        record(rules=rules(attempts_limit=1), attempts_used=1, cooldown_until=NOW + timedelta(1)),
        NOW,
    )

    assert (status.gate, status.attempts_left) == (Gate.COOLDOWN, 0)


def test_no_attempts_limit_means_unlimited_attempts() -> None:
    status = gate(record(rules=rules(attempts_limit=0), attempts_used=99), NOW)

    assert (status.gate, status.attempts_left) == (Gate.OPEN, None)


def test_a_course_that_does_not_require_topics_opens_the_quiz_before_they_are_done() -> None:
    status = gate(record(rules=rules(requires_topics=False), topics_completed=0), NOW)

    assert status.gate is Gate.OPEN


def test_question_count_is_capped_by_the_bank() -> None:
    assert gate(record(rules=rules(question_count=10), bank_size=4), NOW).question_count == 4
    assert gate(record(rules=rules(question_count=3), bank_size=4), NOW).question_count == 3


# -- finishing an attempt --------------------------------------------------------------------


def test_passing_a_module_that_is_not_the_last_unlocks_the_next_one() -> None:
    passed = record(module_no=1, last_module_no=3)
    finish = plan_finish(passed, 7, 10, NOW, user_id=42)

    assert finish.status is AttemptStatus.PASSED
    assert finish.advance == ModuleUnlocked(42, passed.course_id, 2, NOW)
    assert (finish.score, finish.unlock_module, finish.complete_course) == (70.0, 2, False)
    assert finish.cooldown_until is None


def test_passing_the_last_module_completes_the_course() -> None:
    last = record(module_no=3, last_module_no=3)
    finish = plan_finish(last, 10, 10, NOW, user_id=42)

    assert finish.status is AttemptStatus.PASSED
    assert finish.advance == CourseCompleted(42, last.course_id, NOW)
    assert (finish.unlock_module, finish.complete_course) == (None, True)


def test_failing_starts_the_course_cooldown_from_now() -> None:
    finish = plan_finish(record(rules=rules(cooldown_hours=5)), 2, 3, NOW, user_id=42)

    assert finish.status is AttemptStatus.FAILED
    assert finish.score == 66.67
    assert finish.cooldown_until == NOW + timedelta(hours=5)
    assert (finish.unlock_module, finish.complete_course) == (None, False)


def test_a_course_without_cooldown_lets_the_learner_retry_at_once() -> None:
    finish = plan_finish(record(rules=rules(cooldown_hours=0)), 0, 10, NOW, user_id=42)

    assert finish.status is AttemptStatus.FAILED
    assert finish.cooldown_until is None


def test_abandoning_is_never_a_pass_even_with_every_answer_right() -> None:
    last = record(module_no=3, last_module_no=3)
    finish = plan_finish(last, 10, 10, NOW, user_id=42, abandoned=True)

    assert finish.status is AttemptStatus.ABANDONED
    assert finish.score == 100.0
    assert finish.cooldown_until == NOW + timedelta(hours=24)
    assert finish.advance is None
