"""The quiz use cases on an in-memory store (tests/support/quiz_store.py), behind the
storage's caching wrapper: what passing, abandoning and replaying do to the course, at the
service's clock, and what the memory saves. The same store semantics on PostgreSQL are
tests/storage/test_quiz.py."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import AnswerRejected, Reason
from domain.progress import CourseCompleted, ModuleUnlocked
from domain.quiz.model import AnswerOutcome, Attempt, Draw, QuizRules
from domain.quiz.service import QuizService
from storage.quiz_memory import QuizAttemptCache
from tests.domain.test_quiz import bank
from tests.support.clock import FakeClock
from tests.support.quiz_store import InMemoryQuizStore

START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> InMemoryQuizStore:
    made = InMemoryQuizStore(
        "Tea basics",
        {1: ("Kinds of tea", bank(2, 2)), 2: ("Brewing", bank(2, 2))},
        QuizRules(pass_threshold=50, cooldown_hours=1, question_count=2),
    )
    made.enroll(42)
    return made


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def service(store: InMemoryQuizStore, clock: FakeClock) -> QuizService:
    """One process: its own memory in front of the shared store."""
    return QuizService(QuizAttemptCache(store), clock=clock, draw=Draw(random.Random(7)))


async def take(
    quizzes: QuizService, store: InMemoryQuizStore, module: int, *, request_id: int = 0
) -> AnswerOutcome:
    """Every question answered right; the last answer's outcome."""
    attempt = await quizzes.start(42, store.course_id, module)
    outcome = None
    for index, question in enumerate(attempt.questions):
        last = request_id if index + 1 == attempt.total and request_id else None
        outcome = await quizzes.answer(42, attempt.id, index, question.correct, request_id=last)
    assert outcome is not None and outcome.result is not None
    return outcome


async def test_passing_each_module_opens_the_next_then_completes_the_course_at_the_clock(
    store: InMemoryQuizStore, clock: FakeClock
) -> None:
    quizzes = service(store, clock)

    first = await take(quizzes, store, 1)
    clock.advance(days=2)
    last = await take(quizzes, store, 2)

    assert first.result is not None and last.result is not None
    assert first.result.outcome == ModuleUnlocked(42, store.course_id, 2, START)
    assert first.result.next_module == (2, "Brewing")
    assert last.result.outcome == CourseCompleted(42, store.course_id, clock.now)
    assert last.result.course_completed
    assert store.completed_at == {42: clock.now}, "stored at the time the outcome says"


async def test_abandoning_never_completes_even_with_every_answer_right(
    store: InMemoryQuizStore, clock: FakeClock
) -> None:
    quizzes = service(store, clock)
    await take(quizzes, store, 1)
    attempt = await quizzes.start(42, store.course_id, 2)
    await quizzes.answer(42, attempt.id, 0, attempt.questions[0].correct)

    result = await quizzes.abandon(42, attempt.id)

    assert (result.outcome, result.course_completed) == (None, False)
    assert result.cooldown_until == START + timedelta(hours=1)
    assert store.completed_at == {}


async def test_a_replayed_last_answer_returns_the_outcome_it_recorded_then(
    store: InMemoryQuizStore, clock: FakeClock
) -> None:
    await take(service(store, clock), store, 1)
    recorded = await take(service(store, clock), store, 2, request_id=99)
    clock.advance(hours=3)
    attempt = recorded.attempt

    after_restart = service(store, clock)  # nothing remembered
    replayed = await after_restart.answer(
        42, attempt.id, attempt.total - 1, attempt.questions[-1].correct, request_id=99
    )

    assert replayed.result is not None and recorded.result is not None
    assert (
        replayed.result.outcome
        == recorded.result.outcome
        == (CourseCompleted(42, store.course_id, START))
    )
    with pytest.raises(AnswerRejected) as again:  # another update: a double tap
        await after_restart.answer(42, attempt.id, 0, attempt.questions[0].correct)
    assert again.value.reason is Reason.QUIZ_FINISHED


async def test_a_remembered_attempt_is_answered_without_reading_it_and_a_stale_one_read_again(
    store: InMemoryQuizStore, clock: FakeClock
) -> None:
    here, there = service(store, clock), service(store, clock)
    attempt: Attempt = await here.start(42, store.course_id, 1)
    await there.attempt(42, attempt.id)  # the other process saw it at question 1 too

    reads = store.reads
    await here.answer(42, attempt.id, 0, attempt.questions[0].correct)
    assert store.reads == reads, "memory was right: only the write"

    with pytest.raises(AnswerRejected) as stale:
        await there.answer(42, attempt.id, 0, attempt.questions[0].correct)
    assert stale.value.reason is Reason.ALREADY_ANSWERED
    last = await there.answer(42, attempt.id, 1, attempt.questions[1].correct)
    assert last.result is not None and last.result.passed, "decided from the stored state"
