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
    asks: list[Ask] = field(default_factory=list)  # id = index + 1

    def author(self, course: UUID, card: AuthorCard) -> None:
        self.authored.setdefault(course, []).append(card)
        self.prompts[course, CardSource(SourceKind.AUTHOR, card.key).token] = card.prompt

    def _with_prompt(self, card: ReviewCard) -> DueCard | None:
        prompt = self.prompts.get((card.course, card.source.token))
        return DueCard(card, prompt) if prompt is not None else None

    # -- DueCards ---------------------------------------------------------------------------

    async def due_cards(
        self,
        learner: int,
        unlocked: frozenset[ModuleKey],
        now: datetime,
        *,
        new_limit: int,
        review_limit: int,
    ) -> list[DueCard]:
        due = sorted(
            (
                c
                for c in self.deck.values()
                if c.learner == learner and c.due <= now and c.module_key in unlocked
            ),
            key=lambda c: c.due,
        )
        new = [c for c in due if c.is_new][:new_limit]
        old = [c for c in due if not c.is_new][:review_limit]
        found = [self._with_prompt(c) for c in sorted(new + old, key=lambda c: c.due)]
        return [d for d in found if d is not None]

    async def answered_since(self, learner: int, since: datetime) -> DayCount:
        mine = [r for r in self.log.values() if r.before.learner == learner and r.at >= since]
        new = sum(r.was_new for r in mine)
        return DayCount(new, len(mine) - new)

    async def next_due(self, learner: int, unlocked: frozenset[ModuleKey]) -> datetime | None:
        dues = [
            c.due
            for c in self.deck.values()
            if c.learner == learner and c.module_key in unlocked and self._with_prompt(c)
        ]
        return min(dues, default=None)

    async def card(self, key: CardKey) -> DueCard | None:
        card = self.deck.get(key)
        return self._with_prompt(card) if card is not None else None

    # -- Deck -------------------------------------------------------------------------------

    async def author_cards(self, course: UUID, modules: Sequence[int]) -> list[AuthorCard]:
        return [c for c in self.authored.get(course, []) if c.module in modules]

    async def sources_in_deck(self, learner: int, course: UUID) -> frozenset[str]:
        return frozenset(
            k.source.token for k in self.deck if k.learner == learner and k.course == course
        )

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

    async def record_ask(self, ask: NewAsk) -> int:
        self.asks.append(
            Ask(
                len(self.asks) + 1,
                ask.key,
                ask.chat_id,
                ask.options,
                ask.asked_at,
                ask.poll_id,
                ask.message_id,
            )
        )
        return len(self.asks)

    async def set_poll(self, ask_id: int, poll_id: str, message_id: int) -> None:
        self.asks[ask_id - 1] = replace(
            self.asks[ask_id - 1], poll_id=poll_id, message_id=message_id
        )

    def _seen(self, ask: Ask) -> Ask:
        later = any(a.key.learner == ask.key.learner and a.id > ask.id for a in self.asks)
        return replace(ask, answered=ask.idempotency_key in self.log, superseded=later)

    async def ask(self, ask_id: int) -> Ask | None:
        return self._seen(self.asks[ask_id - 1]) if 0 < ask_id <= len(self.asks) else None

    async def ask_by_poll(self, poll_id: str) -> Ask | None:
        found = [a for a in self.asks if a.poll_id == poll_id]
        return self._seen(found[0]) if found else None
