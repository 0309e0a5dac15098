"""Sending the study reminders that fell due: claim, decide, send, mark, once each.

Like the cooldown notices (bot/jobs/cooldowns.py): rows are claimed with `FOR UPDATE SKIP
LOCKED` and a lease, so replicas sweeping together split the work, and a replica that dies
mid-sweep leaves its claims to lapse. Each reminder is marked right after its message went
out, so a crash repeats at most the one in flight. What a reminder does is the domain's
(domain/reminders.py `decide`): sent, or moved to its next time without a message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot

from bot.context import Services
from bot.jobs.delivery import Delivery, deliver
from bot.views import reminders as views
from domain.reminders import Decision, DueReminder

log = logging.getLogger(__name__)

BATCH = 100
LEASE = timedelta(minutes=5)
RETRY_DELAY = timedelta(minutes=2)


@dataclass
class SweepReport:
    sent: int = 0
    skipped: int = 0  # moved on without a message: the decision's outcome says why
    blocked: int = 0  # the learner blocked the bot (403)
    deferred: int = 0  # Telegram failed for now; retried after RETRY_DELAY
    refused: int = 0  # Telegram refused the request itself (400)

    @property
    def claimed(self) -> int:
        return self.sent + self.skipped + self.blocked + self.deferred + self.refused


class ReminderSender:
    def __init__(self, services: Services, bot: Bot, *, batch: int = BATCH) -> None:
        self._services = services
        self._bot = bot
        self._batch = batch

    async def sweep(self) -> SweepReport:
        """Handle every reminder due now; returns what happened, for logs and tests."""
        reminders = self._services.reminders
        report = SweepReport()
        while True:
            due = await reminders.claim_due(self._batch, LEASE)
            for item, decision in due:
                await self._handle(item, decision, report)
            if len(due) < self._batch:
                break
        if report.claimed:
            log.info("reminder sweep: %s", report)
            metrics = self._services.metrics
            metrics.inc("tutorbot_reminders_sent_total", report.sent)
            metrics.inc(
                "tutorbot_reminders_skipped_total",
                report.skipped + report.blocked + report.refused,
            )
        return report

    async def _handle(self, item: DueReminder, decision: Decision, report: SweepReport) -> None:
        reminders = self._services.reminders
        lag = (reminders.now() - item.next_at).total_seconds()
        self._services.metrics.scheduler_lag("reminder", lag)
        if not decision.sends:
            report.skipped += 1
            await reminders.not_sent(decision)
            return
        outcome = await deliver(
            self._services, self._bot, item.user_id, views.reminder(decision), "reminder"
        )
        if outcome is Delivery.DEFERRED:
            report.deferred += 1
            await reminders.retry_later(item.user_id, RETRY_DELAY)
            return
        if outcome is Delivery.SENT:
            report.sent += 1
            await reminders.delivered(decision)
            return
        if outcome is Delivery.BLOCKED:
            report.blocked += 1
        else:
            report.refused += 1
        await reminders.not_sent(decision)
