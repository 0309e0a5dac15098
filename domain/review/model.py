"""Review's values: where a card comes from, what it asks, its FSRS state and due time,
the day's budget and what an answer did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple
from uuid import UUID


class SourceKind(StrEnum):
    QUIZ = "quiz"  # a quiz question the learner got wrong: key = the bank question's key
    AUTHOR = "author"  # a review card from the course pack: key = its id


@dataclass(frozen=True)
class CardSource:
    """What a card asks, by reference: the content stays the course's (a re-import that
    rewords a question rewords the card; one that drops it drops the card)."""

    kind: SourceKind
    key: str

    @property
    def token(self) -> str:
        """One text column for storage: "quiz:<key>" or "author:<id>"."""
        return f"{self.kind.value}:{self.key}"

    @classmethod
    def parse(cls, token: str) -> CardSource:
        kind, _, key = token.partition(":")
        return cls(SourceKind(kind), key)


class ModuleKey(NamedTuple):
    """A module across courses: the unit of unlocking."""

    course: UUID
    module: int


@dataclass(frozen=True)
class CardKey:
    """One card of one learner: (learner, course, source) is unique in a deck."""

    learner: int
    course: UUID
    source: CardSource


@dataclass(frozen=True)
class Prompt:
    """The question a card asks, options in the author's order."""

    question: str
    options: tuple[str, ...]
    correct: frozenset[int]
    explanation: str = ""

    def is_right(self, choice: frozenset[int]) -> bool:
        return choice == self.correct

    @classmethod
    def of_options(
        cls, question: str, options: tuple[tuple[str, bool], ...], explanation: str = ""
    ) -> Prompt:
        """From a bank question's or a pack card's (text, correct) pairs."""
        return cls(
            question,
            tuple(text for text, _ in options),
            frozenset(i for i, (_, right) in enumerate(options) if right),
            explanation,
        )


@dataclass(frozen=True)
class AuthorCard:
    """A review card an author wrote for a topic (course pack `review:`)."""

    key: str
    module: int
    topic: int
    prompt: Prompt


@dataclass(frozen=True)
class ReviewCard:
    """A card in a learner's deck. `state` is fsrs.Card.to_dict(): JSON as it stands, for
    a JSON column; `due` is when it is next asked (usually the state's own due, except
    after "later", which moves only this), for an indexed column. `reps` counts answers
    applied: the version an answer's write is compared against."""

    learner: int
    course: UUID
    module: int
    source: CardSource
    state: dict[str, Any]
    due: datetime
    reps: int = 0

    @property
    def key(self) -> CardKey:
        return CardKey(self.learner, self.course, self.source)

    @property
    def is_new(self) -> bool:
        """Never answered in review (a wrong quiz answer does not count as one)."""
        return self.state.get("last_review") is None

    @property
    def module_key(self) -> ModuleKey:
        return ModuleKey(self.course, self.module)


@dataclass(frozen=True)
class DueCard:
    """A card with what it asks, as the queue hands it out."""

    card: ReviewCard
    prompt: Prompt


class Rating(StrEnum):
    """FSRS's four grades, in our words (fsrs.Rating stays inside rules)."""

    AGAIN = "again"
    HARD = "hard"
    GOOD = "good"
    EASY = "easy"


@dataclass(frozen=True)
class ReviewSettings:
    """How review behaves. Caps are per learner and local day, across courses."""

    new_per_day: int = 10
    reviews_per_day: int = 50
    later_delay: timedelta = timedelta(hours=1)
    # A card from a wrong quiz answer is first asked this long after: the explanation was
    # just on screen, and asking at once would test the last minute, not memory.
    first_review_after: timedelta = timedelta(hours=1)
    desired_retention: float = 0.9
    learning_steps: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=10))
    relearning_steps: tuple[timedelta, ...] = (timedelta(minutes=10),)
    fuzz: bool = True  # fsrs spreads intervals a little so cards learnt together part


@dataclass(frozen=True)
class DayCount:
    """Answers given in review since the learner's local midnight."""

    new: int = 0
    reviews: int = 0


