"""Our own overhead per tutor question, before the model sees the prompt, under concurrent learners.

Everything a typed question costs us before the language model receives its prompt: finding
the chat's course and module (the ask context), reserving a typed-prompt slot, embedding the
question, the hybrid search, the last turns of the thread and assembling the prompt. Target
(issue): p95 <= 50 ms with 50 concurrent learners.

Setup: a scratch PostgreSQL (embedded under a temp dir, or a scratch database next to
``DATABASE_URL``, dropped afterwards), migrated, with the demo course (courses/ml-foundations)
imported with the local hash embedder. N learners (``--learners``, default 50), each enrolled
(module 1 unlocked), their chat on topic 1.1, and a typed-prompt quota of 10,000. Questions
are module 1's in tests/data/retrieval_questions.yaml; learner i asks them in its own
rotation, each with a tag such as ``(#l7q12)`` appended so every question is unique (the
tag is one word that matches no chunk; Mode B needs it to pair requests with questions).

Mode A, the default (service level, the headline figure): ``TutorService(PgTutorStore,
PgChunkStore, LocalHashEmbedder, model)`` on a pool sized as in production
(``create_pool``'s max_size 10; ``--pool-size`` adds runs with other sizes), where ``model``
is a stand-in that notes the moment ``complete()`` is called -- the moment a real model would
receive the prompt -- and answers at once (or after ``--model-ms``). Per question:
``t0`` before ``tutor.context(user, chat)`` + ``tutor.ask(...)``; overhead = model called - t0.
The store, search and embedder are wrapped in thin timing proxies, and the stores' pool in
one that times ``acquire()`` (it does what asyncpg's ``Pool.fetch*`` do: acquire, then the
same call on the connection), so the overhead is broken down by step, with the time spent
waiting for a free pool connection shown separately. ``record_exchange`` (after the answer)
is timed apart.

Mode B (``--through-bot``): the real Application (``bot.app.open_services`` +
``build_application``) against the Bot API emulator (in process, with the Bot API spec
check) and the fake OpenAI-compatible server from tests/support, the real ``openai`` SDK
streaming from it. Each learner's text update goes through ``application.process_update``;
overhead = from just before ``process_update`` to the fake server receiving the chat
request (its ``responder`` is called with the request body; the question's tag pairs the two).
This adds the processed-update claim, the user upsert, the placeholder ``sendMessage`` and
the SDK's HTTP request to Mode A's steps. The same timing proxies are put into the
Application's ``TutorService`` (its private attributes) for the breakdown.
``TELEGRAM_RATE_LIMIT`` is 0 here (no flood limiter): with the production default of 30
messages/s, 50 placeholders at once would queue behind the limiter and measure it instead.

In both modes every learner first asks ``--warmup`` untimed questions (opening connections,
preparing statements), then all ask ``--questions`` questions back to back, concurrently.
With the model answering at once that is a closed loop: 50 questions are always in flight,
so the figures are for a sustained worst case. ``--model-ms`` paces the learners like a real
model would: each answer then takes that long (Mode A: +-50%, uniformly; Mode B: the fake
server spreads its stream over it), and each learner's first timed question waits a random
part of it, so that the learners do not all ask in the same millisecond.

Run:  .venv/bin/python benchmarks/ask.py
      .venv/bin/python benchmarks/ask.py --through-bot
      .venv/bin/python benchmarks/ask.py --pool-size 20 --model-ms 1000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg
import yaml

from bot.ai.local_embeddings import LocalHashEmbedder
from bot.ai.word_frequency import everyday
from bot.settings import bot_id_of
from domain.tutor import Completion, OnText, TutorService
from storage import embedded
from storage.chunks import PgChunkStore
from storage.database import create_pool
from storage.learning import PgLearningStore
from storage.migrations import migrate
from storage.tutor import PgTutorStore
from tests.support.courses import DEMO_PACK, REPO, import_pack

TOKEN = "123456:BENCH-token_abcdefghijk"
FIRST_USER_ID = 2_000_000
QUESTIONS_FILE = REPO / "tests" / "data" / "retrieval_questions.yaml"
TARGET_P95_MS = 50.0
PRODUCTION_POOL = 10  # storage.database.create_pool's default max_size
REPLY = "A model is trained on labelled examples [1]; which features would you pick?"
_TAG = re.compile(r"\(#l(\d+)q(\d+)\)")


# -- database ----------------------------------------------------------------------------------


def scratch_database() -> AbstractAsyncContextManager[str]:
    """Next to DATABASE_URL when set (created, then dropped), else a private embedded server."""
    return embedded.scratch_database(
        f"tutorbot_bench_ask_{os.getpid()}", os.environ.get("DATABASE_URL")
    )


@dataclass
class Setup:
    course_slug: str
    chunks: int
    topics: int
    learners: list[int]
    seconds: float
    postgres: str
    pgvector: str


async def seed(url: str, learners: int) -> Setup:
    """The demo course, `learners` enrolled learners whose chats are on topic 1.1."""
    started = time.perf_counter()
    pool = await create_pool(url, max_size=4)
    try:
        await import_pack(pool, DEMO_PACK)
        course = await pool.fetchrow("SELECT id, slug, chunk_count FROM courses")  # the only one
        await pool.execute("UPDATE courses SET typed_prompt_quota = 10000")
        topic_id = await pool.fetchval(
            "SELECT id FROM topics WHERE course_id = $1 AND module_no = 1 AND topic_number = 1",
            course["id"],
        )
        ids = [FIRST_USER_ID + i for i in range(learners)]
        await pool.executemany(
            "INSERT INTO users (id, first_name) VALUES ($1, $2)",
            [(uid, f"Learner{uid - FIRST_USER_ID}") for uid in ids],
        )
        store = PgLearningStore(pool)
        for uid in ids:
            await store.ensure_enrollment(uid, course["id"])
            await store.record_visit(uid, topic_id, chat_id=uid, page=0)
        await pool.execute("ANALYZE")
        topics = await pool.fetchval(
            "SELECT count(*) FROM topics WHERE course_id = $1", course["id"]
        )
        postgres = await pool.fetchval("SHOW server_version")
        pgvector = await pool.fetchval(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        )
    finally:
        await pool.close()
    return Setup(
        course["slug"],
        course["chunk_count"],
        topics,
        ids,
        time.perf_counter() - started,
        postgres,
        pgvector,
    )


def load_questions() -> list[str]:
    """Module 1's questions, the learners' open module: a question a locked module teaches
    is answered with where it is taught and never reaches the model, so it would time a
    shorter path."""
    items = yaml.safe_load(QUESTIONS_FILE.read_text())
    return [item["question"] for item in items if item["module"] == 1]


def question_for(questions: Sequence[str], learner: int, n: int) -> str:
    """Learner i's n-th question: its own rotation through the list, tagged to be unique."""
    return f"{questions[(learner * 7 + n) % len(questions)]} (#l{learner}q{n})"


