"""Module quizzes against the real database: frozen question sets, answers recorded once,
passing unlocks and completes, cooldowns and attempt limits, and the cooldown scheduler's
claims shared by several replicas."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from domain.errors import AnswerRejected, NotEnrolled, NotFound, QuizUnavailable, Reason
from domain.quiz.model import (
    Attempt,
    AttemptStatus,
    CooldownKey,
    Draw,
    Finish,
    Gate,
    ModuleQuizRecord,
    Question,
)
from domain.quiz.rules import draw_questions, score_of
from domain.quiz.service import QuizService
from storage.database import create_pool
from storage.learning import PgLearningStore
from storage.quiz import PgQuizStore
from storage.quiz_memory import QuizAttemptCache
from tests.conftest import BOT_ID
from tests.support.courses import TINY_PACK, import_pack

START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
COOLDOWN = timedelta(hours=1)  # tests/data/packs/tiny/course.yaml: quiz_cooldown_hours
LEASE = timedelta(minutes=5)
SEED = 7


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def right(question: Question) -> list[int]:
    return sorted(question.correct)


def wrong(question: Question) -> list[int]:
    return [next(i for i in range(len(question.options)) if i not in question.correct)]


@dataclass
class Tiny:
    """The tiny course imported, with a clock and the quiz use cases over the real store."""

    pool: asyncpg.Pool
    course_id: UUID
    clock: Clock
    store: PgQuizStore
    quizzes: QuizService
    learning: PgLearningStore

    async def enroll(self, user_id: int, *, topics_done: bool = True) -> None:
        await self.pool.execute(
            "INSERT INTO users (id, first_name, bot_id) VALUES ($1, $2, $3)",
            user_id,
            f"Learner {user_id}",
            BOT_ID,
        )
        await self.learning.ensure_enrollment(user_id, self.course_id)
        if topics_done:
            await self.complete_topics(user_id, 1)

    async def complete_topics(self, user_id: int, module_no: int) -> None:
        for topic_id in await self.pool.fetch(
            "SELECT id FROM topics WHERE course_id = $1 AND module_no = $2",
            self.course_id,
            module_no,
        ):
            await self.learning.complete_topic(user_id, topic_id["id"], self.clock())

    async def progress(self, user_id: int, module_no: int = 1) -> asyncpg.Record | None:
        return await self.pool.fetchrow(
            "SELECT * FROM module_progress WHERE user_id = $1 AND course_id = $2 "
            "AND module_no = $3",
            user_id,
            self.course_id,
            module_no,
        )

    async def stored_attempt(self, attempt_id: UUID) -> asyncpg.Record:
        return await self.pool.fetchrow("SELECT * FROM quiz_attempts WHERE id = $1", attempt_id)

    async def take(self, user_id: int, module_no: int, *, passing: bool):
        """Start the module's quiz and answer every question right (or every one wrong)."""
        attempt = await self.quizzes.start(user_id, self.course_id, module_no)
        outcome = None
        for index, question in enumerate(attempt.questions):
            choice = right(question) if passing else wrong(question)
            outcome = await self.quizzes.answer(user_id, attempt.id, index, choice)
        assert outcome is not None and outcome.result is not None
        return attempt, outcome.result


@pytest.fixture
async def tiny(pool: asyncpg.Pool) -> Tiny:
    await import_pack(pool, TINY_PACK)
    course_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    clock = Clock(START)
    store = PgQuizStore(pool, bot_id=BOT_ID)
    quizzes = QuizService(QuizAttemptCache(store), clock=clock, draw=Draw(random.Random(SEED)))
    return Tiny(pool, course_id, clock, store, quizzes, PgLearningStore(pool))