@dataclass(frozen=True)
class Budget:
    """What is left of today's caps."""

    new: int
    reviews: int

    @property
    def exhausted(self) -> bool:
        return self.new <= 0 and self.reviews <= 0


@dataclass(frozen=True)
class Queue:
    """Today's queue: the card to ask now, how many are left (this one included) within
    the caps, and `capped`: more cards are due than the caps let through today (so the end
    screen says "that's today's share", not "nothing due")."""

    cards: tuple[DueCard, ...]
    answered_today: DayCount
    capped: bool = False
    next_due: datetime | None = None  # the earliest card not due yet, for the end screen

    @property
    def next(self) -> DueCard | None:
        return self.cards[0] if self.cards else None

    @property
    def left(self) -> int:
        return len(self.cards)

    @property
    def done(self) -> bool:
        """The end screen: nothing more today."""
        return not self.cards


@dataclass(frozen=True)
class DueToday:
    """What the queue is made from, read at once: due cards (at most the caps plus one of
    each kind, oldest due first), today's answers so far, and when the next card not due
    yet falls due."""

    cards: list[DueCard]
    answered: DayCount
    next_due: datetime | None = None


@dataclass(frozen=True)
class Review:
    """One answer as the store applies it: the card before (the compare-and-set version)
    and after, the log line, and the idempotency key (the poll id or the update id)."""

    before: ReviewCard
    after: ReviewCard
    rating: Rating
    right: bool
    at: datetime
    duration: timedelta | None
    idempotency_key: str
    log: dict[str, Any] = field(default_factory=dict)  # fsrs.ReviewLog.to_dict()

    @property
    def was_new(self) -> bool:
        return self.before.is_new


class Applied(StrEnum):
    APPLIED = "applied"
    REPEATED = "repeated"  # this idempotency key was applied before: nothing changed now
    STALE = "stale"  # the card moved on (answered under another key): nothing changed
    GONE = "gone"  # no such card (any more): its question left the course


@dataclass(frozen=True)
class ReviewAnswer:
    """What answering did; `review` is None unless `applied` is APPLIED."""

    applied: Applied
    right: bool | None = None
    rating: Rating | None = None
    card: ReviewCard | None = None
    prompt: Prompt | None = None
    review: Review | None = None


@dataclass(frozen=True)
class PollCard:
    """A card as a native quiz poll (sendPoll type=quiz): the exact texts, never
    shortened; `correct_option_ids` ascending as the Bot API requires."""

    key: CardKey
    question: str
    options: tuple[str, ...]
    correct_option_ids: tuple[int, ...]
    explanation: str
    type: str = "quiz"
    is_anonymous: bool = False  # poll_answer names the learner only for non-anonymous polls

    @property
    def allows_multiple_answers(self) -> bool:
        return len(self.correct_option_ids) > 1


@dataclass(frozen=True)
class NewAsk:
    """A card put to the learner, recorded once sent: as a quiz poll (`poll_id`) or as a
    question with buttons. `id` is chosen before sending (`rules.new_ask_id`), since the
    card's buttons carry it."""

    id: int
    key: CardKey
    bot_id: int
    chat_id: int
    options: int
    asked_at: datetime
    message_id: int
    poll_id: str | None = None


@dataclass(frozen=True)
class Ask:
    """A card as it was put to the learner, with the card as it stands now (`card`; None
    once its question left the course). `answered`: an answer to this ask was applied;
    `superseded`: the learner was asked something after it (so the session moved on)."""

    id: int
    key: CardKey
    chat_id: int
    options: int
    asked_at: datetime
    poll_id: str | None = None
    message_id: int | None = None
    answered: bool = False
    superseded: bool = False
    card: DueCard | None = None

    @property
    def idempotency_key(self) -> str:
        """One answer per ask: a re-delivered poll_answer, a retried update and a double
        tap all carry the same ask."""
        return f"ask:{self.id}"


@dataclass(frozen=True)
class Answered:
    """An answer and what follows it: `next` is the queue to go on with, or None when
    nothing follows (the answer changed nothing and the session had moved on already)."""

    answer: ReviewAnswer
    ask: Ask
    next: Queue | None