# -- timing ------------------------------------------------------------------------------------


@dataclass
class Sample:
    """One question's timestamps (time.perf_counter) and its steps' durations."""

    learner: int
    n: int
    t0: float = 0.0
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    pool_wait_pre: float = 0.0  # seconds waiting for a pool connection before the model
    pool_wait_post: float = 0.0
    model_at: float | None = None  # LanguageModel.complete() called
    server_at: float | None = None  # Mode B: the fake OpenAI server got the request
    done_at: float | None = None  # ask() returned (A) / process_update() returned (B)
    prompt_chars: int = 0

    def ms(self, name: str) -> float | None:
        span = self.spans.get(name)
        return None if span is None else (span[1] - span[0]) * 1000

    def between(self, start: float | None, end: float | None) -> float | None:
        return None if start is None or end is None else (end - start) * 1000


CURRENT: ContextVar[Sample | None] = ContextVar("current_sample", default=None)


@contextmanager
def span(name: str) -> Iterator[None]:
    sample = CURRENT.get()
    started = time.perf_counter()
    try:
        yield
    finally:
        if sample is not None:
            sample.spans[name] = (started, time.perf_counter())


class TimedStore:
    """PgTutorStore with its pre-model calls (and record_exchange) timed."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def ask_context(self, user_id: int, chat_id: int) -> Any:
        with span("context"):
            return await self._inner.ask_context(user_id, chat_id)

    async def reserve_prompt(self, *args: Any, **kwargs: Any) -> Any:
        with span("reserve"):
            return await self._inner.reserve_prompt(*args, **kwargs)

    async def recent_turns(self, *args: Any, **kwargs: Any) -> Any:
        with span("history"):
            return await self._inner.recent_turns(*args, **kwargs)

    async def record_exchange(self, *args: Any, **kwargs: Any) -> None:
        with span("record"):
            await self._inner.record_exchange(*args, **kwargs)


class TimedSearch:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        with span("search"):
            return await self._inner.search(*args, **kwargs)


class TimedEmbedder:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @property
    def model(self) -> str:
        return self._inner.model

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with span("embed"):
            return await self._inner.embed(texts)


class TimedModel:
    """Notes when the prompt is handed to the model, then lets `inner` answer."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @property
    def model(self) -> str:
        return self._inner.model

    async def complete(self, messages: list[dict[str, str]], on_text: OnText) -> Completion:
        sample = CURRENT.get()
        if sample is not None:
            sample.model_at = time.perf_counter()
            sample.prompt_chars = sum(len(m["content"]) for m in messages)
        return await self._inner.complete(messages, on_text)


