"""The load generator process: N learners posting updates to a webhook, as Telegram would.

Each learner posts one update (real update JSON, globally increasing `update_id`, the secret
header) and waits for the bot's reply, as the fake Bot API reports it over the event socket,
before its next step. Telegram delivers over at most `max_connections` connections at once
(`--connections`, like WEBHOOK_MAX_CONNECTIONS, default 40); a 503 or a dropped connection is
retried (twice, 0.2 s apart), and counted.

Per step: ack = POST -> 200; e2e = POST -> the first thing the bot did in that chat at the
fake Bot API (a message sent or edited, or, when a press only gets a toast, the callback
answer); done = the end of the step (a press: its callback answer; a command: its reply;
a typed question: the final edit of the placeholder, after the model). Steps are timed only
when posted inside the timed window (after the warm-up).

The probe (after the timed window, one learner at a time, nothing else running): the bot's
`tutorbot_db_queries_total` is read before and after every step, giving the statements each
kind of update costs (the scrapes' own queries subtracted).

The harness talks to this process over a multiprocessing Pipe: it sends "go", receives
("timed_start",), ("timed_end",) and finally ("result", Result).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import random
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

from benchmarks.load.learners import (
    SORRY,
    THINKING,
    EchoLearner,
    Identity,
    Reply,
    TutorLearner,
    UnexpectedScreen,
    action_name,
    learner_name,
    load_questions,
)
from benchmarks.load.probe import Probe

Json = dict[str, Any]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # bot.transport.webhook.SECRET_HEADER
SAMPLES_KEPT = 5
_SENDS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})


@dataclass(frozen=True)
class GeneratorConfig:
    mode: str  # "tutor": TutorLearner against our bot; "echo": EchoLearner (baselines)
    webhook_urls: tuple[str, ...]  # several: our replicas, posted to in turn
    secret: str
    event_socket: str
    learners: int
    warmup: float
    duration: float
    steps: int | None  # timed steps per learner instead of `duration`
    ask_every: int
    connections: int
    reply_timeout: float
    first_user: int
    seed: int = 1
    metrics_url: str | None = None  # set: run the DB probe after the timed window
    think_ms: float = 0.0  # a pause before each step: uniform in 0 .. 2 x think_ms
    returning_share: float = 0.0  # sessions played by a returning learner (when any is left)
    returning_first: int = 0  # the seeded returning learners' user ids: first, count
    returning_count: int = 0
    probe_sessions: int = 2


@dataclass
class Samples:
    ack_ms: list[float] = field(default_factory=list)
    e2e_ms: list[float] = field(default_factory=list)
    done_ms: list[float] = field(default_factory=list)


@dataclass
class Questions:
    answered: int = 0
    answer_ms: list[float] = field(default_factory=list)  # POST -> final answer edit
    before_model_ms: list[float] = field(default_factory=list)  # POST -> chat request
    model_ms: list[float] = field(default_factory=list)  # chat request -> stream end
    after_model_ms: list[float] = field(default_factory=list)  # stream end -> final edit


@dataclass
class Result:
    mode: str
    seconds: float = 0.0  # the timed window
    kinds: dict[str, Samples] = field(default_factory=dict)  # message, callback_query, question
    mix: Counter[str] = field(default_factory=Counter)  # timed steps by label
    questions: Questions = field(default_factory=Questions)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, list[str]] = field(default_factory=dict)
    warmup_errors: int = 0
    alerts: Counter[str] = field(default_factory=Counter)  # callback answers shown as alerts
    sessions: int = 0
    sessions_done: int = 0
    returning: int = 0  # sessions played by a seeded returning learner
    returning_short: int = 0  # wanted a returning learner, none was left
    probe: dict[str, list[float]] | None = None
    probe_note: str = ""
    probe_errors: list[str] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return sum(len(s.ack_ms) for s in self.kinds.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


class Stopped(Exception):
    """The run is over: the learner stops before its next step."""


class StepFailed(Exception):
    """No 200 for the update, or no reply in time (already counted)."""


@dataclass
class Event:
    kind: str  # "m" message sent/edited, "a" callback answered, "d" message deleted
    at: float
    method: str = ""
    message: Json | None = None
    query: str | None = None


class ChatLog:
    """Events of one chat since its learner's current step began."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def push(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    async def follow(self, deadline: float) -> AsyncIterator[Event]:
        """Every event in order, as it arrives; StepFailed at the deadline."""
        seen = 0
        while True:
            while seen < len(self.events):
                seen += 1
                yield self.events[seen - 1]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StepFailed("timeout")
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                raise StepFailed("timeout") from None


