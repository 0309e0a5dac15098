"""Requests for a human tutor nobody answered in time: the learner is told honestly and
the admins get the request (domain.help_requests). Each request is escalated once, by
whichever replica's sweep claims it first."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.context import Services, TutorContext
from bot.handlers import help_relay

log = logging.getLogger(__name__)

BATCH = 50


class HelpEscalator:
    def __init__(self, services: Services, bot: Bot) -> None:
        self._services = services
        self._bot = bot

    async def sweep(self) -> int:
        """Escalates what is due; returns how many requests."""
        services = self._services
        hours = services.settings.help_escalate_hours
        done = 0
        while True:
            due = await services.help.escalate_due(BATCH)
            for request in due:
                try:
                    await help_relay.escalate(services, self._bot, request, hours)
                except TelegramError as exc:  # marked escalated: admins can still find it
                    log.warning("escalating request %s: %s", request.id, exc)
            done += len(due)
            if len(due) < BATCH:
                return done


async def escalate_unanswered(context: TutorContext) -> None:
    await HelpEscalator(context.services, context.bot).sweep()