class InstantModel:
    """Mode A's language model: answers at once, or after `mean` seconds +-50% (uniform)."""

    def __init__(self, mean: float, rng: random.Random) -> None:
        self._mean = mean
        self._rng = rng

    @property
    def model(self) -> str:
        return "instant"

    async def complete(self, messages: list[dict[str, str]], on_text: OnText) -> Completion:
        if self._mean:
            await asyncio.sleep(self._mean * self._rng.uniform(0.5, 1.5))
        await on_text(REPLY)
        return Completion(REPLY, len(REPLY) // 4, self.model)


class TimedPool:
    """The pool the stores see: times each acquire(), otherwise asyncpg's Pool.fetch* as-is."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        started = time.perf_counter()
        async with self._pool.acquire() as conn:
            sample = CURRENT.get()
            if sample is not None:
                waited = time.perf_counter() - started
                if sample.model_at is None:
                    sample.pool_wait_pre += waited
                else:
                    sample.pool_wait_post += waited
            yield conn

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> list[asyncpg.Record]:
        async with self.acquire() as conn:
            return await conn.fetch(query, *args, **kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> asyncpg.Record | None:
        async with self.acquire() as conn:
            return await conn.fetchrow(query, *args, **kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        async with self.acquire() as conn:
            return await conn.fetchval(query, *args, **kwargs)

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> str:
        async with self.acquire() as conn:
            return await conn.execute(query, *args, **kwargs)

    async def executemany(self, query: str, args: Any, **kwargs: Any) -> None:
        async with self.acquire() as conn:
            await conn.executemany(query, args, **kwargs)


def instrument(tutor: TutorService) -> None:
    """Wrap a TutorService's collaborators (private attributes) in the timing proxies."""
    tutor._store = TimedStore(tutor._store)  # type: ignore[assignment]
    tutor._search = TimedSearch(tutor._search)  # type: ignore[assignment]
    tutor._embedder = TimedEmbedder(tutor._embedder)  # type: ignore[assignment]
    tutor._model = TimedModel(tutor._model)  # type: ignore[assignment]


async def stagger(rng: random.Random, first: int, args: argparse.Namespace) -> None:
    """With a paced model, learners start their timed questions spread over one answer's time,
    as real ones would, instead of all in the same millisecond after the warm-up."""
    if args.model_ms and first == args.warmup:
        await asyncio.sleep(rng.uniform(0, args.model_ms / 1000))


# -- Mode A: the service -----------------------------------------------------------------------


@dataclass
class Cpu:
    """CPU seconds used during the timed run: this process, and our PostgreSQL backends."""

    python: float = 0.0
    postgres: float | None = None  # None: not measurable (not a local server)


def process_cpu(pids: list[int]) -> dict[int, float] | None:
    """User + system CPU seconds of each process, from /proc; None if one can't be read."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None  # the server is not on this machine (or not ours to read)
        fields = stat.rsplit(")", 1)[1].split()
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return found


class CpuMeter:
    """process_time() for us; /proc/<pid>/stat of the database's backends for PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._python = 0.0
        self._backends: dict[int, float] = {}

    async def _backend_cpu(self) -> dict[int, float] | None:
        rows = await self._pool.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        )
        return process_cpu([row["pid"] for row in rows])

    async def start(self) -> None:
        self._backends = await self._backend_cpu() or {}
        self._python = time.process_time()

    async def stop(self) -> Cpu:
        python = time.process_time() - self._python
        now = await self._backend_cpu()
        if now is None:
            return Cpu(python)
        return Cpu(python, sum(v - self._backends.get(pid, 0.0) for pid, v in now.items()))


