"""How the tutor answers: explain, hint first, or work through the learner's attempt.

Handing over answers makes practice easy and learning shallow: in a randomised trial an
unguarded chat tutor raised practice scores but lowered exam scores by 17 %, while a
tutor guarded to give hints did not (Bastani et al., PNAS 2025). So a request that looks
like an exercise or like one of the course's quiz questions gets a hint and a guiding
question first; the learner's next message in that thread is taken as their attempt and
gets a worked explanation that starts from it. A quiz question's answer is never given,
attempt or not: the quiz would stop measuring anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.lexical import query_terms

QUIZ_LIKE_OVERLAP = 0.6  # share of a quiz question's terms a request repeats

_EXERCISE = re.compile(
    r"\b(solve|calculate|compute|work out|answer (?:to|for|of)|what'?s the answer|"
    r"which (?:option|one|answer|of these)|true or false|homework|assignment|exercise|"
    r"quiz|correct (?:option|answer)|the right answer|give me the answer)\b"
    r"|(?:^|\s)\(?[a-d]\)\s",
    re.I,
)


class Mode(StrEnum):
    EXPLAIN = "explain"
    HINT = "hint"
    WORKED = "worked"


@dataclass(frozen=True)
class Plan:
    mode: Mode
    quiz_like: bool  # the request repeats a question of the course's quizzes


def plan(question: str, last_mode: str | None, quiz_questions: Sequence[str]) -> Plan:
    """The mode for this message, given the mode of the thread's last answer."""
    quiz_like = _repeats_a_quiz_question(question, quiz_questions)
    if last_mode == Mode.HINT:
        return Plan(Mode.HINT if quiz_like else Mode.WORKED, quiz_like)
    if quiz_like or _EXERCISE.search(question):
        return Plan(Mode.HINT, quiz_like)
    return Plan(Mode.EXPLAIN, False)


def instructions(plan: Plan) -> list[str]:
    """The rules the mode adds to the tutor's frame."""
    rules = []
    if plan.mode is Mode.HINT:
        rules.append(
            "- This message asks for the answer to an exercise or a quiz-like question. Do "
            "not give the final answer or say which option is right. Give one hint grounded "
            "in the passages, then one guiding question for the next step, and invite the "
            "learner to try and reply with their attempt."
        )
    if plan.mode is Mode.WORKED:
        rules.append(
            "- Your previous reply was a hint; this message is the learner's attempt. Say "
            "what is right in it, correct what is not, then give a short worked "
            "explanation that starts from their attempt."
        )
    if plan.quiz_like:
        rules.append(
            "- It repeats a question of the course's quiz: never reveal which option is "
            "correct, even after an attempt; say whether their reasoning holds and which "
            "passage to reread."
        )
    return rules


def _repeats_a_quiz_question(question: str, quiz_questions: Sequence[str]) -> bool:
    asked = set(query_terms(question))
    if len(asked) < 2:
        return False
    for quiz in quiz_questions:
        wanted = set(query_terms(quiz))
        if len(wanted) >= 2 and len(asked & wanted) / len(wanted) >= QUIZ_LIKE_OVERLAP:
            return True
    return False
