"""Sending a confirmed broadcast: claim recipients, send each at Telegram's pace (the
application's flood limiter), mark each one, and keep the admin's progress message current.

Several senders (replicas, or a restart's resume) can work on one broadcast at once: they
claim disjoint recipients, and each recipient is marked right after their message went
out, so a crash repeats at most the message in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from uuid import UUID

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from bot.context import Services
from bot.transport.outgoing import BULK
from bot.views import broadcast as views

log = logging.getLogger(__name__)

BATCH = 25
PROGRESS_EVERY = 2.0  # seconds between edits of the progress message
RETRY_DELAY = timedelta(seconds=30)
WAIT_FOR_CLAIMS = 5.0


class BroadcastSender:
    def __init__(self, services: Services, bot: Bot, *, batch: int = BATCH) -> None:
        self._services = services
        self._bot = bot
        self._batch = batch
        self._shown = 0.0

    async def run(self, broadcast_id: UUID) -> None:
        broadcasts = self._services.broadcasts
        text = await broadcasts.text(broadcast_id)
        if text is None:
            return
        while True:
            recipients = await broadcasts.claim(broadcast_id, self._batch)
            if not recipients:
                progress = await broadcasts.progress(broadcast_id)
                if progress is None or progress.pending == 0:
                    break
                # Pending rows held by another sender, or by one that died: their claims
                # lapse after the lease; meanwhile, wait rather than finish early.
                await asyncio.sleep(WAIT_FOR_CLAIMS)
                continue
            unsent = list(recipients)
            try:
                for user_id in recipients:
                    # Shielded: a sender cancelled mid-message (shutdown, redeploy) still
                    # records what it sent, so whoever resumes doesn't send it again.
                    await asyncio.shield(self._send(broadcast_id, user_id, text))
                    unsent.remove(user_id)
                    await self._show_progress(broadcast_id)
            except asyncio.CancelledError:
                await asyncio.shield(broadcasts.release(broadcast_id, unsent))
                raise
        if await broadcasts.finish_if_done(broadcast_id):
            await self._show_progress(broadcast_id, final=True)

    async def _send(self, broadcast_id: UUID, user_id: int, text: str) -> None:
        broadcasts = self._services.broadcasts
        try:
            # Bulk: paced within the overall limit, a 429 pauses bulk sends only.
            await self._bot.send_message(user_id, text, parse_mode=None, rate_limit_args=BULK)
        except Forbidden:
            await self._services.users.blocked_the_bot(user_id)
            await broadcasts.delivered(broadcast_id, user_id, "blocked")
        except BadRequest as exc:
            log.warning("broadcast to %s refused: %s", user_id, exc.message)
            await broadcasts.delivered(broadcast_id, user_id, "failed")
        except (RetryAfter, TelegramError) as exc:
            log.warning("broadcast to %s deferred: %s", user_id, exc)
            await broadcasts.retry_later(broadcast_id, user_id, RETRY_DELAY)
        else:
            await broadcasts.delivered(broadcast_id, user_id, "sent")

    async def _show_progress(self, broadcast_id: UUID, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._shown < PROGRESS_EVERY:
            return
        self._shown = now
        progress = await self._services.broadcasts.progress(broadcast_id)
        if progress is None or progress.chat_id is None or progress.message_id is None:
            return
        try:
            await self._bot.edit_message_text(
                views.progress(progress),
                chat_id=progress.chat_id,
                message_id=progress.message_id,
                parse_mode=ParseMode.HTML,
            )
        except TelegramError as exc:
            log.info("broadcast progress not shown: %s", exc)


def start_sending(application: Application, broadcast_id: UUID) -> None:
    """Send in the background; the caller (a button, the resume job) returns at once.

    Plain asyncio tasks, not `Application.create_task`: PTB's `stop()` would wait for
    those to finish, and a broadcast can take minutes. `stop_sending` cancels them instead
    (each stops after recording the message in flight) and a restart resumes.
    """
    services: Services = application.bot_data["services"]
    tasks: set[asyncio.Task] = application.bot_data.setdefault(_TASKS, set())
    sender = BroadcastSender(services, application.bot)
    task = asyncio.get_running_loop().create_task(
        sender.run(broadcast_id), name=f"broadcast-{broadcast_id}"
    )
    tasks.add(task)
    task.add_done_callback(_finished)


async def stop_sending(application: Application) -> None:
    tasks: set[asyncio.Task] = application.bot_data.get(_TASKS, set())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _finished(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("broadcast sender failed", exc_info=task.exception())


_TASKS = "broadcast_tasks"
