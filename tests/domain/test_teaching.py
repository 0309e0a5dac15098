"""The tutor hints before it tells, and never tells a quiz answer."""

from __future__ import annotations

from domain.teaching import Mode, instructions, plan

QUIZ = ["Which plant do green and black tea both come from?"]


def test_a_plain_question_is_explained() -> None:
    assert plan("Why is oolong darker than green tea?", None, QUIZ).mode is Mode.EXPLAIN


def test_an_exercise_gets_a_hint_first() -> None:
    for text in (
        "Solve this: how long should I steep 3 g of black tea?",
        "What's the answer to exercise 2?",
        "Is it a) 80 °C or b) 100 °C for green tea?",
    ):
        assert plan(text, None, QUIZ).mode is Mode.HINT, text


def test_a_quiz_question_in_other_words_is_quiz_like() -> None:
    decided = plan("which plant do green and black tea come from", None, QUIZ)
    assert decided.mode is Mode.HINT and decided.quiz_like


def test_the_message_after_a_hint_is_the_attempt_and_gets_a_worked_explanation() -> None:
    assert plan("I think it is two minutes", "hint", QUIZ).mode is Mode.WORKED


def test_a_quiz_question_stays_a_hint_even_after_an_attempt() -> None:
    decided = plan(
        "Is it Camellia sinensis? Which plant do green and black tea come from", "hint", QUIZ
    )
    assert decided.mode is Mode.HINT and decided.quiz_like


def test_each_mode_says_what_to_do() -> None:
    assert instructions(plan("Why?", None, QUIZ)) == []
    [hint] = instructions(plan("Solve exercise 1", None, QUIZ))
    assert "Do not give the final answer" in hint and "guiding question" in hint
    [worked] = instructions(plan("my attempt", "hint", QUIZ))
    assert "attempt" in worked and "worked" in worked
    quiz_rules = " ".join(instructions(plan(QUIZ[0], None, QUIZ)))
    assert "never reveal which option is correct" in quiz_rules
