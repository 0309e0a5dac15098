"""How updates reach the bot: Telegram's per-bot queue, read by long polling or pushed to
a webhook — never both at once.

Kept apart from the HTTP layer because the rules are subtle and easy to get wrong in a
fake: an update stays queued until a later getUpdates confirms it with a higher
``offset``; a second poller terminates the first with 409; getUpdates is refused with 409
while a webhook is set; webhook pushes carry the secret token and are retried on failure,
and what is still queued when the webhook is deleted becomes available to getUpdates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from bot.emulator.state import ApiError, Json

log = logging.getLogger(__name__)

# Sent only when asked for explicitly in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ChangeSignal:
    """Wakes every waiter whenever the emulator's state changes (no lost wake-ups)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, limit: float | None = None) -> None:
        """Return on the next change, or after ``limit`` seconds."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), limit)


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None


def conflict_with_webhook() -> ApiError:
    return ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )


class UpdateQueue:
    """Pending updates plus the delivery mode (long polling, or a webhook and its stats)."""

    def __init__(self, signal: ChangeSignal, *, retries: int = 3, retry_delay: float = 0.05):
        self.signal = signal
        self.retries = retries
        self.retry_delay = retry_delay
        self.pending: list[Json] = []
        self.webhook: WebhookConfig | None = None
        self.deliveries = 0
        self.failures = 0
        self.last_error: tuple[int, str] | None = None
        # Unix time Telegram last failed to sync updates between its datacenters (not
        # something a bot causes; tests set it to see getWebhookInfo report it).
        self.last_synchronization_error_date: int | None = None
        self.undelivered: list[Json] = []
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._closing = False
        self._session: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._closing = False
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._worker = asyncio.create_task(self._push_forever(), name="emulator-webhook")

    async def stop(self) -> None:
        """Stop pushing; long polls in progress return what they have."""
        self._closing = True
        self.signal.notify()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def put(self, update: Json) -> None:
        self.pending.append(update)
        self.signal.notify()

    # -- long polling ----------------------------------------------------------------------

    async def get_updates(
        self,
        offset: int | None,
        limit: int,
        poll_seconds: float,
        allowed_updates: Sequence[str] | None,
    ) -> list[Json]:
        """getUpdates: confirm below ``offset``, then wait up to ``poll_seconds`` for updates."""
        if self.webhook is not None:
            raise conflict_with_webhook()
        if allowed_updates is not None:  # remembered for later calls, like Telegram
            self._allowed_updates = list(allowed_updates) or None
        self._poll_generation += 1
        generation = self._poll_generation
        self.signal.notify()  # a poll still waiting is now superseded
        if offset:
            self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + poll_seconds
        while True:
            self._drop_unwanted(self._allowed_updates)
            if self.pending or self._closing:
                return self.pending[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self.signal.wait(remaining)
            if self.webhook is not None:
                raise conflict_with_webhook()
            if self._poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )

    def _confirm(self, offset: int) -> None:
        if offset < 0:  # "the last -offset updates"; everything before them is forgotten
            del self.pending[: max(len(self.pending) + offset, 0)]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def _drop_unwanted(self, allowed: Sequence[str] | None) -> None:
        def wanted(update: Json) -> bool:
            kind = next(key for key in update if key != "update_id")
            return kind in allowed if allowed else kind not in _OPT_IN_UPDATES

        self.pending = [update for update in self.pending if wanted(update)]

    # -- webhook ---------------------------------------------------------------------------

    def set_webhook(self, config: WebhookConfig | None, *, drop_pending: bool) -> None:
        """Set (or with None remove) the webhook; a waiting getUpdates ends with 409."""
        if drop_pending:
            self.pending.clear()
        self.webhook = config
        self.last_error = None
        self.signal.notify()

    def webhook_info(self) -> Json:
        """The ``WebhookInfo`` object."""
        info: Json = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        if self.last_synchronization_error_date is not None:
            info["last_synchronization_error_date"] = self.last_synchronization_error_date
        if self.webhook is not None:
            if self.webhook.ip_address:
                info["ip_address"] = self.webhook.ip_address
            if self.last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.last_error
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates:
                info["allowed_updates"] = list(self.webhook.allowed_updates)
        return info

    async def _push_forever(self) -> None:
        """Push pending updates, oldest first, to the webhook while one is set."""
        while True:
            webhook = self.webhook
            if webhook is None or not self.pending:
                await self.signal.wait()
                continue
            self._drop_unwanted(webhook.allowed_updates)
            if not self.pending:
                continue
            update = self.pending[0]
            delivered = await self._push(webhook, update)
            if self.pending and self.pending[0] is update:
                self.pending.pop(0)
                if not delivered:
                    self.undelivered.append(update)
            self.signal.notify()

    async def _push(self, webhook: WebhookConfig, update: Json) -> bool:
        """POST one update, retrying with backoff; Telegram counts only 2xx as delivered."""
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        if self._session is None:
            raise RuntimeError("UpdateQueue.start() was not called")
        for attempt in range(max(self.retries, 1)):
            try:
                async with self._session.post(
                    webhook.url, data=json.dumps(update), headers=headers
                ) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        self.deliveries += 1
                        return True
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            self.failures += 1
            self.last_error = (int(time.time()), error)
            log.debug("webhook delivery of update %s failed: %s", update["update_id"], error)
            await asyncio.sleep(self.retry_delay * 2**attempt)
        return False