@dataclass
class Run:
    title: str
    samples: list[Sample]
    seconds: float
    failures: list[str]
    cpu: Cpu


async def run_service(
    url: str, setup: Setup, questions: list[str], pool_size: int, args: argparse.Namespace
) -> Run:
    pool = await create_pool(url, max_size=pool_size)
    rng = random.Random(7)
    try:
        timed_pool = TimedPool(pool)
        tutor = TutorService(
            PgTutorStore(timed_pool, bot_id=bot_id_of(TOKEN)),  # type: ignore[arg-type]
            PgChunkStore(timed_pool),  # type: ignore[arg-type]
            LocalHashEmbedder(),
            InstantModel(args.model_ms / 1000, rng),
            everyday("en"),  # the relevance gate, as the bot has it
        )
        instrument(tutor)
        failures: list[str] = []

        async def on_text(_text: str) -> None:
            return None

        async def learner(index: int, first: int, count: int) -> list[Sample]:
            user_id = setup.learners[index]
            done: list[Sample] = []
            await stagger(rng, first, args)
            for n in range(first, first + count):
                sample = Sample(index, n)
                CURRENT.set(sample)
                text = question_for(questions, index, n)
                sample.t0 = time.perf_counter()
                try:
                    context = await tutor.context(user_id, user_id)
                    await tutor.ask(context, text, on_text)
                except Exception as exc:  # reported, not fatal: the figures say how many
                    failures.append(f"learner {index} q{n}: {type(exc).__name__}: {exc}")
                    continue
                sample.done_at = time.perf_counter()
                done.append(sample)
            CURRENT.set(None)
            return done

        learners = range(len(setup.learners))
        if args.warmup:
            await asyncio.gather(*(learner(i, 0, args.warmup) for i in learners))
        meter = CpuMeter(pool)
        await meter.start()
        started = time.perf_counter()
        async with asyncio.timeout(args.timeout):
            results = await asyncio.gather(
                *(learner(i, args.warmup, args.questions) for i in learners)
            )
        seconds = time.perf_counter() - started
        cpu = await meter.stop()
    finally:
        await pool.close()
    samples = [s for per in results for s in per]
    title = f"Mode A, service level: pool max_size {pool_size}"
    if pool_size == PRODUCTION_POOL:
        title += " (production default)"
    return Run(title, samples, seconds, failures, cpu)


# -- Mode B: through the bot -------------------------------------------------------------------