async def test_a_module_screen_reads_the_learner_state_and_the_quiz_record_in_one_go(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    await tiny.take(42, 1, passing=False)

    state, record = await tiny.store.module_with_quiz(42, tiny.course_id, 1)

    assert state == await tiny.learning.learner_course(42, tiny.course_id, 1)
    assert record == await tiny.store.module_quiz(42, tiny.course_id, 1)
    assert record is not None and record.cooldown_until == START + COOLDOWN
    assert await tiny.store.module_with_quiz(43, tiny.course_id, 1) == (None, None)
    await tiny.pool.execute("UPDATE courses SET is_published = false")
    unpublished = await tiny.store.module_with_quiz(42, tiny.course_id, 1)
    assert unpublished == (state, None)


# -- starting --------------------------------------------------------------------------------


async def test_starting_freezes_the_question_set_and_counts_one_attempt(tiny: Tiny) -> None:
    await tiny.enroll(42)
    bank = await tiny.store.question_bank(tiny.course_id, 1)

    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    await tiny.pool.execute(
        "UPDATE quiz_options SET option_text = option_text || ' (edited)', "
        "is_correct = NOT is_correct"
    )
    await tiny.pool.execute("UPDATE quiz_questions SET question_text = 'Edited?'")
    await tiny.pool.execute(
        "UPDATE quiz_questions SET is_active = false WHERE key = $1", attempt.questions[0].key
    )

    assert attempt.status is AttemptStatus.IN_PROGRESS
    assert attempt.total == 2
    assert (attempt.current_index, attempt.correct_count, attempt.answers) == (0, 0, {})
    assert attempt.questions == tuple(draw_questions(bank, 10, random.Random(SEED)))
    assert (await tiny.quizzes.attempt(42, attempt.id)).questions == attempt.questions
    assert (await tiny.progress(42))["quiz_attempts"] == 1
    assert await tiny.pool.fetchval("SELECT count(*) FROM quiz_attempts") == 1
    outcome = await tiny.quizzes.answer(42, attempt.id, 0, right(attempt.questions[0]))
    assert outcome.correct, "the answer is scored against the frozen correct option"


async def test_starting_again_resumes_the_running_attempt_without_counting_it(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    first = await tiny.quizzes.start(42, tiny.course_id, 1)
    await tiny.quizzes.answer(42, first.id, 0, wrong(first.questions[0]))

    again = await tiny.quizzes.start(42, tiny.course_id, 1)

    assert again.id == first.id
    assert again.current_index == 1
    assert (await tiny.progress(42))["quiz_attempts"] == 1


async def test_the_quiz_waits_for_the_module_topics_unless_the_course_says_otherwise(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42, topics_done=False)

    with pytest.raises(QuizUnavailable) as refused:
        await tiny.quizzes.start(42, tiny.course_id, 1)
    await tiny.pool.execute("UPDATE courses SET quiz_requires_topics = false")
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)

    assert refused.value.status is not None
    assert refused.value.status.gate is Gate.TOPICS_PENDING
    assert attempt.status is AttemptStatus.IN_PROGRESS


async def test_a_start_after_the_intro_was_shown_checks_nothing_moved_since(tiny: Tiny) -> None:
    await tiny.enroll(42)
    await tiny.quizzes.status(42, tiny.course_id, 1)  # the intro, as this process showed it
    await replica(tiny).start(42, tiny.course_id, 1)  # then a start on another device
    await tiny.pool.execute("UPDATE quiz_attempts SET status = 'failed'")  # and a quick fail
    await tiny.pool.execute("UPDATE module_progress SET cooldown_until = $1", START + COOLDOWN)

    with pytest.raises(QuizUnavailable) as refused:
        await tiny.quizzes.start(42, tiny.course_id, 1)

    assert refused.value.status is not None and refused.value.status.gate is Gate.COOLDOWN
    assert (await tiny.progress(42))["quiz_attempts"] == 1


async def test_a_start_after_the_intro_follows_a_re_import_or_a_suspension(tiny: Tiny) -> None:
    await tiny.enroll(42)
    await tiny.enroll(43)
    await tiny.quizzes.status(42, tiny.course_id, 1)
    await tiny.quizzes.status(43, tiny.course_id, 1)
    await tiny.pool.execute(
        "UPDATE courses SET quiz_question_count = 1, updated_at = now() WHERE id = $1",
        tiny.course_id,
    )
    await tiny.pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 43")

    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    with pytest.raises(NotEnrolled) as suspended:
        await tiny.quizzes.start(43, tiny.course_id, 1)
    assert suspended.value.reason is Reason.SUSPENDED

    assert attempt.total == 1, "drawn by the rules stored now"
    assert (await tiny.progress(43))["quiz_attempts"] == 0


async def test_ten_concurrent_starts_open_one_attempt_and_count_it_once(tiny: Tiny) -> None:
    await tiny.enroll(42, topics_done=False)
    await tiny.pool.execute("UPDATE courses SET quiz_requires_topics = false")

    attempts = await asyncio.gather(*(tiny.quizzes.start(42, tiny.course_id, 1) for _ in range(10)))

    assert len({a.id for a in attempts}) == 1, "every caller gets the one running attempt"
    assert await tiny.pool.fetchval("SELECT count(*) FROM quiz_attempts") == 1
    assert (
        await tiny.pool.fetchval("SELECT count(*) FROM quiz_attempts WHERE status = 'in_progress'")
        == 1
    )
    assert (await tiny.progress(42))["quiz_attempts"] == 1


# -- answering -------------------------------------------------------------------------------


async def test_ten_concurrent_answers_to_one_question_are_recorded_once(tiny: Tiny) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    choice = right(attempt.questions[0])

    results = await asyncio.gather(
        *(tiny.quizzes.answer(42, attempt.id, 0, choice) for _ in range(10)),
        return_exceptions=True,
    )

    recorded = [r for r in results if not isinstance(r, BaseException)]
    rejected = [r for r in results if isinstance(r, AnswerRejected)]
    assert (len(recorded), len(rejected)) == (1, 9), results
    row = await tiny.stored_attempt(attempt.id)
    assert (row["current_index"], row["correct_count"]) == (1, 1)
    assert row["answers"] == {"0": choice}
    assert row["status"] == "in_progress"


async def test_an_answer_out_of_turn_or_out_of_range_is_rejected(tiny: Tiny) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)

    with pytest.raises(AnswerRejected):
        await tiny.quizzes.answer(42, attempt.id, 1, right(attempt.questions[1]))
    with pytest.raises(AnswerRejected):
        await tiny.quizzes.answer(42, attempt.id, 0, [len(attempt.questions[0].options)])
    with pytest.raises(AnswerRejected):
        await tiny.quizzes.answer(42, attempt.id, 0, [])

    row = await tiny.stored_attempt(attempt.id)
    assert (row["current_index"], row["answers"]) == (0, {})


