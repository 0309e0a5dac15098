"""Spaced review: cards from wrong answers and the author, today's queue within the caps,
FSRS scheduling at the service's clock, "later", locked modules and quiz-poll fit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.errors import AnswerRejected, ModuleLocked, NotFound
from domain.quiz.model import Question, QuestionKind
from domain.review import rules
from domain.review.model import (
    Applied,
    AuthorCard,
    CardKey,
    CardSource,
    DayCount,
    DueCard,
    ModuleKey,
    Prompt,
    Rating,
    Review,
    ReviewSettings,
    SourceKind,
)
from domain.review.service import ReviewService
from tests.support.clock import FakeClock
from tests.support.review_store import InMemoryReviewStore

COURSE = uuid4()
LEARNER = 7
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALL = frozenset({ModuleKey(COURSE, 1), ModuleKey(COURSE, 2)})
ONLY_1 = frozenset({ModuleKey(COURSE, 1)})
SETTINGS = ReviewSettings(fuzz=False)


def question(key: str = "q1") -> Question:
    return Question(
        key, 0, "Which is supervised?", "Labels.", QuestionKind.SINGLE, ("A", "B"), frozenset({0})
    )


def prompt(text: str = "Which is supervised?") -> Prompt:
    return Prompt(text, ("A", "B"), frozenset({0}), "Labels.")


def quiz_key(key: str = "q1") -> CardKey:
    return CardKey(LEARNER, COURSE, CardSource(SourceKind.QUIZ, key))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def store() -> InMemoryReviewStore:
    store = InMemoryReviewStore()
    for key in ("q1", "q2", "q3", "q4"):
        store.prompts[COURSE, f"quiz:{key}"] = prompt(f"Question {key}?")
    return store


@pytest.fixture
def service(store: InMemoryReviewStore, clock: FakeClock) -> ReviewService:
    return ReviewService(store, clock, SETTINGS)


async def answer(service: ReviewService, clock: FakeClock, key: CardKey, right: bool, n: str):
    return await service.answer(
        key,
        [0] if right else [1],
        asked_at=clock() - timedelta(seconds=8),  # neither fast nor slow: Good
        idempotency_key=n,
        unlocked=ALL,
    )


# -- the rating -------------------------------------------------------------------------------


def test_the_rating_follows_correctness_and_time_against_reading_time() -> None:
    short = prompt("2 + 2?")
    long = Prompt("x" * 250, ("a" * 60, "b" * 60, "c" * 60), frozenset({0}))
    assert rules.rating(False, timedelta(seconds=1), short) is Rating.AGAIN
    assert rules.rating(True, timedelta(seconds=3), short) is Rating.EASY
    assert rules.rating(True, timedelta(seconds=10), short) is Rating.GOOD
    assert rules.rating(True, timedelta(seconds=40), short) is Rating.HARD
    # The same 10 s on a long card is a quick recall, and 40 s is ordinary.
    assert rules.rating(True, timedelta(seconds=10), long) is Rating.EASY
    assert rules.rating(True, timedelta(seconds=40), long) is Rating.GOOD
    # Unknown time: away for an hour, clock skew, not given.
    for elapsed in (timedelta(hours=1), timedelta(seconds=-5), None):
        assert rules.rating(True, elapsed, short) is Rating.GOOD


# -- joining the deck -------------------------------------------------------------------------


async def test_a_wrong_quiz_answer_creates_one_card_due_soon(
    service: ReviewService, store: InMemoryReviewStore
) -> None:
    assert not await service.quiz_answered(LEARNER, COURSE, 1, question(), right=True)
    assert await service.quiz_answered(LEARNER, COURSE, 1, question(), right=False)
    assert not await service.quiz_answered(LEARNER, COURSE, 1, question(), right=False)

    [card] = store.deck.values()
    assert card.due == START + SETTINGS.first_review_after
    assert card.is_new and card.source.token == "quiz:q1" and card.module == 1
    assert (await service.queue(LEARNER, ALL, UTC)).done, "not yet due"


async def test_author_cards_join_only_from_unlocked_modules(
    service: ReviewService, store: InMemoryReviewStore
) -> None:
    store.author(COURSE, AuthorCard("loss", 1, 2, prompt("What is a loss?")))
    store.author(COURSE, AuthorCard("sgd", 2, 1, prompt("What is SGD?")))

    assert await service.join_author_cards(LEARNER, ONLY_1) == 1
    assert await service.join_author_cards(LEARNER, ONLY_1) == 0
    assert [c.source.key for c in store.deck.values()] == ["loss"]
    assert await service.join_author_cards(LEARNER, ALL) == 1


async def test_a_locked_module_is_never_asked(
    service: ReviewService, store: InMemoryReviewStore, clock: FakeClock
) -> None:
    await service.quiz_answered(LEARNER, COURSE, 1, question("q1"), right=False)
    await service.quiz_answered(LEARNER, COURSE, 2, question("q2"), right=False)
    clock.advance(hours=2)

    queue = await service.queue(LEARNER, ONLY_1, UTC)
    assert [c.card.source.key for c in queue.cards] == ["q1"]
    with pytest.raises(ModuleLocked):
        await service.answer(
            quiz_key("q2"), [0], asked_at=None, idempotency_key="p", unlocked=ONLY_1
        )
    # Even a store that returned it: the service filters.
    stray = DueCard(store.deck[quiz_key("q2")], prompt())
    assert rules.eligible([stray], ONLY_1) == []


# -- scheduling -------------------------------------------------------------------------------


async def test_good_grows_the_interval_each_time_and_again_shortens_it(
    service: ReviewService, store: InMemoryReviewStore, clock: FakeClock
) -> None:
    await service.quiz_answered(LEARNER, COURSE, 1, question(), right=False)
    intervals = []
    for n in range(5):
        clock.now = store.deck[quiz_key()].due
        done = await answer(service, clock, quiz_key(), right=True, n=f"good-{n}")
        assert done.applied is Applied.APPLIED and done.rating is Rating.GOOD
        assert done.card is not None
        intervals.append(rules.interval(done.card))
    assert all(a < b for a, b in pairwise(intervals)), intervals
    assert intervals[-1] > timedelta(days=7)

    clock.now = store.deck[quiz_key()].due
    lapse = await answer(service, clock, quiz_key(), right=False, n="again")
    assert lapse.rating is Rating.AGAIN and lapse.card is not None
    assert rules.interval(lapse.card) < intervals[-1]
    assert lapse.card.due == clock() + SETTINGS.relearning_steps[0]


async def test_the_same_idempotency_key_applies_once(
    service: ReviewService, store: InMemoryReviewStore, clock: FakeClock
) -> None:
    await service.quiz_answered(LEARNER, COURSE, 1, question(), right=False)
    clock.advance(hours=2)
    first = await answer(service, clock, quiz_key(), right=True, n="poll-1")
    again = await answer(service, clock, quiz_key(), right=True, n="poll-1")

    assert (first.applied, again.applied) == (Applied.APPLIED, Applied.REPEATED)
    assert store.deck[quiz_key()].reps == 1 and len(store.log) == 1


async def test_an_answer_decided_on_a_stale_card_changes_nothing(
    store: InMemoryReviewStore, clock: FakeClock
) -> None:
    service = ReviewService(store, clock, SETTINGS)
    await service.quiz_answered(LEARNER, COURSE, 1, question(), right=False)
    clock.advance(hours=2)
    stale = store.deck[quiz_key()]
    await answer(service, clock, quiz_key(), right=True, n="button")
    after, _ = rules.reviewed(stale, Rating.GOOD, clock(), rules.scheduler(SETTINGS))

    late = Review(stale, after, Rating.GOOD, True, clock(), None, "poll")
    assert await store.apply_review(late) is Applied.STALE


async def test_a_card_whose_question_left_the_course_is_gone(
    service: ReviewService, store: InMemoryReviewStore, clock: FakeClock
) -> None:
    await service.quiz_answered(LEARNER, COURSE, 1, question(), right=False)
    del store.prompts[COURSE, "quiz:q1"]
    assert (await answer(service, clock, quiz_key(), True, "x")).applied is Applied.GONE


# -- the queue --------------------------------------------------------------------------------


async def test_the_queue_is_oldest_due_first_and_counts_down(
    service: ReviewService, clock: FakeClock
) -> None:
    for key in ("q1", "q2", "q3"):
        await service.quiz_answered(LEARNER, COURSE, 1, question(key), right=False)
        clock.advance(minutes=1)
    clock.advance(hours=2)

    queue = await service.queue(LEARNER, ALL, UTC)
    assert [c.card.source.key for c in queue.cards] == ["q1", "q2", "q3"]
    assert queue.left == 3 and not queue.capped
    await answer(service, clock, quiz_key("q1"), right=True, n="1")
    queue = await service.queue(LEARNER, ALL, UTC)
    assert queue.left == 2 and queue.answered_today == DayCount(new=1)


async def test_the_daily_cap_counts_in_the_learners_day(
    store: InMemoryReviewStore, clock: FakeClock
) -> None:
    service = ReviewService(store, clock, ReviewSettings(new_per_day=2, fuzz=False))
    for key in ("q1", "q2", "q3"):
        await service.quiz_answered(LEARNER, COURSE, 1, question(key), right=False)
    clock.now = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 23:00 in Istanbul (UTC+3)
    zone = ZoneInfo("Europe/Istanbul")

    queue = await service.queue(LEARNER, ALL, zone)
    assert queue.left == 2 and queue.capped
    for n, due in enumerate(queue.cards):
        await service.answer(due.card.key, [0], asked_at=None, idempotency_key=str(n), unlocked=ALL)
    queue = await service.queue(LEARNER, ALL, zone)
    assert queue.done and queue.capped, "the end screen: the cap, not an empty deck"

    clock.advance(hours=1, minutes=1)  # 00:01 in Istanbul, still 2 March in UTC
    istanbul = await service.queue(LEARNER, ALL, zone)
    assert istanbul.answered_today == DayCount() and not istanbul.capped
    assert istanbul.left == 3, "a new day: the third new card and the two learning steps"
    utc = await service.queue(LEARNER, ALL, UTC)
    assert utc.answered_today == DayCount(new=2) and utc.capped
    assert [c.card.is_new for c in utc.cards] == [False, False], "only reviews are left today"


def test_the_day_starts_at_local_midnight() -> None:
    now = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert rules.day_start(now, UTC) == datetime(2026, 3, 2, tzinfo=UTC)
    behind = timezone(timedelta(hours=-5))
    assert rules.day_start(now, behind) == datetime(2026, 3, 1, 5, tzinfo=UTC)


async def test_later_pushes_the_card_without_touching_its_memory(
    service: ReviewService, store: InMemoryReviewStore, clock: FakeClock
) -> None:
    await service.quiz_answered(LEARNER, COURSE, 1, question(), right=False)
    clock.advance(hours=2)
    [due] = (await service.queue(LEARNER, ALL, UTC)).cards

    moved = await service.later(due.card)
    assert moved is not None and moved.due == clock() + SETTINGS.later_delay
    assert moved.state == due.card.state and moved.reps == 0
    assert await service.later(due.card) is None, "a second press for the same sighting"
    assert (await service.queue(LEARNER, ALL, UTC)).done
    clock.advance(hours=1)
    assert (await service.queue(LEARNER, ALL, UTC)).left == 1


# -- poll fit ---------------------------------------------------------------------------------


def due_card(p: Prompt) -> DueCard:
    return DueCard(rules.new_card(quiz_key(), 1, START), p)


def fits(**changes: object) -> bool:
    base = {"question": "Q?", "options": ("A", "B"), "correct": frozenset({0}), "explanation": ""}
    return rules.as_poll(due_card(Prompt(**{**base, **changes}))) is not None  # type: ignore[arg-type]


def test_poll_fit_at_telegrams_limits() -> None:
    assert fits(question="q" * 300) and not fits(question="q" * 301)
    assert not fits(question="   ")
    assert fits(options=tuple(str(i) for i in range(12)))
    assert not fits(options=tuple(str(i) for i in range(13)))
    assert not fits(options=("only",))
    assert fits(options=("o" * 100, "B")) and not fits(options=("o" * 101, "B"))
    assert not fits(options=("", "B"))
    assert fits(explanation="e" * 200) and not fits(explanation="e" * 201)
    assert fits(explanation="a\nb\nc") and not fits(explanation="a\nb\nc\nd")
    assert not fits(question="🙂" * 151), "UTF-16 units, as Telegram counts"


def test_a_poll_keeps_the_texts_and_lists_every_correct_option() -> None:
    several = Prompt("Which? (select all that apply)", ("A", "B", "C"), frozenset({2, 0}), "Ex.")
    poll = rules.as_poll(due_card(several))
    assert poll is not None
    assert poll.correct_option_ids == (0, 2) and poll.allows_multiple_answers
    assert (poll.type, poll.is_anonymous) == ("quiz", False)
    assert poll.question == several.question and poll.options == several.options


async def test_the_queue_takes_in_author_cards_once_their_module_opens(
    service: ReviewService, store: InMemoryReviewStore
) -> None:
    store.author(COURSE, AuthorCard("sgd", 2, 1, prompt("What is SGD?")))
    assert (await service.queue(LEARNER, ONLY_1, UTC)).done
    assert store.deck == {}, "nothing of a locked module joins"
    queue = await service.queue(LEARNER, ALL, UTC)
    assert [c.card.source.token for c in queue.cards] == ["author:sgd"]


def test_a_card_is_json_and_a_due_column() -> None:
    import json

    card = rules.new_card(quiz_key(), 1, START)
    assert json.loads(json.dumps(card.state)) == card.state
    assert card.due == START and card.due.tzinfo is not None
    assert CardSource.parse(card.source.token) == card.source


# -- a session: asks and what follows an answer -----------------------------------------------


async def asked_now(service: ReviewService, clock: FakeClock, poll: str) -> None:
    """The queue's next card put to the learner as poll `poll`."""
    queue = await service.queue(LEARNER, ALL, UTC)
    assert queue.next is not None
    ask = service.new_ask_id()
    await service.asked(queue.next, ask, bot_id=1, chat_id=LEARNER, message_id=1, poll_id=poll)


