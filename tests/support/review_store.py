"""The review tables as Python objects, for service tests: a deck keyed by (learner,
course, source), the course's prompts, author cards and a review log whose idempotency
key is unique. Writes follow `domain.review.ports` (add once, apply once with a
compare-and-set on `reps`, postpone only from the due seen)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from domain.review.model import (
    Applied,
    Ask,
    AuthorCard,
    CardKey,
    CardSource,
    DayCount,
    DueCard,
    DueToday,
    ModuleKey,
    NewAsk,
    Prompt,
    Review,
    ReviewCard,
    SourceKind,
)


@dataclass
class InMemoryReviewStore:
    prompts: dict[tuple[UUID, str], Prompt] = field(default_factory=dict)  # (course, token)
    authored: dict[UUID, list[AuthorCard]] = field(default_factory=dict)
    deck: dict[CardKey, ReviewCard] = field(default_factory=dict)
    log: dict[str, Review] = field(default_factory=dict)  # idempotency key: the review
    open_modules: dict[int, frozenset[ModuleKey]] = field(default_factory=dict)  # by learner
    asks: list[Ask] = field(default_factory=list)  # in the order asked

    def author(self, course: UUID, card: AuthorCard) -> None:
        self.authored.setdefault(course, []).append(card)
        self.prompts[course, CardSource(SourceKind.AUTHOR, card.key).token] = card.prompt

    def _with_prompt(self, card: ReviewCard) -> DueCard | None:
        prompt = self.prompts.get((card.course, card.source.token))
        return DueCard(card, prompt) if prompt is not None else None

    # -- DueCards ---------------------------------------------------------------------------

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
        mine = [
            d
            for c in self.deck.values()
            if c.learner == learner
            and c.module_key in unlocked
            and (d := self._with_prompt(c)) is not None
        ]
        due = sorted((d for d in mine if d.card.due <= now), key=lambda d: d.card.due)
        new = [d for d in due if d.card.is_new][:new_limit]
        old = [d for d in due if not d.card.is_new][:review_limit]
        answered = [r for r in self.log.values() if r.before.learner == learner and r.at >= since]
        fresh = sum(r.was_new for r in answered)
        later = [d.card.due for d in mine if d.card.due > now]
        return DueToday(
            sorted(new + old, key=lambda d: (d.card.due, d.card.source.token)),
            DayCount(fresh, len(answered) - fresh),
            min(later, default=None),
        )

    async def card(self, key: CardKey) -> DueCard | None:
        card = self.deck.get(key)
        return self._with_prompt(card) if card is not None else None

    # -- Deck -------------------------------------------------------------------------------

    async def missing_author_cards(
        self, learner: int, unlocked: frozenset[ModuleKey]
    ) -> list[tuple[UUID, AuthorCard]]:
        present = {k.source.token for k in self.deck if k.learner == learner}
        return [
            (course, card)
            for course, cards in self.authored.items()
            for card in cards
            if ModuleKey(course, card.module) in unlocked
            and CardSource(SourceKind.AUTHOR, card.key).token not in present
        ]

    # -- CardWrites -------------------------------------------------------------------------

    async def add_cards(self, cards: Sequence[ReviewCard]) -> int:
        added = 0
        for card in cards:
            if card.key not in self.deck:
                self.deck[card.key] = card
                added += 1
        return added

    async def apply_review(self, review: Review) -> Applied:
        if review.idempotency_key in self.log:
            return Applied.REPEATED
        stored = self.deck.get(review.before.key)
        if stored is None:
            return Applied.GONE
        if stored.reps != review.before.reps:
            return Applied.STALE
        self.deck[stored.key] = review.after
        self.log[review.idempotency_key] = review
        return Applied.APPLIED

    async def postpone(self, key: CardKey, seen_due: datetime, due: datetime) -> bool:
        stored = self.deck.get(key)
        if stored is None or stored.due != seen_due:
            return False
        self.deck[key] = replace(stored, due=due)
        return True

    # -- Asks -------------------------------------------------------------------------------

    async def unlocked(self, learner: int) -> frozenset[ModuleKey]:
        return self.open_modules.get(learner, frozenset())

    async def record_ask(self, ask: NewAsk) -> None:
        self.asks.append(
            Ask(
                ask.id,
                ask.key,
                ask.chat_id,
                ask.options,
                ask.asked_at,
                ask.poll_id,
                ask.message_id,
            )
        )

    def _seen(self, ask: Ask) -> Ask:
        at = self.asks.index(ask)
        later = any(a.key.learner == ask.key.learner for a in self.asks[at + 1 :])
        card = self.deck.get(ask.key)
        return replace(
            ask,
            answered=ask.idempotency_key in self.log,
            superseded=later,
            card=self._with_prompt(card) if card is not None else None,
        )

    async def ask(self, ask_id: int) -> Ask | None:
        found = [a for a in self.asks if a.id == ask_id]
        return self._seen(found[0]) if found else None

    async def ask_by_poll(self, poll_id: str) -> Ask | None:
        found = [a for a in self.asks if a.poll_id == poll_id]
        return self._seen(found[0]) if found else None