async def run_bot(url: str, setup: Setup, questions: list[str], args: argparse.Namespace) -> Run:
    from pydantic import SecretStr
    from telegram import Update

    from bot.app import build_application, open_services
    from bot.emulator import BotApiEmulator
    from bot.settings import load_settings
    from tests.support import bot_api_spec
    from tests.support.fake_openai import FakeOpenAI, _text

    spec = bot_api_spec() if args.spec else None
    rng = random.Random(7)
    pending: dict[tuple[int, int], Sample] = {}

    def responder(body: dict[str, Any]) -> str:
        arrived = time.perf_counter()
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        found = _TAG.search(_text(users[-1].get("content"))) if users else None
        sample = pending.pop((int(found[1]), int(found[2])), None) if found else None
        if sample is not None:
            sample.server_at = arrived
        return REPLY

    fake = FakeOpenAI(responder=responder)
    # The fake's reply is REPLY in 12-character deltas: spread --model-ms over them.
    deltas = -(-len(REPLY) // fake.chunk_chars)
    fake.chunk_delay = args.model_ms / 1000 / deltas
    await fake.start()
    failures: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="tutorbot-bench-") as tmp:
            settings = load_settings(
                _env_file=None,
                telegram_bot_token=TOKEN,
                data_dir=Path(tmp),
                embedding_backend="local",
                openai_api_key=SecretStr(fake.api_key),
                openai_base_url=fake.base_url,
                # No flood limiter: see the module docstring.
                telegram_rate_limit=0,
            )
            async with (
                BotApiEmulator(TOKEN, spec=spec, deliver=False) as emu,
                open_services(settings, url) as services,
            ):
                for i, uid in enumerate(setup.learners):
                    emu.user(uid, f"Learner{i}")
                application = build_application(
                    services, TOKEN, polling=False, api_url=emu.base_url
                )
                instrument(services.tutor)
                async with application:

                    async def learner(index: int, first: int, count: int) -> list[Sample]:
                        user_id = setup.learners[index]
                        done: list[Sample] = []
                        await stagger(rng, first, args)
                        for n in range(first, first + count):
                            sample = Sample(index, n)
                            CURRENT.set(sample)
                            pending[(index, n)] = sample
                            raw = emu.send_text(user_id, question_for(questions, index, n))
                            sample.t0 = time.perf_counter()
                            await application.process_update(Update.de_json(raw, application.bot))
                            sample.done_at = time.perf_counter()
                            if sample.server_at is None:
                                pending.pop((index, n), None)
                                failures.append(f"learner {index} q{n}: no model request")
                                continue
                            done.append(sample)
                        CURRENT.set(None)
                        return done

                    learners = range(len(setup.learners))
                    if args.warmup:
                        await asyncio.gather(*(learner(i, 0, args.warmup) for i in learners))
                    meter_pool = await create_pool(url, max_size=1)  # the services keep theirs
                    meter = CpuMeter(meter_pool)
                    await meter.start()
                    started = time.perf_counter()
                    async with asyncio.timeout(args.timeout):
                        results = await asyncio.gather(
                            *(learner(i, args.warmup, args.questions) for i in learners)
                        )
                    seconds = time.perf_counter() - started
                    cpu = await meter.stop()
                    await meter_pool.close()
                errors = services.metrics.value("tutorbot_handler_errors_total")
                if errors:
                    failures.append(f"{errors} handler errors (tutorbot_handler_errors_total)")
                rejected = [c for c in emu.calls if not c.ok]
                if rejected:
                    failures.append(f"{len(rejected)} Bot API calls refused by the emulator")
    finally:
        await fake.stop()
    samples = [s for per in results for s in per]
    title = (
        "Mode B, through the bot: Application + Bot API emulator "
        f"({'with' if spec else 'without'} spec check) + openai SDK -> fake server; "
        "pool max_size 10; TELEGRAM_RATE_LIMIT 0"
    )
    return Run(title, samples, seconds, failures, cpu)


