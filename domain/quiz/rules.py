"""The quiz's rules as pure functions: drawing and freezing questions, scoring, the gate
(may the learner start now?) and what finishing an attempt does."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from domain.progress import module_finished
from domain.quiz.model import (
    Attempt,
    AttemptStatus,
    BankQuestion,
    Finish,
    Gate,
    ModuleQuizRecord,
    Question,
    QuestionKind,
    QuizStatus,
    SectionResult,
)

TRUE_FALSE = ("true", "false")


def question_kind(options: Sequence[tuple[str, bool]]) -> QuestionKind:
    texts = tuple(text.strip().casefold() for text, _ in options)
    if texts == TRUE_FALSE or texts == TRUE_FALSE[::-1]:
        return QuestionKind.TRUE_FALSE
    if sum(correct for _, correct in options) > 1:
        return QuestionKind.MULTIPLE
    return QuestionKind.SINGLE


def freeze(question: BankQuestion, rng: random.Random) -> Question:
    """Fix one question for one attempt; true/false keeps its natural order."""
    kind = question_kind(question.options)
    options = list(question.options)
    if kind is QuestionKind.TRUE_FALSE:
        options.sort(key=lambda o: o[0].strip().casefold() != "true")
    else:
        rng.shuffle(options)
    return Question(
        key=question.key,
        section=question.section,
        text=question.text,
        explanation=question.explanation,
        kind=kind,
        options=tuple(text for text, _ in options),
        correct=frozenset(i for i, (_, correct) in enumerate(options) if correct),
    )


def draw_questions(bank: Sequence[BankQuestion], count: int, rng: random.Random) -> list[Question]:
    """At most `count` questions, taken in turns from every section so each is covered."""
    sections: dict[int, list[BankQuestion]] = defaultdict(list)
    for question in bank:
        sections[question.section].append(question)
    order = list(sections)
    rng.shuffle(order)
    for questions in sections.values():
        rng.shuffle(questions)
    chosen: list[BankQuestion] = []
    while len(chosen) < count and any(sections.values()):
        for section in order:
            if sections[section] and len(chosen) < count:
                chosen.append(sections[section].pop())
    rng.shuffle(chosen)
    return [freeze(q, rng) for q in chosen]


def section_topics(section: int, topic_numbers: Iterable[int]) -> tuple[int, ...]:
    return tuple(t for t in sorted(topic_numbers) if (t - 1) // 2 == section)


def score_of(correct: int, total: int) -> float:
    return 0.0 if total == 0 else round(100 * correct / total, 2)


def passes(correct: int, total: int, threshold: int) -> bool:
    return total > 0 and correct * 100 >= threshold * total


def remaining_attempts(limit: int, extra: int, used: int) -> int | None:
    """Attempts the learner may still start; None when the course sets no limit."""
    if limit == 0:
        return None
    return max(limit + extra - used, 0)


def attempts_left(record: ModuleQuizRecord) -> int | None:
    return remaining_attempts(
        record.rules.attempts_limit, record.extra_attempts, record.attempts_used
    )


def gate(record: ModuleQuizRecord, now: datetime) -> QuizStatus:
    left = attempts_left(record)
    if record.bank_size == 0:
        return QuizStatus(record, Gate.NO_QUIZ)
    if not record.unlocked:
        return QuizStatus(record, Gate.MODULE_LOCKED, attempts_left=left)
    if record.quiz_passed:
        return QuizStatus(record, Gate.PASSED, attempts_left=left)
    if record.open_attempt is not None:
        return QuizStatus(record, Gate.IN_PROGRESS, attempts_left=left)
    if record.cooldown_until is not None and record.cooldown_until > now:
        return QuizStatus(record, Gate.COOLDOWN, record.cooldown_until, left)
    if left == 0:
        return QuizStatus(record, Gate.NO_ATTEMPTS_LEFT, attempts_left=0)
    if record.rules.requires_topics and record.topics_completed < record.topics:
        return QuizStatus(record, Gate.TOPICS_PENDING, attempts_left=left)
    return QuizStatus(record, Gate.OPEN, attempts_left=left)


def section_results(
    attempt: Attempt,
    answers: dict[int, tuple[int, ...]],
    threshold: int,
    topic_numbers: Iterable[int],
) -> tuple[SectionResult, ...]:
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for index, question in enumerate(attempt.questions):
        right = index in answers and question.is_right(frozenset(answers[index]))
        totals[question.section][0] += int(right)
        totals[question.section][1] += 1
    numbers = list(topic_numbers)
    return tuple(
        SectionResult(
            section,
            section_topics(section, numbers),
            correct,
            total,
            weak=not passes(correct, total, threshold),
        )
        for section, (correct, total) in sorted(totals.items())
    )


def plan_finish(
    record: ModuleQuizRecord,
    correct: int,
    total: int,
    now: datetime,
    *,
    user_id: int,
    abandoned: bool = False,
) -> Finish:
    """What finishing an attempt with `correct` of `total` right does: a pass finishes the
    module (`domain.progress.module_finished` decides what follows, at `now`); a failure
    or an abandon starts the cooldown."""
    score = score_of(correct, total)
    if not abandoned and passes(correct, total, record.rules.pass_threshold):
        advance = module_finished(
            user_id, record.course_id, record.module_no, record.last_module_no, now
        )
        return Finish(AttemptStatus.PASSED, score, None, advance)
    cooldown = record.rules.cooldown
    return Finish(
        AttemptStatus.ABANDONED if abandoned else AttemptStatus.FAILED,
        score,
        now + cooldown if cooldown else None,
    )
