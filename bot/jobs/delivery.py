"""One unasked message to a learner from a background job, how it went, and a sweep's tally.

Shared by the sweeps (cooldown notices, study reminders): each claims batches until one
comes back short (`drain`); each message is sent as bulk (paced within the
overall limit, yielding to replies, bot/transport/outgoing.py); a 403 (blocked or
deactivated) records the learner as blocked, since retrying would only repeat the refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import Services
from bot.transport.outgoing import BULK
from bot.views.screen import Screen

log = logging.getLogger(__name__)

T = TypeVar("T")


class Delivery(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the learner blocked the bot (now recorded)
    REFUSED = "refused"  # 400: Telegram refused the request itself; retrying cannot help
    DEFERRED = "deferred"  # Telegram failed for now: worth a retry later


@dataclass
class Tally:
    """What one sweep did with what it claimed."""

    sent: int = 0
    skipped: int = 0  # nothing to send: the job's rules said so
    blocked: int = 0  # the learner blocked the bot (403)
    deferred: int = 0  # Telegram failed for now; retried later
    refused: int = 0  # Telegram refused the request itself (400); retrying cannot help

    def count(self, outcome: Delivery) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    @property
    def claimed(self) -> int:
        return self.sent + self.skipped + self.blocked + self.deferred + self.refused


async def drain(
    claim: Callable[[], Awaitable[Sequence[T]]], handle: Callable[[T], Awaitable[None]], batch: int
) -> None:
    """Claim and handle batches of `batch` until one comes back short: all due is done."""
    while True:
        due = await claim()
        for item in due:
            await handle(item)
        if len(due) < batch:
            return


async def deliver(
    services: Services, bot: Bot, user_id: int, screen: Screen, what: str
) -> Delivery:
    """Send `screen` to `user_id`; `what` names the message in the logs."""
    try:
        await bot.send_message(
            user_id,
            screen.text,
            parse_mode=ParseMode.HTML,
            reply_markup=screen.markup,
            rate_limit_args=BULK,
        )
    except Forbidden as exc:
        log.info("%s to %s forbidden: %s", what, user_id, exc.message)
        await services.users.blocked_the_bot(user_id)
        return Delivery.BLOCKED
    except BadRequest as exc:
        log.error("%s to %s refused: %s", what, user_id, exc.message)
        return Delivery.REFUSED
    except TelegramError as exc:
        log.warning("%s to %s deferred: %s", what, user_id, exc)
        return Delivery.DEFERRED
    return Delivery.SENT