# -- report ------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def rows_for(run: Run, bot: bool) -> list[tuple[str, list[float]]]:
    """(label, values in ms) per step, in the order they happen."""
    rows: list[tuple[str, list[float]]] = []

    def add(label: str, values: list[float | None]) -> None:
        rows.append((label, [v for v in values if v is not None]))

    s = run.samples
    if bot:
        add(
            "de_json, update claim, user upsert",
            [x.between(x.t0, x.spans["context"][0]) for x in s],
        )
    add("context lookup (ask_context)", [x.ms("context") for x in s])
    if bot:
        add(
            "placeholder sendMessage",
            [x.between(x.spans["context"][1], x.spans["reserve"][0]) for x in s],
        )
    add("reserve typed prompt", [x.ms("reserve") for x in s])
    add("embed question", [x.ms("embed") for x in s])
    add("hybrid search", [x.ms("search") for x in s])
    add("history (recent_turns)", [x.ms("history") for x in s])
    add("prompt assembly + rest", [prompt_and_rest(x, bot) for x in s])
    if bot:
        add("openai SDK -> fake server", [x.between(x.model_at, x.server_at) for x in s])
    if not bot:
        add("  of all that: pool wait", [x.pool_wait_pre * 1000 for x in s])
    end = "server_at" if bot else "model_at"
    add("= overhead before the model", [x.between(x.t0, getattr(x, end)) for x in s])
    return rows


def prompt_and_rest(x: Sample, bot: bool) -> float | None:
    """Model called - t0, minus the timed steps: clip, passages, build_messages, loop gaps."""
    total = x.between(x.t0, x.model_at)
    if total is None:
        return None
    steps = sum(x.ms(n) or 0.0 for n in ("context", "reserve", "embed", "search", "history"))
    if bot:
        steps += x.between(x.t0, x.spans["context"][0]) or 0.0
        steps += x.between(x.spans["context"][1], x.spans["reserve"][0]) or 0.0
    return total - steps


