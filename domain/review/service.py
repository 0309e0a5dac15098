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
    Answered,
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

    async def join_author_cards(self, learner: int, unlocked: frozenset[ModuleKey]) -> int:
        """Add the author's cards of the unlocked modules not yet in the deck, due now;
        returns how many joined. Run before reading the queue, so a module's cards join
        once it opens, without the unlock having to know about review."""
        if not unlocked:
            return 0
        now = self._clock()
        fresh = [
            rules.new_card(
                CardKey(learner, course, CardSource(SourceKind.AUTHOR, card.key)), card.module, now
            )
            for course, card in await self._store.missing_author_cards(learner, unlocked)
            if ModuleKey(course, card.module) in unlocked
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
        running session) the author's cards of newly unlocked modules join the deck. One
        more of each kind than the caps is read, which tells "capped" from "done"."""
        if join_author_cards:
            await self.join_author_cards(learner, unlocked)
        now, settings = self._clock(), self._settings
        found = await self._store.due_today(
            learner,
            unlocked,
            now,
            rules.day_start(now, zone),
            new_limit=settings.new_per_day + 1,
            review_limit=settings.reviews_per_day + 1,
        )
        eligible = rules.eligible(found.cards, unlocked)
        cards = rules.today(eligible, rules.budget(found.answered, settings))
        return Queue(tuple(cards), found.answered, len(eligible) > len(cards), found.next_due)

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
        return await self._grade(due, choice, asked_at, idempotency_key, unlocked)

    async def _grade(
        self,
        due: DueCard | None,
        choice: Iterable[int],
        asked_at: datetime | None,
        idempotency_key: str,
        unlocked: frozenset[ModuleKey],
        options: int | None = None,
    ) -> ReviewAnswer:
        """`options`, the count shown, tells an answer to a card reworded meanwhile."""
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

    async def start(self, learner: int, zone: tzinfo) -> Queue:
        """/review: the author's cards of newly opened modules join, then today's queue."""
        return await self.queue(learner, await self._store.unlocked(learner), zone)

    async def going_on(self, learner: int, zone: tzinfo) -> Queue:
        """The queue in a running session (after "later", or to count what is left)."""
        unlocked = await self._store.unlocked(learner)
        return await self.queue(learner, unlocked, zone, join_author_cards=False)

    @staticmethod
    def new_ask_id() -> int:
        return rules.new_ask_id()

    async def asked(
        self,
        card: DueCard,
        ask_id: int,
        *,
        bot_id: int,
        chat_id: int,
        message_id: int,
        poll_id: str | None = None,
    ) -> None:
        """Record that `card` was put to its learner (now, as far as timing goes)."""
        ask = NewAsk(
            ask_id,
            card.card.key,
            bot_id,
            chat_id,
            len(card.prompt.options),
            self._clock(),
            message_id,
            poll_id,
        )
        await self._store.record_ask(ask)

    async def poll_ask(self, poll_id: str, learner: int) -> Ask | None:
        """The ask a poll's answer is for; None for a poll we never sent, or one answered
        by someone else (a forwarded poll): neither may touch a deck."""
        ask = await self._store.ask_by_poll(poll_id)
        return ask if ask is not None and ask.key.learner == learner else None

    async def answer_button(
        self, ask_id: int, learner: int, choice: Iterable[int], zone: tzinfo
    ) -> Answered:
        return await self.answer_ask(await self.button_ask(ask_id, learner), choice, zone)

    async def button_ask(self, ask_id: int, learner: int) -> Ask:
        """The ask behind a pressed button; someone else's (forged data) or one gone with
        its course is refused alike."""
        ask = await self._store.ask(ask_id)
        if ask is None or ask.key.learner != learner:
            raise NotFound(Reason.CARD_GONE)
        return ask

    async def answer_ask(self, ask: Ask, choice: Iterable[int], zone: tzinfo) -> Answered:
        """Answer what was asked, once per ask, timed from when it was asked; then the
        queue to go on with, unless this answer changed nothing and the session had moved
        on (a re-delivery), or the card had been answered meanwhile (STALE)."""
        picked = frozenset(choice)
        if not picked or any(not 0 <= i < ask.options for i in picked):
            raise AnswerRejected(Reason.PICK_AN_OPTION)
        learner = ask.key.learner
        unlocked = await self._store.unlocked(learner)
        answer = await self._grade(
            ask.card, picked, ask.asked_at, ask.idempotency_key, unlocked, ask.options
        )
        follows = answer.applied in (Applied.APPLIED, Applied.GONE) or (
            answer.applied is Applied.REPEATED and not ask.superseded
        )
        queue = (
            await self.queue(learner, unlocked, zone, join_author_cards=False) if follows else None
        )
        return Answered(answer, ask, queue)

    async def later_ask(self, ask: Ask) -> ReviewCard | None:
        """ "Later" on what was asked; None when it was answered meanwhile or is gone."""
        if ask.answered or ask.card is None:
            return None
        return await self.later(ask.card.card)