async def test_answering_the_last_question_right_passes_and_unlocks_the_next_module(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)

    attempt, result = await tiny.take(42, 1, passing=True)

    assert result.passed and result.next_module == (2, "Brewing")
    assert not result.course_completed
    row = await tiny.stored_attempt(attempt.id)
    assert (row["status"], float(row["score"]), row["finished_at"]) == ("passed", 100.0, START)
    module_1 = await tiny.progress(42, 1)
    assert module_1["quiz_passed"] and module_1["passed_at"] == START
    assert float(module_1["best_score"]) == 100.0
    assert module_1["cooldown_until"] is None
    module_2 = await tiny.progress(42, 2)
    assert module_2 is not None and module_2["unlocked_at"] == START
    assert await tiny.pool.fetchval("SELECT status::text FROM enrollments") == "active"


async def test_passing_the_last_module_completes_the_enrollment(tiny: Tiny) -> None:
    await tiny.enroll(42)
    await tiny.take(42, 1, passing=True)
    await tiny.complete_topics(42, 2)
    tiny.clock.advance(timedelta(days=2))

    _, result = await tiny.take(42, 2, passing=True)

    assert result.passed and result.course_completed and result.next_module is None
    enrollment = await tiny.pool.fetchrow("SELECT status::text, completed_at FROM enrollments")
    assert tuple(enrollment) == ("completed", START + timedelta(days=2))
    assert (await tiny.progress(42, 2))["quiz_passed"]


# -- failing, cooldowns and attempt limits ---------------------------------------------------


async def test_failing_starts_the_cooldown_and_the_quiz_reopens_when_it_ends(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)

    attempt, result = await tiny.take(42, 1, passing=False)

    assert result.status is AttemptStatus.FAILED
    assert result.cooldown_until == START + COOLDOWN
    assert (await tiny.stored_attempt(attempt.id))["status"] == "failed"
    progress = await tiny.progress(42)
    assert progress["cooldown_until"] == START + COOLDOWN
    assert not progress["quiz_passed"]
    assert await tiny.progress(42, 2) is None, "a failed quiz unlocks nothing"

    tiny.clock.advance(COOLDOWN - timedelta(seconds=1))
    with pytest.raises(QuizUnavailable) as refused:
        await tiny.quizzes.start(42, tiny.course_id, 1)
    assert refused.value.status is not None
    assert refused.value.status.gate is Gate.COOLDOWN
    assert refused.value.status.reopens_at == START + COOLDOWN

    tiny.clock.advance(timedelta(seconds=1))
    again = await tiny.quizzes.start(42, tiny.course_id, 1)

    assert again.id != attempt.id
    progress = await tiny.progress(42)
    assert progress["cooldown_until"] is None
    assert progress["quiz_attempts"] == 2