def report(run: Run, args: argparse.Namespace, bot: bool) -> bool:
    """Print the run; False if any question failed."""
    samples = run.samples
    total = args.learners * args.questions
    print()
    print(run.title)
    print(
        f"learners {args.learners}, questions {args.questions} each (+{args.warmup} warm-up), "
        f"{total:,} timed questions, {len(samples):,} answered; model "
        + (
            "answers at once"
            if not args.model_ms
            else f"streams its answer over {args.model_ms:g} ms; learners' starts staggered"
            if bot
            else f"answers after {args.model_ms:g} ms +-50%; learners' starts staggered"
        )
    )
    print(f"wall {run.seconds:.2f} s, {len(samples) / run.seconds:,.1f} questions/s")
    per = max(len(samples), 1)
    cpu = f"CPU during the run: this process {run.cpu.python:.2f} s "
    cpu += f"({run.cpu.python / per * 1000:.2f} ms/question"
    if bot:
        cpu += ", the emulator and the fake OpenAI server included"
    cpu += ")"
    if run.cpu.postgres is not None:
        cpu += (
            f", PostgreSQL backends {run.cpu.postgres:.2f} s "
            f"({run.cpu.postgres / per * 1000:.2f} ms/question)"
        )
    print(cpu)
    header = f"{'ms per question':<40}  {'p50':>7}  {'p95':>7}  {'p99':>7}  {'max':>7}  {'mean':>7}"
    print(header)
    print("-" * len(header))
    overhead: list[float] = []
    for label, values in rows_for(run, bot):
        if label.startswith("="):
            overhead = values
        print(
            f"{label:<40}  {percentile(values, 50):>7.2f}  {percentile(values, 95):>7.2f}  "
            f"{percentile(values, 99):>7.2f}  {max(values, default=float('nan')):>7.2f}  "
            f"{sum(values) / max(len(values), 1):>7.2f}"
        )
    print("-" * len(header))
    after = [x.ms("record") for x in samples]
    after_ms = [v for v in after if v is not None]
    print(
        f"{'after the answer: record_exchange':<40}  {percentile(after_ms, 50):>7.2f}  "
        f"{percentile(after_ms, 95):>7.2f}  {percentile(after_ms, 99):>7.2f}  "
        f"{max(after_ms, default=float('nan')):>7.2f}  "
        f"{sum(after_ms) / max(len(after_ms), 1):>7.2f}"
    )
    whole = [x.between(x.t0, x.done_at) or 0.0 for x in samples]
    label = "whole update (process_update)" if bot else "whole question (context + ask)"
    print(
        f"{label:<40}  {percentile(whole, 50):>7.2f}  {percentile(whole, 95):>7.2f}  "
        f"{percentile(whole, 99):>7.2f}  {max(whole, default=float('nan')):>7.2f}  "
        f"{sum(whole) / max(len(whole), 1):>7.2f}"
    )
    chars = [x.prompt_chars for x in samples]
    print(f"prompt size: {sum(chars) / max(len(chars), 1):,.0f} characters on average")
    if not bot:
        print("pool wait: waiting for a free pool connection, summed; part of the steps above")
    else:
        print(
            "placeholder sendMessage: from the context lookup to reserve_prompt (mostly the "
            "placeholder's round trip to the emulator)"
        )
    for failure in run.failures[:5]:
        print(f"FAILURE: {failure}")
    if len(run.failures) > 5:
        print(f"... and {len(run.failures) - 5} more failures")
    p95 = percentile(overhead, 95)
    print(
        f"target p95 <= {TARGET_P95_MS:g} ms: {'MET' if p95 <= TARGET_P95_MS else 'MISSED'} "
        f"(p95 {p95:.1f} ms, p50 {percentile(overhead, 50):.1f} ms)"
    )
    return not run.failures and len(samples) == total


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=50, help="concurrent learners")
    parser.add_argument(
        "--questions", type=int, default=20, help="timed questions per learner, back to back"
    )
    parser.add_argument("--warmup", type=int, default=1, help="untimed questions per learner first")
    parser.add_argument(
        "--pool-size",
        type=int,
        action="append",
        default=[],
        help=f"Mode A: also run with this pool max_size (repeatable; {PRODUCTION_POOL} always)",
    )
    parser.add_argument(
        "--model-ms",
        type=float,
        default=0.0,
        help="the model's answer time (Mode A: a sleep of this +-50%%; Mode B: spread over the "
        "stream); the learners' first timed questions are then spread over this time too",
    )
    parser.add_argument(
        "--through-bot",
        action="store_true",
        help="Mode B: the real Application, the Bot API emulator and the fake OpenAI server",
    )
    parser.add_argument(
        "--no-spec",
        dest="spec",
        action="store_false",
        help="Mode B: emulator without the Bot API spec check (less CPU on the shared loop)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per timed run")
    args = parser.parse_args()
    if args.learners < 1 or args.questions < 1 or args.warmup < 0 or args.model_ms < 0:
        parser.error("--learners and --questions must be >= 1, --warmup and --model-ms >= 0")
    if any(size < 1 for size in args.pool_size):
        parser.error("--pool-size must be >= 1")
    return args


async def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    questions = load_questions()
    ok = True
    async with scratch_database() as url:
        await migrate(url)
        setup = await seed(url, args.learners)
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
        libraries = ["asyncpg"] + (["openai", "python-telegram-bot"] if args.through_bot else [])
        print(
            f"{os.cpu_count()} CPUs (load average {load}), Python {platform.python_version()}, "
            f"PostgreSQL {setup.postgres}, pgvector {setup.pgvector}, "
            + ", ".join(f"{name} {version(name)}" for name in libraries)
        )
        print(
            f"course {setup.course_slug}: {setup.topics} topics, {setup.chunks} chunks "
            f"(local hash embedder); {len(setup.learners)} learners seeded; "
            f"{len(questions)} distinct questions; setup {setup.seconds:.1f} s",
            flush=True,
        )
        if args.through_bot:
            ok = report(await run_bot(url, setup, questions, args), args, bot=True)
        else:
            sizes = [PRODUCTION_POOL] + [s for s in args.pool_size if s != PRODUCTION_POOL]
            for size in dict.fromkeys(sizes):
                run = await run_service(url, setup, questions, size, args)
                ok = report(run, args, bot=False) and ok
    print()
    print(f"took {time.perf_counter() - started:.0f} s in all")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
