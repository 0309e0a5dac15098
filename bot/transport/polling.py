"""Long polling into the durable inbox, for development and small deployments.

getUpdates confirms the previous batch only when it is called again with a higher offset,
so a batch is stored in the inbox before the next call confirms it: a crash between the
two means Telegram hands the batch over again, and the inbox drops what it already has.
"""

from __future__ import annotations

import asyncio
import json
import logging

from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter

from bot.transport.inbox import InboxWorker
from bot.transport.outgoing import retry_after_seconds
from storage.database import is_unavailable

log = logging.getLogger(__name__)


class InboxPoller:
    def __init__(
        self,
        bot: Bot,
        worker: InboxWorker,
        allowed_updates: list[str],
        *,
        timeout: int = 10,
        limit: int = 100,
    ) -> None:
        self._bot = bot
        self._worker = worker
        self._allowed = allowed_updates
        self._timeout = timeout
        self._limit = limit
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll_forever(), name="long-polling")
        self._task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _poll_forever(self) -> None:
        offset: int | None = None
        pause = 0.5
        while True:
            try:
                updates = await self._bot.get_updates(
                    offset=offset,
                    timeout=self._timeout,
                    limit=self._limit,
                    allowed_updates=self._allowed,
                )
                if updates:
                    await self._worker.receive_many(json.loads(u.to_json()) for u in updates)
                    offset = updates[-1].update_id + 1
                pause = 0.5
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                log.error("the bot token was rejected; polling stopped")
                raise
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
            except (NetworkError, Conflict) as exc:
                log.warning("getUpdates failed, retrying: %s", exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                # Not stored, so not confirmed: the same batch comes back next time.
                log.warning("database unavailable, polling paused: %s", type(exc).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("long polling stopped", exc_info=task.exception())