@pytest.fixture
def two_due(store: InMemoryReviewStore, clock: FakeClock) -> None:
    store.open_modules[LEARNER] = ALL
    for key in ("q1", "q2"):
        store.deck[quiz_key(key)] = rules.new_card(quiz_key(key), 1, START)
    clock.advance(seconds=5)


async def test_an_answer_is_timed_from_its_ask_and_the_queue_goes_on(
    service: ReviewService, store: InMemoryReviewStore, clock: FakeClock, two_due: None
) -> None:
    await asked_now(service, clock, "p1")
    clock.advance(seconds=3)  # within a reading of a short card: Easy
    ask = await service.poll_ask("p1", LEARNER)
    assert ask is not None
    answered = await service.answer_ask(ask, [0], UTC)
    assert answered.answer.applied is Applied.APPLIED and answered.answer.rating is Rating.EASY
    assert answered.next is not None and answered.next.left == 1
    assert store.log[ask.idempotency_key].duration == timedelta(seconds=3)


async def test_a_repeated_answer_goes_on_only_if_the_session_had_not(
    service: ReviewService, store: InMemoryReviewStore, clock: FakeClock, two_due: None
) -> None:
    await asked_now(service, clock, "p1")
    ask = await service.poll_ask("p1", LEARNER)
    assert ask is not None
    await service.answer_ask(ask, [0], UTC)
    # The same answer again before the next card went out (a retry after a failure).
    again = await service.answer_ask(ask, [0], UTC)
    assert again.answer.applied is Applied.REPEATED and again.next is not None
    await asked_now(service, clock, "p2")
    # Re-delivered after the session moved on: applied once, and nothing follows.
    ask = await service.poll_ask("p1", LEARNER)
    assert ask is not None and ask.superseded
    late = await service.answer_ask(ask, [1], UTC)
    assert late.answer.applied is Applied.REPEATED and late.next is None
    assert len(store.log) == 1


