"""Processing the durable inbox (`storage/inbox.py`) through the PTB Application.

An update reaches a handler only after it is stored; it is marked done only after its
handler returned. In between, the claim's lease is kept alive by a heartbeat, so a slow
handler (a streamed answer) is never taken over by another replica while a dead replica's
claims lapse and are re-processed elsewhere. The next update of the same chat is claimed
in the same round trip that marks the previous one done, which keeps a conversation's order
without any lock held in memory.

When the database itself fails while an update is handled, the update is not answered
with an apology and dropped: it is put back and retried a few times with a growing delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import Application

from bot.cli.logs import log_context
from bot.metrics import Metrics
from bot.transport.outgoing import retry_after_seconds
from bot.transport.updates import parse_update
from storage.database import is_unavailable
from storage.inbox import Depth, InboxItem, Incoming, Receipt

log = logging.getLogger(__name__)


class BadUpdate(ValueError):
    """The body is not a Telegram update we can store."""


@dataclass
class Outcome:
    """What handling one update came to; filled in by the error handler."""

    error: str | None = None
    retry: bool = False
    retry_after: float = 0.0  # Telegram's flood control asked us to wait this long


_outcome: ContextVar[Outcome | None] = ContextVar("inbox_outcome", default=None)


def note_failure(error: BaseException | None, *, retry: bool = False) -> bool:
    """Called by the error handler. True when the update will be retried, so the learner
    should not be told it failed: the database or Telegram was unreachable for a moment
    (or `retry`: the handler knows a second run will succeed)."""
    outcome = _outcome.get()
    if outcome is None:
        return False
    if error is not None and (retry or is_transient(error)):
        outcome.retry = True
        if isinstance(error, RetryAfter):
            outcome.retry_after = retry_after_seconds(error)
        return True
    outcome.error = type(error).__name__ if error is not None else "error"
    return False


def is_transient(error: BaseException) -> bool:
    """Trouble of the moment: the database or Telegram unreachable, or Telegram's flood
    control (a 429 that outlasted the rate limiter's own waits). Handled again later."""
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        return True
    if isinstance(error, RetryAfter):
        return True
    return is_unavailable(error)


def parse_incoming(payload: object) -> Incoming:
    """Pick out what the inbox needs (id, type, ordering key) from the raw JSON."""
    if not isinstance(payload, dict):
        raise BadUpdate("not an object")
    update_id = payload.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise BadUpdate("no update_id")
    kinds = [key for key in payload if key != "update_id"]
    if len(kinds) != 1 or not isinstance(payload[kinds[0]], dict):
        raise BadUpdate("an update carries exactly one object")
    body: dict[str, Any] = payload[kinds[0]]
    if "\\x00" in repr(payload):  # rare, and repr is C-fast where a walk is not
        payload = _without_nul(payload)
    return Incoming(update_id, _chat_key(body), kinds[0][:40], payload)


def _without_nul(value: Any) -> Any:
    """U+0000 replaced by U+FFFD: PostgreSQL's text and jsonb cannot hold it, and one such
    character would fail the whole batch of updates stored with it."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        cleaned = {_without_nul(key): _without_nul(item) for key, item in value.items()}
        same = all(
            a is b and c is d for (a, c), (b, d) in zip(cleaned.items(), value.items(), strict=True)
        )
        return value if same else cleaned
    if isinstance(value, list):
        cleaned = [_without_nul(item) for item in value]
        return value if all(a is b for a, b in zip(cleaned, value, strict=True)) else cleaned
    return value


def _chat_key(body: dict[str, Any]) -> int | None:
    """The conversation an update belongs to: its chat, else its sender."""
    for holder in (body, body.get("message")):
        if isinstance(holder, dict):
            chat = holder.get("chat")
            if isinstance(chat, dict) and _is_id(chat.get("id")):
                return chat["id"]
    sender = body.get("from") or body.get("user")
    if isinstance(sender, dict) and _is_id(sender.get("id")):
        return sender["id"]
    return None


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63


def _user_id(payload: dict[str, Any]) -> int | None:
    for key, body in payload.items():
        if key != "update_id" and isinstance(body, dict):
            sender = body.get("from")
            if isinstance(sender, dict) and _is_id(sender.get("id")):
                return sender["id"]
    return None


Request = TypeVar("Request")
Reply = TypeVar("Reply")


class Batcher(Generic[Request, Reply]):
    """Gathers calls that arrive while the previous batch is being written and sends
    them together: one round trip (and one commit) for many updates under load, and no
    added wait when idle — the first call goes out at once."""

    def __init__(
        self, flush: Callable[[list[Request]], Awaitable[list[Reply]]], limit: int = 200
    ) -> None:
        self._flush = flush
        self._limit = limit
        self._waiting: list[tuple[Request, asyncio.Future[Reply]]] = []
        self._running: asyncio.Task[None] | None = None

    async def __call__(self, request: Request) -> Reply:
        done: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, done))
        if self._running is None:
            self._running = asyncio.get_running_loop().create_task(self._drain())
        return await done

    async def idle(self) -> None:
        """Wait until nothing is being written (a caller that gave up still has its write
        go through: shutdown must not hand back claims before that write lands)."""
        while self._running is not None:
            await asyncio.wait([self._running])

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
                try:
                    replies = await self._flush([request for request, _ in batch])
                except Exception as exc:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for (_, done), reply in zip(batch, replies, strict=True):
                    if not done.done():
                        done.set_result(reply)
        finally:
            self._running = None


# After a wake-up, the poll loop claims every BRISK_POLL seconds for BRISK_WINDOW seconds.
BRISK_POLL = 0.02
BRISK_WINDOW = 0.5


class Inbox(Protocol):
    """The durable inbox as the worker, the webhook's /metrics and the pruning job use it
    (storage/inbox.py; wired in bot/app.py)."""

    async def receive_batch(
        self, updates: Sequence[Incoming], worker: str, lease_seconds: float, *, claim: bool = True
    ) -> list[Receipt]: ...

    async def receive_many(self, updates: Sequence[Incoming]) -> int: ...

    async def claim(self, worker: str, limit: int, lease_seconds: float) -> list[InboxItem]: ...

    async def finish_many(
        self, worker: str, lease_seconds: float, outcomes: Sequence[tuple[int, str | None]]
    ) -> dict[int, InboxItem]: ...

    async def extend(self, worker: str, update_ids: Sequence[int], lease_seconds: float) -> int: ...

    async def release(
        self, worker: str, update_ids: Sequence[int], delay_seconds: float
    ) -> int: ...

    async def release_all(self, worker: str) -> int: ...

    async def depth(self) -> Depth: ...

    async def prune(self, retention_hours: int) -> int: ...


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class InboxWorker:
    def __init__(
        self,
        application: Application,
        inbox: Inbox,
        metrics: Metrics,
        *,
        worker_id: str | None = None,
        lease_seconds: float = 60.0,
        max_in_flight: int = 256,
        poll_seconds: float = 1.0,
        max_attempts: int = 5,
        retry_delay_seconds: float = 1.0,
    ) -> None:
        self.id = worker_id or default_worker_id()
        self._application = application
        self._inbox = inbox
        self._metrics = metrics
        self._lease = lease_seconds
        self._max_in_flight = max_in_flight
        self._poll = poll_seconds
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay_seconds
        self._held: set[int] = set()  # claimed by us, not yet settled
        # Chats whose updates run here, and updates stored behind them meanwhile: the
        # running chain's finish hands those on, so the poll loop need not look for them.
        self._chains: dict[int, set[int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._wake = asyncio.Event()
        self._claiming = False  # woken and not yet back from the claim it woke for
        self._stopping = False
        self._loops: list[asyncio.Task[None]] = []
        self._store = Batcher(self._store_batch)
        self._finish = Batcher(self._finish_batch)

    # -- receiving -------------------------------------------------------------------------

    async def receive(self, payload: object) -> Receipt:
        """Store an update (webhook); if its chat is idle it is claimed and run right here.

        Raises BadUpdate for a body that is no update, and the database's own error when
        it cannot be stored, so the caller can answer 400 or 503.
        """
        incoming = parse_incoming(payload)
        receipt = await self._store(incoming)
        if receipt.duplicate:
            self._metrics.update_duplicate(incoming.kind)
        else:
            self._metrics.update_received(incoming.kind)
        if receipt.claimed is not None:
            self._start(receipt.claimed)
        elif not receipt.duplicate:
            chat = incoming.chat_key
            queued_behind = self._chains.get(chat) if chat is not None else None
            if queued_behind is not None:
                queued_behind.add(incoming.update_id)  # our finish hands it on
            else:
                self._wake.set()  # queued behind its chat elsewhere: look again soon
        return receipt

    async def receive_many(self, payloads: Iterable[dict[str, Any]]) -> int:
        """Store a batch from long polling; the poll loop is woken to claim it."""
        batch = [parse_incoming(p) for p in payloads]
        stored = await self._inbox.receive_many(batch)
        for incoming in batch:
            self._metrics.update_received(incoming.kind)
        self._wake.set()
        return stored

    async def deliver(self, payload: dict[str, Any], *, within: float = 30.0) -> None:
        """Store an update and wait until it has been handled (tests, the demo's replay)."""
        update_id = parse_incoming(payload).update_id
        done = self._waiters.setdefault(update_id, asyncio.get_running_loop().create_future())
        try:
            receipt = await self.receive(payload)
            if receipt.duplicate:
                return
            async with asyncio.timeout(within):
                while not done.done():
                    await asyncio.wait([done], timeout=0.25)
                    if not done.done() and update_id not in self._held:
                        await self.claim_once()  # queued behind its chat, or released
        finally:
            self._waiters.pop(update_id, None)

    # -- the loops -------------------------------------------------------------------------

    def start(self) -> None:
        """Begin polling the inbox for work other replicas left, and the heartbeat."""
        self._stopping = False
        self._loops = [
            asyncio.create_task(self._poll_forever(), name="inbox-poll"),
            asyncio.create_task(self._heartbeat_forever(), name="inbox-heartbeat"),
        ]

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming; let running updates finish within the grace period, then hand
        back whatever is still held so another replica (or the next start) takes it."""
        self._stopping = True
        self._wake.set()
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops = []
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        await self._store.idle()
        await self._finish.idle()
        try:
            released = await self._inbox.release_all(self.id)
            if released:
                log.info("handed back %d unfinished updates", released)
        except Exception as exc:  # the leases lapse by themselves if even this fails
            log.warning("could not hand back unfinished updates: %s", type(exc).__name__)
        self._held.clear()

    @property
    def busy(self) -> bool:
        """Work is held, or stored and about to be claimed (the wake-up is cleared before
        the claim's round trip: without `_claiming` a loaded database made that trip look
        idle, and the demo's script read "no reply" for a reply still on its way)."""
        return bool(self._held) or self._wake.is_set() or self._claiming

    async def claim_once(self) -> int:
        room = self._max_in_flight - len(self._held)
        if room <= 0 or self._stopping:
            return 0
        items = await self._inbox.claim(self.id, room, self._lease)
        for item in items:
            self._start(item)
        return len(items)

    async def _poll_forever(self) -> None:
        """Claim what no finish handed on: updates that arrived while their chat was busy
        (possibly in another replica, whose finish may just have missed them), released
        ones, a dead replica's. Right after a wake-up or a successful claim it looks again
        soon; when nothing turns up it slows down to `poll_seconds`."""
        loop = asyncio.get_running_loop()
        brisk_until = 0.0
        while True:
            try:
                interval = BRISK_POLL if loop.time() < brisk_until else self._poll
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(interval):
                        await self._wake.wait()
                if self._wake.is_set():
                    self._claiming = True
                    self._wake.clear()
                    brisk_until = loop.time() + BRISK_WINDOW
                    await asyncio.sleep(BRISK_POLL)  # at most one claim per BRISK_POLL
                try:
                    claimed = await self.claim_once()
                finally:
                    self._claiming = False
                if claimed:
                    brisk_until = loop.time() + BRISK_WINDOW
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_unavailable(exc):
                    log.warning("claiming updates failed: %s", type(exc).__name__)
                else:
                    log.exception("claiming updates failed")
                await asyncio.sleep(self._poll)

    async def _heartbeat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                if self._held:
                    await self._inbox.extend(self.id, list(self._held), self._lease)
                depth = await self._inbox.depth()
                self._metrics.inbox(depth.pending, depth.oldest_age_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("inbox heartbeat failed: %s", type(exc).__name__)

    # -- one conversation at a time --------------------------------------------------------

    def _start(self, item: InboxItem) -> None:
        self._held.add(item.update_id)
        queued = set[int]()  # registered now: updates stored in the same batch queue here
        if item.chat_key is not None:
            self._chains[item.chat_key] = queued
        task = asyncio.create_task(self._run(item, queued), name=f"update-{item.update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, item: InboxItem, queued: set[int]) -> None:
        """One chat's updates, one after another, as each finish hands on the next;
        `queued`: updates stored behind them meanwhile, which those finishes hand on."""
        chat = item.chat_key
        try:
            following: InboxItem | None = item
            while following is not None:
                queued.discard(following.update_id)
                self._held.add(following.update_id)
                outcome = await self._process(following)
                following = await self._settle(following, outcome)
        finally:
            if chat is not None and self._chains.get(chat) is queued:
                del self._chains[chat]
            if queued:  # stored as the last finish ran, or the chain stopped: poll for it
                self._wake.set()

    async def _process(self, item: InboxItem) -> Outcome:
        outcome = Outcome()
        if item.attempts > self._max_attempts:
            log.error("update %s gave up after %d attempts", item.update_id, item.attempts - 1)
            outcome.error = "gave up"
            return outcome
        started = time.perf_counter()
        token = _outcome.set(outcome)
        with log_context(item.update_id, _user_id(item.payload)):
            try:
                update = parse_update(item.payload, self._application.bot)
                await self._application.process_update(update)
            except asyncio.CancelledError:
                outcome.retry = True  # shutting down: hand it back untouched
                raise
            except Exception as exc:
                log.exception("update %s could not be processed", item.update_id)
                note_failure(exc)
            finally:
                _outcome.reset(token)
                seconds = time.perf_counter() - started
                self._metrics.update_done(item.kind, seconds, failed=outcome.error is not None)
                if log.isEnabledFor(logging.DEBUG):
                    ms = round(seconds * 1000, 1)
                    extra = {"type": item.kind, "ms": ms, "retry": outcome.retry}
                    log.debug("update handled", extra=extra)
        return outcome

    async def _settle(self, item: InboxItem, outcome: Outcome) -> InboxItem | None:
        """Record the outcome; returns the chat's next update when this one is done."""
        delay = 0.05
        while True:
            try:
                if outcome.retry:
                    wait = max(self._retry_delay * item.attempts, outcome.retry_after)
                    await self._inbox.release(self.id, [item.update_id], wait)
                    self._metrics.update_retried(item.kind)
                    self._held.discard(item.update_id)
                    self._wake_after(wait)
                    return None
                following = await self._finish((item.update_id, outcome.error))
                self._held.discard(item.update_id)
                waiter = self._waiters.get(item.update_id)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
                return following
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_unavailable(exc) or self._stopping:
                    log.error("could not settle update %s: %s", item.update_id, exc)
                    self._held.discard(item.update_id)
                    return None
                await asyncio.sleep(delay)  # the database is away; try again soon
                delay = min(delay * 2, 2.0)

    async def _store_batch(self, batch: list[Incoming]) -> list[Receipt]:
        room = self._max_in_flight - len(self._held)
        return await self._inbox.receive_batch(batch, self.id, self._lease, claim=room > 0)

    async def _finish_batch(self, batch: list[tuple[int, str | None]]) -> list[InboxItem | None]:
        following = await self._inbox.finish_many(self.id, self._lease, batch)
        return [following.get(update_id) for update_id, _ in batch]

    def _wake_after(self, seconds: float) -> None:
        asyncio.get_running_loop().call_later(seconds + 0.01, self._wake.set)
