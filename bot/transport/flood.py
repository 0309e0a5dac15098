"""Incoming flood control: a learner who writes faster than anyone reads is slowed down
before any handler runs (no handler work for the update, and above all no model call; the
inbox has stored it, and marks it done like any other).

`FloodGuard` is a PTB `TypeHandler` callback registered in group -1, ahead of every
handler. For each new message or button press it asks the learner's buckets
(`domain.flood.FloodControl`); an update over the limit is dropped by raising
`ApplicationHandlerStop`, which ends PTB's handling of that update. The first drop of a
stretch gets one polite line in the chat; a dropped button press is always answered (with
a short toast), because Telegram keeps the button spinning until it is.

The buckets live in this process's memory: with N replicas a chat may get up to N times
the rate at hand-overs, which is fine because the limit that costs money, the typed
question quota, is kept in the database.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler, filters

from bot.context import TutorContext
from bot.settings import Settings
from domain.flood import Admission, FloodControl, FloodRules, Limit

log = logging.getLogger(__name__)

# What the question handler (`ask.question`) receives: private plain text, not a command.
TYPED_QUESTION = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
TOAST = "🐢 Slow down a little — try again in a few seconds."


def rules_of(settings: Settings) -> FloodRules:
    return FloodRules(
        messages_per_minute=settings.flood_messages_per_minute,
        burst=settings.flood_burst,
        questions_per_minute=settings.flood_questions_per_minute,
        question_burst=settings.flood_question_burst,
    )


class FloodGuard:
    """The group -1 callback; `control` holds the learners' buckets, `clock` is monotonic."""

    def __init__(self, control: FloodControl, clock: Callable[[], float] = time.monotonic):
        self.control = control
        self._clock = clock

    def handler(self) -> TypeHandler:
        return TypeHandler(Update, self.__call__)

    async def __call__(self, update: Update, context: TutorContext) -> None:
        verdict = self.check(update)
        if verdict.allowed:
            return
        metrics = context.services.metrics
        metrics.inc("tutorbot_flood_dropped_total")
        if verdict.notify:
            metrics.inc("tutorbot_flood_notices_total")
        try:
            chat = update.effective_chat
            if update.callback_query is not None:
                await update.callback_query.answer(TOAST)
            elif verdict.notify and chat is not None and chat.type == "private":
                await context.bot.send_message(chat.id, slow_down(verdict))
        except TelegramError as exc:  # the learner is slowed down either way
            log.info("slow-down notice not delivered: %s", exc)
        raise ApplicationHandlerStop

    def check(self, update: Update) -> Admission:
        """The verdict for this update; updates that are not a learner writing pass."""
        if not self.control.enabled:
            return _PASS
        if update.callback_query is not None:
            return self.control.admit(update.callback_query.from_user.id, self._clock())
        message = update.message
        if message is None or message.from_user is None:
            return _PASS
        question = bool(TYPED_QUESTION.check_update(update))
        return self.control.admit(message.from_user.id, self._clock(), question=question)


def slow_down(verdict: Admission) -> str:
    """The one line a learner gets when a stretch of being limited starts."""
    wait = _seconds(verdict.wait)
    if verdict.limit is Limit.QUESTIONS:
        return (
            "🐢 That's a lot of questions in a short time. Give me about "
            f"{wait} — questions sent until then are skipped and not counted."
        )
    return (
        "🐢 You're sending messages faster than I can keep up with. I'll skip what "
        f"arrives in the next {wait} or so — then carry on."
    )


def _seconds(wait: float) -> str:
    seconds = max(1, math.ceil(wait))
    return f"{seconds} seconds" if seconds != 1 else "a second"


_PASS = Admission(True)
