"""What the review service needs of storage, one Protocol per use. `PgReviewStore`
(storage/review.py) implements them all: a deck table keyed by (learner, course, source
token) with the FSRS state as JSON, `due` and `reps` columns, the asks, and a review log
whose idempotency key is unique."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.review.model import (
    Applied,
    Ask,
    AuthorCard,
    CardKey,
    DueCard,
    DueToday,
    ModuleKey,
    NewAsk,
    Review,
    ReviewCard,
)


class DueCards(Protocol):
    """Reading today's queue."""

    async def due_today(
        self,
        learner: int,
        unlocked: frozenset[ModuleKey],
        now: datetime,
        since: datetime,
        *,
        new_limit: int,
        review_limit: int,
    ) -> DueToday:
        """In one read: the learner's cards with due <= `now` in the `unlocked` modules
        only, oldest due first, at most `new_limit` never reviewed (state's last_review
        null) and at most `review_limit` others; the review answers logged at or after
        `since`, split by whether the card was new; and the earliest due after `now` in
        those modules. Cards whose question left the course are not there."""
        ...

    async def card(self, key: CardKey) -> DueCard | None:
        """One card with its prompt, whatever its due; None when absent or its question
        left the course."""
        ...


class Deck(Protocol):
    """What may join a deck: the author's cards of the modules a learner has unlocked."""

    async def missing_author_cards(
        self, learner: int, unlocked: frozenset[ModuleKey]
    ) -> list[tuple[UUID, AuthorCard]]:
        """The author's cards (with their course) of the `unlocked` modules that are not
        in the learner's deck yet."""
        ...


class CardWrites(Protocol):
    async def add_cards(self, cards: Sequence[ReviewCard]) -> int:
        """Insert each card whose (learner, course, source) is not in the deck yet; leave
        an existing one untouched (ON CONFLICT DO NOTHING). Returns how many were added."""
        ...

    async def apply_review(self, review: Review) -> Applied:
        """Apply once, in one transaction: when `review.idempotency_key` is already in the
        log → REPEATED (nothing written; a re-delivered poll_answer or a retried update);
        when the stored card's `reps` is no longer `review.before.reps` → STALE (answered
        meanwhile under another key); when the card is gone → GONE; otherwise store
        `review.after` (state, due, reps), log the answer with its key → APPLIED."""
        ...

    async def postpone(self, key: CardKey, seen_due: datetime, due: datetime) -> bool:
        """Set the card's `due` (never its state) if it is still `seen_due`: a second
        "later" for the same sighting changes nothing. False when it did not apply."""
        ...


class Asks(Protocol):
    """What was put to whom, so an answer (which names only a poll, or an ask's id in
    callback data) finds its card, its learner and when it was asked."""

    async def unlocked(self, learner: int) -> frozenset[ModuleKey]:
        """The modules the learner may study now: unlocked, enrolled and not suspended, in
        published courses. Review never reaches past these."""
        ...

    async def record_ask(self, ask: NewAsk) -> None:
        """Store the ask, once sent. The update that sends it finishes before the
        learner's answer is handled (their updates are handled in order), so the answer
        always finds it."""
        ...

    async def ask(self, ask_id: int) -> Ask | None:
        """The ask with the card as it stands now."""
        ...

    async def ask_by_poll(self, poll_id: str) -> Ask | None: ...


class ReviewStore(DueCards, Deck, CardWrites, Asks, Protocol):
    """All of it: what `ReviewService` is given."""
