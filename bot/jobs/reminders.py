"""Sending the study reminders that fell due: claim, decide, send, mark, once each.

Like the cooldown notices (bot/jobs/cooldowns.py): rows are claimed with `FOR UPDATE SKIP
LOCKED` and a lease, so replicas sweeping together split the work, and a replica that dies
mid-sweep leaves its claims to lapse. Each reminder is marked right after its message went
out, so a crash repeats at most the one in flight. What a reminder does is the domain's
(domain/reminders.py `decide`): sent, or moved to its next time without a message.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Bot

from bot.context import Services
from bot.jobs.delivery import Delivery, Tally, deliver, drain
from bot.views import reminders as views
from domain.reminders import Decision, DueReminder

log = logging.getLogger(__name__)

BATCH = 100
LEASE = timedelta(minutes=5)
RETRY_DELAY = timedelta(minutes=2)


class ReminderSender:
    def __init__(self, services: Services, bot: Bot, *, batch: int = BATCH) -> None:
        self._services = services
        self._bot = bot
        self._batch = batch

    async def sweep(self) -> Tally:
        """Handle every reminder due now; returns what happened, for logs and tests."""
        reminders = self._services.reminders
        report = Tally()
        await drain(
            lambda: reminders.claim_due(self._batch, LEASE),
            lambda due: self._handle(*due, report),
            self._batch,
        )
        if report.claimed:
            log.info("reminder sweep: %s", report)
            metrics = self._services.metrics
            metrics.inc("tutorbot_reminders_sent_total", report.sent)
            metrics.inc(
                "tutorbot_reminders_skipped_total",
                report.skipped + report.blocked + report.refused,
            )
        return report

    async def _handle(self, item: DueReminder, decision: Decision, report: Tally) -> None:
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
        report.count(outcome)
        if outcome is Delivery.DEFERRED:
            await reminders.retry_later(item.user_id, RETRY_DELAY)
        elif outcome is Delivery.SENT:
            await reminders.delivered(decision)
        else:  # blocked or refused: on to its next time
            await reminders.not_sent(decision)