async def test_the_attempts_limit_holds_until_extra_attempts_are_granted(tiny: Tiny) -> None:
    await tiny.enroll(42)
    await tiny.pool.execute("UPDATE courses SET quiz_attempts_limit = 1")
    _, result = await tiny.take(42, 1, passing=False)
    tiny.clock.advance(COOLDOWN)

    with pytest.raises(QuizUnavailable) as refused:
        await tiny.quizzes.start(42, tiny.course_id, 1)
    await tiny.pool.execute("UPDATE module_progress SET extra_attempts = 1")
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)

    assert result.attempts_left == 0
    assert refused.value.status is not None
    assert refused.value.status.gate is Gate.NO_ATTEMPTS_LEFT
    assert attempt.status is AttemptStatus.IN_PROGRESS
    assert (await tiny.progress(42))["quiz_attempts"] == 2


async def test_abandoning_finishes_the_attempt_starts_the_cooldown_and_happens_once(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    await tiny.quizzes.answer(42, attempt.id, 0, right(attempt.questions[0]))

    result = await tiny.quizzes.abandon(42, attempt.id)

    assert result.status is AttemptStatus.ABANDONED and not result.passed
    assert (result.correct, result.total, result.score) == (1, 2, 50.0), "50 % would pass"
    row = await tiny.stored_attempt(attempt.id)
    assert (row["status"], row["finished_at"]) == ("abandoned", START)
    progress = await tiny.progress(42)
    assert progress["cooldown_until"] == START + COOLDOWN
    assert not progress["quiz_passed"]
    assert await tiny.progress(42, 2) is None
    with pytest.raises(AnswerRejected):
        await tiny.quizzes.abandon(42, attempt.id)
    with pytest.raises(AnswerRejected):
        await tiny.quizzes.answer(42, attempt.id, 1, right(attempt.questions[1]))


class AnswerLandsWhileAbandoning(PgQuizStore):
    """Lets one answer commit after abandon read the attempt and before it writes."""

    def __init__(self, pool: asyncpg.Pool, answer: Callable[[], Awaitable[object]]) -> None:
        super().__init__(pool, bot_id=BOT_ID)
        self._answer: Callable[[], Awaitable[object]] | None = answer

    async def finish_attempt(
        self,
        attempt: Attempt,
        finish: Finish,
        now: datetime,
        decided_from: ModuleQuizRecord | None = None,
    ) -> bool:
        if self._answer is not None:
            answer, self._answer = self._answer, None
            await answer()
        return await super().finish_attempt(attempt, finish, now, decided_from)


async def test_an_answer_landing_while_abandoning_is_not_lost_from_the_score(tiny: Tiny) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    store = AnswerLandsWhileAbandoning(
        tiny.pool, lambda: tiny.quizzes.answer(42, attempt.id, 0, right(attempt.questions[0]))
    )
    abandoning = QuizService(QuizAttemptCache(store), clock=tiny.clock)

    try:
        result = await abandoning.abandon(42, attempt.id)
    except AnswerRejected:
        result = None  # refusing because the attempt moved on is fine too

    row = await tiny.stored_attempt(attempt.id)
    if row["status"] == "abandoned":
        assert float(row["score"]) == score_of(row["correct_count"], row["question_count"])
        assert result is not None and result.correct == row["correct_count"]
    else:
        assert result is None and row["status"] == "in_progress"


async def test_another_learner_can_neither_read_nor_answer_nor_abandon_an_attempt(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    await tiny.enroll(43)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)

    with pytest.raises(NotFound):
        await tiny.quizzes.attempt(43, attempt.id)
    with pytest.raises(NotFound):
        await tiny.quizzes.answer(43, attempt.id, 0, right(attempt.questions[0]))
    with pytest.raises(NotFound):
        await tiny.quizzes.abandon(43, attempt.id)

    row = await tiny.stored_attempt(attempt.id)
    assert (row["status"], row["current_index"], row["answers"]) == ("in_progress", 0, {})


async def test_an_update_handled_again_gets_the_outcome_it_recorded_and_a_double_tap_does_not(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    first = await tiny.quizzes.answer(42, attempt.id, 0, wrong(attempt.questions[0]), request_id=7)
    after_restart = replica(tiny)  # the retry may run anywhere, with nothing remembered

    again = await after_restart.answer(42, attempt.id, 0, right(attempt.questions[0]), request_id=7)
    with pytest.raises(AnswerRejected) as repeated:
        await after_restart.answer(42, attempt.id, 0, wrong(attempt.questions[0]), request_id=8)
    assert repeated.value.reason is Reason.ALREADY_ANSWERED

    assert (again.index, again.choice, again.correct) == (0, first.choice, False)
    assert again.next_question == attempt.questions[1]
    row = await tiny.stored_attempt(attempt.id)
    assert (row["current_index"], row["correct_count"]) == (1, 0)


async def test_the_last_answer_handled_again_shows_the_same_result(tiny: Tiny) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    await tiny.quizzes.answer(42, attempt.id, 0, right(attempt.questions[0]), request_id=7)
    last = await tiny.quizzes.answer(42, attempt.id, 1, right(attempt.questions[1]), request_id=8)

    again = await replica(tiny).answer(42, attempt.id, 1, right(attempt.questions[1]), request_id=8)

    assert last.result is not None and again.result is not None
    assert again.result == last.result
    assert (await tiny.progress(42))["quiz_attempts"] == 1
    assert (await tiny.progress(42, 2))["unlocked_at"] is not None


def replica(tiny: Tiny) -> QuizService:
    """Another process on the same database: its own memory of running attempts."""
    memory = QuizAttemptCache(tiny.store)
    return QuizService(memory, clock=tiny.clock, draw=Draw(random.Random(SEED)))


async def test_a_replica_whose_memory_is_behind_reads_the_attempt_again_and_answers_right(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)  # remembered at question 1
    assert attempt.total == 2  # tests/data/packs/tiny: the second question is the last
    await replica(tiny).answer(42, attempt.id, 0, right(attempt.questions[0]))

    with pytest.raises(AnswerRejected) as repeated:
        await tiny.quizzes.answer(42, attempt.id, 0, wrong(attempt.questions[0]))
    assert repeated.value.reason is Reason.ALREADY_ANSWERED
    last = await tiny.quizzes.answer(42, attempt.id, 1, right(attempt.questions[1]))

    assert last.result is not None and (last.index, last.correct) == (1, True)
    row = await tiny.stored_attempt(attempt.id)
    assert (row["current_index"], row["correct_count"], row["status"]) == (2, 2, "passed")
    assert row["answers"] == {"0": right(attempt.questions[0]), "1": right(attempt.questions[1])}


async def test_an_attempt_abandoned_elsewhere_takes_no_answer_from_a_stale_memory(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    await replica(tiny).abandon(42, attempt.id)

    with pytest.raises(AnswerRejected) as finished:
        await tiny.quizzes.answer(42, attempt.id, 0, right(attempt.questions[0]))
    assert finished.value.reason is Reason.QUIZ_FINISHED

    row = await tiny.stored_attempt(attempt.id)
    assert (row["status"], row["current_index"], row["answers"]) == ("abandoned", 0, {})


async def test_a_remembered_attempt_is_never_shown_or_answered_for_another_learner(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    await tiny.enroll(43)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)  # in this process's memory

    with pytest.raises(NotFound):
        await tiny.quizzes.question_on_screen(43, attempt.id, 0)
    with pytest.raises(NotFound):
        await tiny.quizzes.answer(43, attempt.id, 0, right(attempt.questions[0]))

    row = await tiny.stored_attempt(attempt.id)
    assert (row["current_index"], row["answers"]) == (0, {})


async def test_the_last_answer_finishes_by_the_rules_stored_now_when_the_course_changed(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)  # remembered with its rules
    await tiny.quizzes.answer(42, attempt.id, 0, right(attempt.questions[0]))
    await tiny.pool.execute(  # a re-import that raises the bar to 100 %
        "UPDATE courses SET quiz_pass_threshold = 100, updated_at = now() WHERE id = $1",
        tiny.course_id,
    )

    last = await tiny.quizzes.answer(42, attempt.id, 1, wrong(attempt.questions[1]))

    assert last.result is not None
    assert (last.result.threshold, last.result.passed) == (100, False), "50 % passed before"
    row = await tiny.stored_attempt(attempt.id)
    assert (row["status"], row["current_index"]) == ("failed", 2)
    assert await tiny.progress(42, 2) is None


async def test_the_last_answer_counts_attempts_granted_while_the_quiz_ran(tiny: Tiny) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    await tiny.pool.execute("UPDATE module_progress SET extra_attempts = 2")

    last = None
    for index, question in enumerate(attempt.questions):
        last = await tiny.quizzes.answer(42, attempt.id, index, wrong(question))

    assert last is not None and last.result is not None
    assert last.result.attempts_left == 3 + 2 - 1


async def test_a_learner_suspended_while_the_quiz_ran_cannot_finish_it(tiny: Tiny) -> None:
    await tiny.enroll(42)
    attempt = await tiny.quizzes.start(42, tiny.course_id, 1)
    await tiny.quizzes.answer(42, attempt.id, 0, right(attempt.questions[0]))
    await tiny.pool.execute("UPDATE enrollments SET status = 'suspended'")

    with pytest.raises(NotEnrolled) as suspended:
        await tiny.quizzes.answer(42, attempt.id, 1, right(attempt.questions[1]))
    assert suspended.value.reason is Reason.SUSPENDED

    row = await tiny.stored_attempt(attempt.id)
    assert (row["status"], row["current_index"]) == ("in_progress", 1)
    assert not (await tiny.progress(42))["quiz_passed"]


# -- the cooldown scheduler's claims ---------------------------------------------------------


async def cooling_down(
    tiny: Tiny, user_ids: range | list[int], until: datetime | list[datetime]
) -> list[CooldownKey]:
    """Learners who failed module 1 and whose cooldown ends at `until` (one per learner)."""
    ids = list(user_ids)
    ends = until if isinstance(until, list) else [until] * len(ids)
    await tiny.pool.execute(
        "INSERT INTO users (id, first_name, bot_id) SELECT unnest($1::bigint[]), 'Learner', $2",
        ids,
        BOT_ID,
    )
    await tiny.pool.execute(
        "INSERT INTO enrollments (user_id, course_id) SELECT unnest($1::bigint[]), $2",
        ids,
        tiny.course_id,
    )
    await tiny.pool.execute(
        """
        INSERT INTO module_progress (user_id, course_id, module_no, unlocked_at, quiz_attempts,
            cooldown_until)
        SELECT u, $2, 1, $3, 1, c FROM unnest($1::bigint[], $4::timestamptz[]) AS x (u, c)
        """,
        ids,
        tiny.course_id,
        START - timedelta(days=1),
        ends,
    )
    return [CooldownKey(u, tiny.course_id, 1) for u in ids]


async def test_two_replicas_claiming_at_once_share_the_due_cooldowns_without_overlap(
    tiny: Tiny, db_url: str
) -> None:
    ends = [START - timedelta(seconds=s) for s in range(1, 301)]
    keys = await cooling_down(tiny, range(1000, 1300), ends)
    other_pool = await create_pool(db_url, max_size=5)
    try:
        replicas = [tiny.store, PgQuizStore(other_pool, bot_id=BOT_ID)]

        async def worker(store: PgQuizStore) -> list[CooldownKey]:
            claimed: list[CooldownKey] = []
            for _ in range(100):  # 300 / 7 batches at most, unless claims were handed out twice
                batch = await store.claim_due_cooldowns(START, START + LEASE, 7)
                if not batch:
                    break
                claimed += [item.key for item in batch]
            return claimed

        results = await asyncio.gather(*(worker(store) for store in replicas for _ in range(3)))
    finally:
        await other_pool.close()

    first = [key for result in results[:3] for key in result]
    second = [key for result in results[3:] for key in result]
    assert first and second, "both replicas took part"
    assert len(first) + len(second) == 300, "no cooldown was claimed twice"
    assert set(first) | set(second) == set(keys)
    assert set(first) & set(second) == set()
    assert await tiny.store.claim_due_cooldowns(START, START + LEASE, 500) == []
    assert (
        await tiny.pool.fetchval(
            "SELECT count(*) FROM module_progress WHERE cooldown_claimed_until = $1",
            START + LEASE,
        )
        == 300
    )


async def test_a_claim_holds_until_its_lease_ends_and_an_announced_cooldown_is_done_for_good(
    tiny: Tiny,
) -> None:
    announced, pending = await cooling_down(tiny, [1, 2], START - timedelta(minutes=1))

    claimed = await tiny.store.claim_due_cooldowns(START, START + LEASE, 10)
    held = await tiny.store.claim_due_cooldowns(
        START + LEASE - timedelta(seconds=1), START + 2 * LEASE, 10
    )
    await tiny.store.mark_cooldowns_notified([announced], START + timedelta(minutes=1))
    after_lease = await tiny.store.claim_due_cooldowns(START + LEASE, START + 2 * LEASE, 10)
    much_later = await tiny.store.claim_due_cooldowns(
        START + timedelta(days=1), START + timedelta(days=2), 10
    )

    assert {c.key for c in claimed} == {announced, pending}
    assert held == []
    assert [c.key for c in after_lease] == [pending], "the lapsed claim is taken over"
    assert [c.key for c in much_later] == [pending]
    progress = await tiny.progress(1)
    assert progress["cooldown_notified_at"] == START + timedelta(minutes=1)
    assert progress["cooldown_claimed_until"] is None


async def test_retrying_later_defers_a_claimed_cooldown(tiny: Tiny) -> None:
    (key,) = await cooling_down(tiny, [1], START - timedelta(minutes=1))
    retry_at = START + timedelta(minutes=30)
    await tiny.store.claim_due_cooldowns(START, START + LEASE, 10)

    await tiny.store.retry_cooldowns_later([key], retry_at)

    assert await tiny.store.claim_due_cooldowns(START + 2 * LEASE, START + 3 * LEASE, 10) == []
    assert await tiny.store.next_cooldown_due() == retry_at
    assert [c.key for c in await tiny.store.claim_due_cooldowns(retry_at, retry_at, 10)] == [key]


async def test_cooldowns_of_suspended_enrollments_come_back_inactive(tiny: Tiny) -> None:
    active, suspended = await cooling_down(tiny, [1, 2], START - timedelta(minutes=1))
    await tiny.pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 2")

    claimed = {c.key: c for c in await tiny.store.claim_due_cooldowns(START, START + LEASE, 10)}

    assert set(claimed) == {active, suspended}
    assert claimed[active].active and claimed[active].worth_announcing
    assert not claimed[suspended].active and not claimed[suspended].worth_announcing
    assert claimed[active].attempts_left == 2, "tiny allows 3 attempts and one was used"
    assert (claimed[active].course_name, claimed[active].module_title) == (
        "Tea basics",
        "Kinds of tea",
    )
    assert claimed[active].cooldown_until == START - timedelta(minutes=1)


async def test_next_cooldown_due_is_the_earliest_unannounced_one(tiny: Tiny) -> None:
    assert await tiny.store.next_cooldown_due() is None
    keys = await cooling_down(
        tiny,
        [1, 2, 3],
        [START - timedelta(hours=2), START + timedelta(hours=3), START + timedelta(hours=1)],
    )

    await tiny.store.mark_cooldowns_notified(keys[:1], START)

    assert await tiny.store.next_cooldown_due() == START + timedelta(hours=1)


async def test_a_failed_attempt_is_announced_by_the_scheduler_once_its_cooldown_ends(
    tiny: Tiny,
) -> None:
    await tiny.enroll(42)
    await tiny.take(42, 1, passing=False)
    key = CooldownKey(42, tiny.course_id, 1)

    early = await tiny.quizzes.claim_due_cooldowns(10, LEASE)
    due_at = await tiny.quizzes.next_cooldown_due()
    tiny.clock.advance(COOLDOWN)
    due = await tiny.quizzes.claim_due_cooldowns(10, LEASE)
    await tiny.quizzes.cooldowns_announced([c.key for c in due])
    tiny.clock.advance(LEASE)

    assert early == []
    assert due_at == START + COOLDOWN
    assert [c.key for c in due] == [key]
    assert await tiny.quizzes.claim_due_cooldowns(10, LEASE) == []
    assert await tiny.quizzes.next_cooldown_due() is None