async def test_a_poll_answered_by_someone_else_or_never_sent_finds_no_ask(
    service: ReviewService, clock: FakeClock, two_due: None
) -> None:
    await asked_now(service, clock, "p1")
    assert await service.poll_ask("p1", LEARNER + 1) is None
    assert await service.poll_ask("p-never", LEARNER) is None


async def test_an_answer_outside_the_options_shown_or_to_a_reworded_card_changes_nothing(
    service: ReviewService, store: InMemoryReviewStore, clock: FakeClock, two_due: None
) -> None:
    await asked_now(service, clock, "p1")
    ask = await service.poll_ask("p1", LEARNER)
    assert ask is not None
    with pytest.raises(AnswerRejected):
        await service.answer_ask(ask, [5], UTC)
    with pytest.raises(AnswerRejected):
        await service.answer_ask(ask, [], UTC)
    store.prompts[COURSE, "quiz:q1"] = Prompt("Reworded?", ("A", "B", "C"), frozenset({2}))
    ask = await service.poll_ask("p1", LEARNER)
    assert ask is not None
    stale = await service.answer_ask(ask, [0], UTC)
    assert stale.answer.applied is Applied.STALE and stale.next is None
    assert store.log == {}


async def test_someone_elses_button_ask_is_refused(
    service: ReviewService, clock: FakeClock, two_due: None
) -> None:
    queue = await service.queue(LEARNER, ALL, UTC)
    assert queue.next is not None
    ask = service.new_ask_id()
    await service.asked(queue.next, ask, bot_id=1, chat_id=LEARNER, message_id=1)
    with pytest.raises(NotFound):
        await service.answer_button(ask, LEARNER + 1, [0], UTC)
    with pytest.raises(NotFound):
        await service.answer_button(ask + 1, LEARNER, [0], UTC)
