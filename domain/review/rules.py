"""Review's rules as pure functions: the rating of an answer, the day's budget, which
cards may be asked, whether a card fits a quiz poll, and FSRS scheduling (the only place
the `fsrs` package is touched)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, tzinfo

import fsrs

from domain.review.model import (
    Budget,
    CardKey,
    DayCount,
    DueCard,
    ModuleKey,
    PollCard,
    Prompt,
    Rating,
    ReviewCard,
    ReviewSettings,
)

# -- rating -------------------------------------------------------------------------------

# Time is judged against how long the card takes to read, since a 250-character question
# with four long options cannot be answered as fast as "2 + 2?". Careful reading of study
# material runs at about 200 words a minute, ~17 characters a second; the tap and
# Telegram's round trip add a few seconds whatever the length.
READING_CHARS_PER_SECOND = 17.0
TAP = timedelta(seconds=4)
# Right within one reading (plus the tap): recalled, not worked out → Easy.
EASY_READINGS = 1.0
# Right after more than three readings plus 20 s: worked out with effort → Hard.
HARD_READINGS = 3.0
HARD_EXTRA = timedelta(seconds=20)
# Past this the learner was away (the poll stays open for days): the time says nothing
# about recall, so a right answer is simply Good.
AWAY = timedelta(minutes=10)


def reading_time(prompt: Prompt) -> timedelta:
    chars = len(prompt.question) + sum(len(o) for o in prompt.options)
    return timedelta(seconds=chars / READING_CHARS_PER_SECOND)


def rating(right: bool, elapsed: timedelta | None, prompt: Prompt) -> Rating:
    """Wrong → Again; right → Easy when fast, Hard when slow, Good otherwise or when the
    time is unknown (None, negative from clock skew, or longer than `AWAY`)."""
    if not right:
        return Rating.AGAIN
    if elapsed is None or elapsed < timedelta(0) or elapsed > AWAY:
        return Rating.GOOD
    reading = reading_time(prompt)
    if elapsed <= reading * EASY_READINGS + TAP:
        return Rating.EASY
    if elapsed > reading * HARD_READINGS + TAP + HARD_EXTRA:
        return Rating.HARD
    return Rating.GOOD


# -- the day and its caps -----------------------------------------------------------------


def day_start(now: datetime, zone: tzinfo) -> datetime:
    """The learner's local midnight of `now`, in UTC: where "today" begins for the caps."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)


def budget(answered: DayCount, settings: ReviewSettings) -> Budget:
    return Budget(
        max(0, settings.new_per_day - answered.new),
        max(0, settings.reviews_per_day - answered.reviews),
    )


def eligible(cards: Iterable[DueCard], unlocked: frozenset[ModuleKey]) -> list[DueCard]:
    """Never a card of a locked module, whatever the store returned."""
    return [c for c in cards if c.card.module_key in unlocked]


def today(cards: Iterable[DueCard], left: Budget) -> list[DueCard]:
    """Due cards oldest due first, new ones and reviews each within what is left of
    their cap (a card answered Again comes back the same day and counts again)."""
    new, reviews = left.new, left.reviews
    chosen = []
    for due in sorted(cards, key=lambda c: (c.card.due, c.card.source.token)):
        if due.card.is_new and new > 0:
            new -= 1
            chosen.append(due)
        elif not due.card.is_new and reviews > 0:
            reviews -= 1
            chosen.append(due)
    return chosen


# -- poll fit -----------------------------------------------------------------------------

# sendPoll (../shared/bot-api/api.json, Bot API 10.1): question 1-300 characters, 1-12
# InputPollOption of 1-100 characters, explanation 0-200 characters with at most 2 line
# feeds, `correct_option_ids` a list (several correct answers are allowed). A quiz of one
# option asks nothing, so two is our minimum.
POLL_QUESTION = 300
POLL_OPTIONS = (2, 12)
POLL_OPTION = 100
POLL_EXPLANATION = 200
POLL_EXPLANATION_LINE_FEEDS = 2


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def as_poll(card: DueCard) -> PollCard | None:
    """The card as a native quiz poll, or None when it does not fit as it stands (then
    the bot asks it with inline buttons): nothing is ever shortened to fit."""
    prompt = card.prompt
    low, high = POLL_OPTIONS
    if not low <= len(prompt.options) <= high:
        return None
    if not prompt.question.strip() or telegram_length(prompt.question) > POLL_QUESTION:
        return None
    if any(not o.strip() or telegram_length(o) > POLL_OPTION for o in prompt.options):
        return None
    if telegram_length(prompt.explanation) > POLL_EXPLANATION:
        return None
    if prompt.explanation.count("\n") > POLL_EXPLANATION_LINE_FEEDS:
        return None
    if not prompt.correct or any(not 0 <= i < len(prompt.options) for i in prompt.correct):
        return None
    return PollCard(
        card.card.key,
        prompt.question,
        prompt.options,
        tuple(sorted(prompt.correct)),
        prompt.explanation,
    )


# -- FSRS -----------------------------------------------------------------------------------

_RATINGS = {
    Rating.AGAIN: fsrs.Rating.Again,
    Rating.HARD: fsrs.Rating.Hard,
    Rating.GOOD: fsrs.Rating.Good,
    Rating.EASY: fsrs.Rating.Easy,
}


def scheduler(settings: ReviewSettings) -> fsrs.Scheduler:
    return fsrs.Scheduler(
        desired_retention=settings.desired_retention,
        learning_steps=settings.learning_steps,
        relearning_steps=settings.relearning_steps,
        enable_fuzzing=settings.fuzz,
    )


def new_card(key: CardKey, module: int, due: datetime, card_id: int = 0) -> ReviewCard:
    """A fresh FSRS card (Learning, never reviewed) due at `due`. `card_id` is fsrs's own
    id, unused by us: fixed so fsrs does not read the wall clock (and sleep) to make one."""
    utc = due.astimezone(UTC)
    state = fsrs.Card(card_id=card_id, due=utc).to_dict()
    return ReviewCard(key.learner, key.course, module, key.source, dict(state), utc)


def reviewed(
    card: ReviewCard, grade: Rating, at: datetime, engine: fsrs.Scheduler
) -> tuple[ReviewCard, dict[str, object]]:
    """The card after an answer graded `grade` at `at`, and fsrs's review log (as a dict)."""
    state = fsrs.Card.from_dict(card.state)  # type: ignore[arg-type]
    after, log = engine.review_card(state, _RATINGS[grade], review_datetime=at.astimezone(UTC))
    return (
        replace(card, state=dict(after.to_dict()), due=after.due, reps=card.reps + 1),
        dict(log.to_dict()),
    )


def new_ask_id() -> int:
    """An ask's id, chosen before the card is sent (its buttons carry it): random, so
    replicas need no shared counter, and unguessable, so callback data cannot name
    someone else's ask by counting (it is also checked against the presser)."""
    return secrets.randbits(62) + 1


def postponed(card: ReviewCard, now: datetime, delay: timedelta) -> ReviewCard:
    """ "Later": asked again after `delay`; FSRS's memory state is left as it was."""
    return replace(card, due=now.astimezone(UTC) + delay)


def interval(card: ReviewCard) -> timedelta | None:
    """How long the last answer put the card away (None before its first review)."""
    last = card.state.get("last_review")
    if last is None:
        return None
    return datetime.fromisoformat(card.state["due"]) - datetime.fromisoformat(last)
