"""Telling learners a quiz cooldown is over: claim due rows, message each learner once.

The database decides who is told: rows are claimed with `FOR UPDATE SKIP LOCKED` and a
lease, so replicas sweeping at the same moment split the work instead of repeating it,
and a replica that dies mid-sweep leaves its claims to lapse and be taken over. Each
learner is marked announced right after their message went out, so a crash repeats at
most the one message in flight.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Bot

from bot.context import Services
from bot.jobs.delivery import Delivery, Tally, deliver, drain
from bot.views import quiz as views
from domain.quiz.model import DueCooldown

log = logging.getLogger(__name__)

BATCH = 100
LEASE = timedelta(minutes=5)
RETRY_DELAY = timedelta(minutes=2)


class SweepReport(Tally):
    """`skipped`: nothing to announce (enrollment not active, no attempts left, ...)."""

    @property
    def announced(self) -> int:
        return self.sent


class CooldownAnnouncer:
    def __init__(self, services: Services, bot: Bot, *, batch: int = BATCH) -> None:
        self._services = services
        self._bot = bot
        self._batch = batch

    async def sweep(self) -> SweepReport:
        """Announce every cooldown due now; returns what happened, for logs and tests."""
        quizzes = self._services.quizzes
        report = SweepReport()
        await drain(
            lambda: quizzes.claim_due_cooldowns(self._batch, LEASE),
            lambda item: self._announce(item, report),
            self._batch,
        )
        if report.claimed:
            log.info("cooldown sweep: %s", report)
            metrics = self._services.metrics
            metrics.inc("tutorbot_cooldown_notices_total", report.sent)
            metrics.inc(
                "tutorbot_cooldown_notices_undeliverable_total", report.blocked + report.refused
            )
            metrics.inc("tutorbot_cooldown_notices_deferred_total", report.deferred)
        return report

    async def _announce(self, item: DueCooldown, report: SweepReport) -> None:
        quizzes = self._services.quizzes
        # How late the cooldown's end is handled (a deferred notice counts again on retry).
        lag = (quizzes.now() - item.cooldown_until).total_seconds()
        self._services.metrics.scheduler_lag("cooldown", lag)
        if not item.worth_announcing:
            report.skipped += 1
            await quizzes.cooldowns_announced([item.key])
            return
        outcome = await deliver(
            self._services, self._bot, item.user_id, views.cooldown_over(item), "cooldown notice"
        )
        if outcome is Delivery.DEFERRED:
            report.count(outcome)
            await quizzes.retry_cooldowns_later([item.key], RETRY_DELAY)
            return
        report.count(outcome)
        await quizzes.cooldowns_announced([item.key])