class Load:
    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self._chats: dict[int, ChatLog] = {}
        self._queries: dict[str, int] = {}  # callback query id -> chat
        self._model_at: dict[str, float] = {}
        self._model_end: dict[str, float] = {}
        self._update_ids = itertools.count(1)
        self._posted = 0
        self._users = itertools.count(config.first_user)
        self._tags = itertools.count(1)
        self._rng = random.Random(config.seed)
        self._returning = iter(
            range(config.returning_first, config.returning_first + config.returning_count)
        )
        self._session: aiohttp.ClientSession | None = None
        self._events: asyncio.StreamWriter | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._probe: Probe | None = None
        self.window = (math.inf, math.inf)
        self.stopping = False
        self._slot_steps: Counter[int] = Counter()  # timed steps per slot (--steps)
        self._slot_of: dict[int, int] = {}  # user id -> slot
        self.result = Result(config.mode)
        questions = load_questions()
        self._questions = (
            f"{questions[n % len(questions)]} (#q{next(self._tags)})" for n in itertools.count()
        )

    # -- plumbing --------------------------------------------------------------------------

    async def open(self) -> None:
        reader, self._events = await asyncio.open_unix_connection(self.config.event_socket)
        self._dispatcher = asyncio.create_task(self._dispatch(reader))
        connector = aiohttp.TCPConnector(limit=self.config.connections)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
        if self._events is not None:
            self._events.close()

    async def _dispatch(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            raw = json.loads(line)
            kind = raw["k"]
            if kind == "m":
                message = raw["msg"]
                if str(message.get("text", "")).startswith(SORRY):
                    self._error("bot apology (handler error)", message["text"][:60])
                chat = self._chats.get(message["chat"]["id"])
                if chat is not None:
                    chat.push(Event("m", raw["at"], raw["m"], message))
            elif kind == "a":
                chat_id = self._queries.pop(raw["q"], None)
                if raw.get("alert"):
                    self.result.alerts[str(raw.get("t"))[:80]] += 1
                if str(raw.get("t") or "").startswith(SORRY):
                    self._error("bot apology (handler error)", str(raw["t"])[:60])
                if chat_id is not None and chat_id in self._chats:
                    self._chats[chat_id].push(Event("a", raw["at"], query=raw["q"]))
            elif kind == "d":
                chat = self._chats.get(raw["c"])
                if chat is not None:
                    chat.push(Event("d", raw["at"]))
            elif kind == "model" and raw.get("tag"):
                self._model_at[raw["tag"]] = raw["at"]
            elif kind == "model_end" and raw.get("tag"):
                self._model_end[raw["tag"]] = raw["at"]

    def _timed(self, at: float) -> bool:
        return self.window[0] <= at < self.window[1]

    def _error(self, kind: str, sample: str, at: float | None = None) -> None:
        at = time.monotonic() if at is None else at
        if self._probe is not None:
            self.result.probe_errors.append(f"{kind}: {sample}")
            return
        if at < self.window[0]:
            self.result.warmup_errors += 1
            return
        self.result.errors[kind] += 1
        kept = self.result.error_samples.setdefault(kind, [])
        if len(kept) < SAMPLES_KEPT:
            kept.append(sample)

    # -- the learners' client ------------------------------------------------------------------

    def _new_identity(self, slot: int, returning: bool = False) -> Identity:
        user_id = next(self._returning, None) if returning else None
        if returning and user_id is None:
            self.result.returning_short += 1
        user_id = user_id if user_id is not None else next(self._users)
        self._chats[user_id] = ChatLog()
        self._slot_of[user_id] = slot
        return Identity(user_id, learner_name(user_id))

    def _forget(self, identity: Identity) -> None:
        self._chats.pop(identity.user_id, None)
        self._slot_of.pop(identity.user_id, None)

    async def command(self, identity: Identity, text: str) -> Reply:
        update = identity.message(next(self._update_ids), text, int(time.time()))
        label = text.split()[0] if text.startswith("/") else "text"
        return await self._step(identity, update, "message", label, _first_message)

    async def press(self, identity: Identity, message: Json, button: Json) -> Reply:
        data = str(button["callback_data"])
        update, query_id = identity.callback(next(self._update_ids), message, data)
        self._queries[query_id] = identity.user_id

        def answered(event: Event) -> bool:
            return event.kind == "a" and event.query == query_id

        return await self._step(identity, update, "callback_query", action_name(data), answered)

    async def ask(self, identity: Identity, question: str) -> Reply:
        update = identity.message(next(self._update_ids), question, int(time.time()))
        placeholder: list[int] = []

        def answered(event: Event) -> bool:
            if event.kind != "m" or event.message is None:
                return False
            text = str(event.message.get("text", ""))
            if not placeholder:
                if event.method == "sendMessage" and text == THINKING:
                    placeholder.append(event.message["message_id"])
                    return False
                return True  # no placeholder: refused (quota, quiz running, no course)
            return (
                event.method == "editMessageText"
                and event.message["message_id"] == placeholder[0]
                and not text.endswith("▍")
            )

        reply = await self._step(identity, update, "question", "question", answered)
        if not placeholder:
            first = (reply.sent or [{}])[0].get("text", "")
            self._error("question not answered", str(first)[:80])
        return reply

    async def _step(
        self,
        identity: Identity,
        update: Json,
        kind: str,
        label: str,
        until: Callable[[Event], bool],
    ) -> Reply:
        if self.stopping:
            raise Stopped
        slot = self._slot_of[identity.user_id]
        chat = self._chats[identity.user_id]
        if self.config.think_ms and self._probe is None:
            await asyncio.sleep(self._rng.uniform(0, 2 * self.config.think_ms) / 1000)
            if self.stopping:
                raise Stopped
        chat.events.clear()
        body = json.dumps(update, ensure_ascii=False).encode()
        if self._probe is not None:
            await self._probe.before()
        started = time.monotonic()
        timed = self._timed(started)
        if timed and self.config.steps is not None:
            if self._slot_steps[slot] >= self.config.steps:
                raise Stopped
            self._slot_steps[slot] += 1
        await self._post(body, started, f"{kind} {label}")
        acked = time.monotonic()
        first: float | None = None
        done: Event | None = None
        try:
            async for event in chat.follow(started + self.config.reply_timeout):
                if first is None and event.kind in ("m", "a"):
                    first = event.at
                if until(event):
                    done = event
                    break
        except StepFailed:
            what = "no reply" if first is None else "reply incomplete"
            sample = f"{kind} {label}"
            self._error(f"timeout ({what} in {self.config.reply_timeout:g} s)", sample, started)
            raise
        assert done is not None and first is not None
        reply = Reply(
            sent=[e.message for e in chat.events if e.message and e.method in _SENDS],
            edited=[e.message for e in chat.events if e.message and e.method not in _SENDS],
        )
        if timed:
            self._record(kind, label, started, acked, first, done.at, update)
        if self._probe is not None:
            await self._probe.after(label)
        return reply

    def _record(
        self,
        kind: str,
        label: str,
        started: float,
        acked: float,
        first: float,
        done: float,
        update: Json,
    ) -> None:
        samples = self.result.kinds.setdefault(kind, Samples())
        samples.ack_ms.append((acked - started) * 1000)
        samples.e2e_ms.append((first - started) * 1000)
        samples.done_ms.append((done - started) * 1000)
        self.result.mix[label] += 1
        if kind != "question":
            return
        text = str(update["message"]["text"])
        tag = text.rsplit("(#", 1)[-1].rstrip(")")
        questions = self.result.questions
        model_at, model_end = self._model_at.pop(tag, None), self._model_end.pop(tag, None)
        if model_at is None or model_end is None:
            return
        questions.answered += 1
        questions.answer_ms.append((done - started) * 1000)
        questions.before_model_ms.append((model_at - started) * 1000)
        questions.model_ms.append((model_end - model_at) * 1000)
        questions.after_model_ms.append((done - model_end) * 1000)

    async def _post(self, body: bytes, started: float, what: str) -> None:
        assert self._session is not None
        headers = {SECRET_HEADER: self.config.secret, "Content-Type": "application/json"}
        for attempt in range(3):
            try:
                urls = self.config.webhook_urls
                self._posted += 1
                url = urls[self._posted % len(urls)]
                async with self._session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status: int | str = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = type(exc).__name__
            if status == 200:
                return
            self._error("non-200 ack", f"{what}: {status}", started)
            await asyncio.sleep(0.2 * (attempt + 1))
        raise StepFailed("not acknowledged")

    # -- the run ---------------------------------------------------------------------------

    async def slot(self, index: int) -> None:
        rng = random.Random(self.config.seed * 100_003 + index)
        await asyncio.sleep(rng.random() * min(1.0, self.config.warmup))
        while not self.stopping:
            wanted = self.config.mode == "tutor" and rng.random() < self.config.returning_share
            identity = self._new_identity(index, wanted)
            returning = (
                self.config.returning_first
                <= identity.user_id
                < (self.config.returning_first + self.config.returning_count)
            )
            self.result.sessions += 1
            self.result.returning += returning
            try:
                learner = self._learner(identity, rng)
                await learner.session(self._questions, returning=returning)
                self.result.sessions_done += 1
            except Stopped:
                return
            except UnexpectedScreen as exc:
                self._error("unexpected screen", str(exc))
            except StepFailed:
                pass  # counted where it happened; start again as a new learner
            finally:
                self._forget(identity)

    def _learner(
        self, identity: Identity, rng: random.Random, ask_every: int | None = None
    ) -> TutorLearner | EchoLearner:
        if self.config.mode == "echo":
            return EchoLearner(self, identity)
        every = ask_every if ask_every is not None else self.config.ask_every
        return TutorLearner(self, identity, rng, ask_every=every)

    async def probe(self) -> None:
        """One learner at a time, nothing else running: statements per kind of update."""
        assert self._session is not None and self.config.metrics_url is not None
        probe = Probe(self._session, self.config.metrics_url)
        if not await probe.calibrate():
            self.result.probe_note = "tutorbot_db_queries_total is not exported"
            return
        self._probe = probe
        self.stopping = False
        self.window = (math.inf, math.inf)
        rng = random.Random(self.config.seed)
        try:
            for _ in range(self.config.probe_sessions):
                identity = self._new_identity(-1)
                try:
                    await self._learner(identity, rng, ask_every=6).session(self._questions)
                except (UnexpectedScreen, StepFailed) as exc:
                    self.result.probe_note = f"probe session cut short: {exc}"
                finally:
                    self._forget(identity)
        finally:
            self._probe = None
        self.result.probe = probe.spent
        cost = probe.per_scrape
        self.result.probe_note += (
            f" (each count includes the inbox's store and mark-done, one statement each when "
            f"alone, batched under load; each /metrics read costs {cost:g} "
            f"quer{'y' if cost == 1 else 'ies'}, subtracted)"
        )


def _first_message(event: Event) -> bool:
    return event.kind == "m"


# -- process entry -----------------------------------------------------------------------------


def run(config: GeneratorConfig, conn: Connection) -> None:
    """multiprocessing target; see the module docstring for the conversation."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness stops us, not Ctrl-C
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_run(config, conn))


async def _run(config: GeneratorConfig, conn: Connection) -> None:
    load = Load(config)
    await load.open()
    try:
        conn.send(("ready",))
        await asyncio.to_thread(conn.recv)
        slots = [asyncio.create_task(load.slot(i)) for i in range(config.learners)]
        await asyncio.sleep(config.warmup)
        start = time.monotonic()
        load.window = (start, math.inf)
        conn.send(("timed_start",))
        if config.steps is None:
            await asyncio.sleep(config.duration)
        else:
            await asyncio.wait(slots)
        end = time.monotonic()
        load.window = (start, end)
        load.stopping = True
        conn.send(("timed_end",))
        load.result.seconds = end - start
        _, pending = await asyncio.wait(slots, timeout=config.reply_timeout + 5)
        for task in pending:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending)
        if config.metrics_url is not None:
            await load.probe()
        conn.send(("result", load.result))
    finally:
        await load.close()
