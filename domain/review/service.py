"""Review's use cases: cards joining the deck, today's queue, answering and "later".

Decided here, applied by the store: the time comes from the service's clock, the rating
from `rules.rating`, the next due from fsrs's Scheduler (`rules.reviewed`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from uuid import UUID

from domain.clock import Clock, utc_now
from domain.errors import ModuleLocked
from domain.quiz.model import Question
from domain.review import rules
from domain.review.model import (
    Applied,
    CardKey,
    CardSource,
    DueCard,
    ModuleKey,
    PollCard,
    Queue,
    Review,
    ReviewAnswer,
    ReviewCard,
    ReviewSettings,
    SourceKind,
)
from domain.review.ports import ReviewStore


class ReviewService:
    """Spaced review of one bot's learners.

    A wrong quiz answer adds its question once; answering it wrong in a later quiz again
    changes nothing: lapses are counted in review only, where answers are timed the same
    way and each is one FSRS review (a quiz retaken after its cooldown would otherwise
    grade the card twice, outside the schedule FSRS set).
    """

    def __init__(
        self,
        store: ReviewStore,
        clock: Clock = utc_now,
        settings: ReviewSettings | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings or ReviewSettings()
        self._engine = rules.scheduler(self._settings)

    @property
    def settings(self) -> ReviewSettings:
        return self._settings

    # -- joining the deck -----------------------------------------------------------------

    async def quiz_answered(
        self, learner: int, course: UUID, module: int, question: Question, right: bool
    ) -> bool:
        """Called after each quiz answer: a wrong one puts its question in the deck, first
        asked `first_review_after` from now. True when a card was added (idempotent)."""
        if right:
            return False
        key = CardKey(learner, course, CardSource(SourceKind.QUIZ, question.key))
        due = self._clock() + self._settings.first_review_after
        return await self._store.add_cards([rules.new_card(key, module, due)]) > 0

    async def join_author_cards(
        self, learner: int, course: UUID, unlocked: frozenset[ModuleKey]
    ) -> int:
        """Add the author's cards of the course's unlocked modules not yet in the deck, due
        now; returns how many joined. Run before reading the queue, so a module's cards
        join once it opens, without the unlock having to know about review."""
        modules = sorted(m.module for m in unlocked if m.course == course)
        if not modules:
            return 0
        cards = await self._store.author_cards(course, modules)
        present = await self._store.sources_in_deck(learner, course)
        now = self._clock()
        fresh = [
            rules.new_card(CardKey(learner, course, source), card.module, now)
            for card in cards
            if ModuleKey(course, card.module) in unlocked
            and (source := CardSource(SourceKind.AUTHOR, card.key)).token not in present
        ]
        return await self._store.add_cards(fresh) if fresh else 0

    # -- the queue ------------------------------------------------------------------------

    async def queue(
        self,
        learner: int,
        unlocked: frozenset[ModuleKey],
        zone: tzinfo,
        *,
        join_author_cards: bool = True,
    ) -> Queue:
        """Today's due cards within the caps, oldest due first; `zone` is the learner's, so
        the caps reset at their midnight. First (unless told not to: the next card of a
        running session) the author's cards of newly unlocked modules join the deck."""
        if join_author_cards:
            for course in sorted({m.course for m in unlocked}):
                await self.join_author_cards(learner, course, unlocked)
        now = self._clock()
        answered = await self._store.answered_since(learner, rules.day_start(now, zone))
        left = rules.budget(answered, self._settings)
        if left.exhausted:
            more = await self._store.due_cards(learner, unlocked, now, new_limit=1, review_limit=1)
            return Queue((), answered, capped=bool(rules.eligible(more, unlocked)))
        found = await self._store.due_cards(
            learner, unlocked, now, new_limit=left.new, review_limit=left.reviews
        )
        cards = rules.today(rules.eligible(found, unlocked), left)
        capped = False
        new_taken = sum(c.card.is_new for c in cards)
        if new_taken == left.new or len(cards) - new_taken == left.reviews:
            # A cap filled: is more due behind it? One more of each tells "capped" from "done".
            more = await self._store.due_cards(
                learner, unlocked, now, new_limit=left.new + 1, review_limit=left.reviews + 1
            )
            capped = len(rules.eligible(more, unlocked)) > len(cards)
        return Queue(tuple(cards), answered, capped)

    # -- answering ------------------------------------------------------------------------

    async def answer(
        self,
        key: CardKey,
        choice: Iterable[int],
        *,
        asked_at: datetime | None,
        idempotency_key: str,
        unlocked: frozenset[ModuleKey],
    ) -> ReviewAnswer:
        """Grade an answer (poll_answer or a button) and re-schedule the card through
        FSRS at the clock's time. `asked_at` (when the poll or question was sent) gives
        the answer time; `idempotency_key` (the poll id, or the callback's update id)
        makes a re-delivered answer apply once: the second gets REPEATED."""
        due = await self._store.card(key)
        if due is None:
            return ReviewAnswer(Applied.GONE)
        if due.card.module_key not in unlocked:
            raise ModuleLocked(due.card.module)
        now = self._clock()
        picked = frozenset(choice)
        right = due.prompt.is_right(picked)
        elapsed = now - asked_at if asked_at is not None else None
        grade = rules.rating(right, elapsed, due.prompt)
        after, log = rules.reviewed(due.card, grade, now, self._engine)
        if elapsed is not None:
            log["review_duration"] = max(0, int(elapsed / timedelta(milliseconds=1)))
        review = Review(due.card, after, grade, right, now, elapsed, idempotency_key, log)
        applied = await self._store.apply_review(review)
        if applied is not Applied.APPLIED:
            return ReviewAnswer(applied, right, grade, due.card, due.prompt)
        return ReviewAnswer(applied, right, grade, after, due.prompt, review)

    async def later(self, card: ReviewCard) -> ReviewCard | None:
        """Push the card `later_delay` away, FSRS memory untouched; None when it had moved
        on already (answered, or "later" pressed twice)."""
        moved = rules.postponed(card, self._clock(), self._settings.later_delay)
        if await self._store.postpone(card.key, card.due, moved.due):
            return moved
        return None

    @staticmethod
    def as_poll(card: DueCard) -> PollCard | None:
        return rules.as_poll(card)
