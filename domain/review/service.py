"""Review's use cases: cards joining the deck, today's queue, answering and "later".

Decided here, applied by the store: the time comes from the service's clock, the rating
from `rules.rating`, the next due from fsrs's Scheduler (`rules.reviewed`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from uuid import UUID

from domain.clock import Clock, utc_now
from domain.errors import AnswerRejected, ModuleLocked, NotFound, Reason
from domain.quiz.model import Question
from domain.review import rules
from domain.review.model import (
    Applied,
    Ask,
    CardKey,
    CardSource,
    DueCard,
    ModuleKey,
    NewAsk,
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
        options: int | None = None,
    ) -> ReviewAnswer:
        """Grade an answer (poll_answer or a button) and re-schedule the card through
        FSRS at the clock's time. `asked_at` (when the poll or question was sent) gives
        the answer time; `idempotency_key` (the poll id, or the callback's update id)
        makes a re-delivered answer apply once: the second gets REPEATED. `options`, the
        count shown, tells an answer to a card reworded meanwhile (STALE)."""
        due = await self._store.card(key)
        if due is None:
            return ReviewAnswer(Applied.GONE)
        if due.card.module_key not in unlocked:
            raise ModuleLocked(due.card.module)
        if options is not None and options != len(due.prompt.options):
            return ReviewAnswer(Applied.STALE, card=due.card, prompt=due.prompt)
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

    # -- a session: what was asked, and its answers ---------------------------------------

    def now(self) -> datetime:
        return self._clock()

    async def today(self, learner: int, zone: tzinfo, *, join_author_cards: bool = True) -> Queue:
        """`queue` over the modules the learner may study now."""
        unlocked = await self._store.unlocked(learner)
        return await self.queue(learner, unlocked, zone, join_author_cards=join_author_cards)

    async def asked(
        self,
        card: DueCard,
        *,
        bot_id: int,
        chat_id: int,
        poll_id: str | None = None,
        message_id: int | None = None,
    ) -> int:
        """Record that `card` was put to its learner now; returns the ask's id."""
        ask = NewAsk(
            card.card.key,
            bot_id,
            chat_id,
            len(card.prompt.options),
            self._clock(),
            poll_id,
            message_id,
        )
        return await self._store.record_ask(ask)

    async def sent_as_poll(self, ask_id: int, poll_id: str, message_id: int) -> None:
        await self._store.set_poll(ask_id, poll_id, message_id)

    async def next_due(self, learner: int) -> datetime | None:
        """When the learner's next card falls due (for the end of a session)."""
        return await self._store.next_due(learner, await self._store.unlocked(learner))

    async def poll_ask(self, poll_id: str, learner: int) -> Ask | None:
        """The ask a poll answer is for; None for a poll we never sent, or one answered by
        someone else (a forwarded poll): neither may touch a deck."""
        ask = await self._store.ask_by_poll(poll_id)
        return ask if ask is not None and ask.key.learner == learner else None

    async def button_ask(self, ask_id: int, learner: int) -> Ask:
        """The ask behind a pressed answer button; someone else's (forged data) or one gone
        with its course is refused alike."""
        ask = await self._store.ask(ask_id)
        if ask is None or ask.key.learner != learner:
            raise NotFound(Reason.CARD_GONE)
        return ask

    async def asked_card(self, ask: Ask) -> DueCard | None:
        """The card an ask put, as it stands now."""
        return await self._store.card(ask.key)

    async def answer_ask(self, ask: Ask, choice: Iterable[int]) -> ReviewAnswer:
        """Answer what was asked, once per ask, timed from when it was asked."""
        picked = frozenset(choice)
        if not picked or any(not 0 <= i < ask.options for i in picked):
            raise AnswerRejected(Reason.PICK_AN_OPTION)
        return await self.answer(
            ask.key,
            picked,
            asked_at=ask.asked_at,
            idempotency_key=ask.idempotency_key,
            unlocked=await self._store.unlocked(ask.key.learner),
            options=ask.options,
        )

    async def later_ask(self, ask: Ask) -> ReviewCard | None:
        """ "Later" on what was asked; None when it was answered meanwhile or is gone."""
        if ask.answered:
            return None
        due = await self._store.card(ask.key)
        return await self.later(due.card) if due is not None else None
