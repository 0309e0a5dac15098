"""The whole bot under load, as Telegram drives it: webhook posts from N concurrent learners.

Starts, each in its own process:

* **the bot**: `python -m bot run` in webhook mode on a scratch PostgreSQL
  (`storage.embedded.scratch_database`: next to DATABASE_URL when set, else embedded), migrated,
  with the demo course `courses/ml-foundations` imported (`python -m bot import`, local
  embeddings) and its typed-question quota raised so that learners never run out;
  TELEGRAM_RATE_LIMIT=0 (the fake Bot API imposes no flood limit), EMBEDDING_BACKEND=local,
  OPENAI_BASE_URL at the fake model;
* **a fake Bot API + fake model** (`benchmarks/load/fake_telegram.py`): minimal and fast; every
  message the bot sends or edits is reported to the load generator over a Unix socket; the
  model waits `--model-ms` and then streams a short answer;
* **the load generator** (`benchmarks/load/generator.py`): `--learners` learners, each playing
  `benchmarks/load/learners.py`'s script (/start, enroll, persona, module 1's topics, its quiz,
  typed questions now and then, /progress) with real update JSON posted to the webhook with the
  secret header over at most `--connections` connections, waiting for the bot's reply before
  the next step (back to back by default; `--think-ms` adds a human's pause). A learner who
  finds an expected button missing counts an "unexpected screen" and starts again from
  /start as a new learner. Untimed warm-up, then the timed window (`--duration` s, or
  `--steps` steps per learner); then a probe: one learner at a time with /metrics read
  around every step, for the database statements each kind of update costs.

Printed for our bot: updates/s; ack, e2e and done latency p50/p95/p99 per kind (commands,
button presses, typed questions); typed questions' time before the model, the model's and
after; the mix; DB queries per update (`tutorbot_db_queries_total` over the window) and per
kind (the probe); Bot API calls per update; CPU of the bot (per 1,000 updates, utilisation),
of PostgreSQL, the fake API and the generator; the bot's idle and peak RSS; errors (non-200
acks, timeouts, unexpected screens, apologies) with samples; warnings in the bot's log;
optionally (`--profile FILE`) the bot's hottest functions from py-spy.

Then the baselines (`benchmarks/load/bare_bot.py`) under the same generator with the same
number of learners, each sending text messages and waiting for the one reply: a bare PTB
application with PTB's defaults (HTTPXRequest, `run_webhook`'s tornado server), and the same
with our `AiohttpRequest`. They need the `bench` extra (`pip install -e '.[bench]'`); without
tornado they are skipped with a note. Last: the ratios and the targets.

Exit status 1 when errors exceed 1% of the updates of any run.

Run:  .venv/bin/python benchmarks/webhook_load.py --quick      (~1 min)
      .venv/bin/python benchmarks/webhook_load.py              (~2 min)
      .venv/bin/python benchmarks/webhook_load.py --only ours --profile /tmp/bot.collapsed
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform
import signal
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from benchmarks.load import fake_telegram, report
from benchmarks.load.children import REPO, Children, python, tail
from benchmarks.load.harness import Harness, Run, Settings
from benchmarks.load.procstats import load_average
from benchmarks.load.seed import TOKEN
from benchmarks.reminders import seed_live
from bot.settings import bot_id_of
from storage.embedded import scratch_database
from storage.migrations import migrate

DEMO_COURSE = REPO / "courses" / "ml-foundations"
QUOTA = 1_000_000  # typed questions per learner and module: never the limit here


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--learners", type=int, help="concurrent learners (default 200)")
    parser.add_argument("--duration", type=float, help="timed seconds per run (default 20)")
    parser.add_argument("--warmup", type=float, default=5.0, help="untimed seconds first")
    parser.add_argument("--steps", type=int, help="timed steps per learner instead of --duration")
    parser.add_argument("--model-ms", type=float, default=500.0, help="the fake model's delay")
    parser.add_argument(
        "--ask-every", type=int, default=10, help="a typed question about 1 in N steps"
    )
    parser.add_argument("--only", choices=["ours", "baselines", "all"], default="all")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="our bot as N processes on the one database, posted to in turn (default 1)",
    )
    parser.add_argument(
        "--reminders",
        type=int,
        default=0,
        help="also N study reminders for the bot's sweep (benchmarks/reminders.py seed_live)",
    )
    parser.add_argument(
        "--reminders-window",
        type=float,
        default=86_400.0,
        help="the reminders fall due evenly over this many seconds from the start (a day)",
    )
    parser.add_argument("--quick", action="store_true", help="50 learners, 8 s")
    parser.add_argument(
        "--connections", type=int, default=40, help="webhook connections (Telegram's max)"
    )
    parser.add_argument("--reply-timeout", type=float, default=20.0, help="seconds per step")
    parser.add_argument(
        "--returning",
        type=float,
        default=0.5,
        help="share of sessions by returning learners (enrolled, module 1 read; default 0.5)",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="a learner's pause before each step, 0..2x this (default 0: back to back)",
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy the bot in the timed window (collapsed stacks)"
    )
    parser.add_argument(
        "--bot-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra setting for our bot, e.g. INBOX_MAX_IN_FLIGHT=256 (repeatable)",
    )
    args = parser.parse_args()
    args.learners = args.learners or (50 if args.quick else 200)
    args.duration = args.duration or (8.0 if args.quick else 20.0)
    if args.ask_every < 1:
        parser.error("--ask-every must be at least 1")
    if any("=" not in item for item in args.bot_env):
        parser.error("--bot-env takes NAME=VALUE")
    return args


async def prepare(url: str, workdir: Path, children: Children) -> str:
    """Migrate, import the demo course, raise its quota; a one-line summary."""
    await migrate(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TELEGRAM_"))}
    env.update(DATABASE_URL=url, EMBEDDING_BACKEND="local", PYTHONPATH=str(REPO))
    log = workdir / "import.log"
    process = await children.spawn(
        [python(), "-m", "bot", "import", str(DEMO_COURSE)], env=env, log=log, cwd=workdir
    )
    if await process.wait() != 0:
        raise RuntimeError(f"importing the demo course failed:\n{tail(log)}")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("UPDATE courses SET typed_prompt_quota = $1", QUOTA)
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return f"{tail(log, 300).strip().splitlines()[-1]}; PostgreSQL {version}"


async def start_fake_api(
    children: Children, workdir: Path, model_ms: float
) -> tuple[str, str, int]:
    socket = str(workdir / "events.sock")
    config = fake_telegram.Config(event_socket=socket, model_ms=model_ms)
    process, conn = children.fork(fake_telegram.serve, config)
    api_url = await asyncio.to_thread(conn.recv)
    assert process.pid is not None
    return api_url, socket, process.pid


async def main(args: argparse.Namespace) -> int:
    started = time.monotonic()
    # SIGTERM stops the run like Ctrl-C: cancelled, so every child is stopped on the way out.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    cpus = os.cpu_count() or 1
    print(
        f"webhook load: {args.learners} learners, warm-up {args.warmup:g} s, "
        + (f"{args.steps} timed steps each" if args.steps else f"timed {args.duration:g} s")
        + f", model {args.model_ms:g} ms, a typed question ~1 in {args.ask_every} steps, "
        f"{args.connections} webhook connections, think time {args.think_ms:g} ms; "
        f"{cpus} CPUs, Python {platform.python_version()}, load average {load_average()}",
        flush=True,
    )
    print(
        "fake Bot API: no flood limit (the bot runs with TELEGRAM_RATE_LIMIT=0); "
        f"typed-question quota raised to {QUOTA:,}"
        + "".join(f"; bot {item}" for item in args.bot_env),
        flush=True,
    )
    children = Children()
    runs: list[Run] = []
    try:
        async with scratch_database("bench_load", os.environ.get("DATABASE_URL")) as url:
            with tempfile.TemporaryDirectory(prefix="tutorbot-load-") as tmp:
                workdir = Path(tmp)
                try:
                    runs = await measure(args, children, url, workdir, cpus)
                finally:
                    await children.stop_all()
    finally:
        await children.stop_all()
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    return 1 if report.errors_exceed_budget(runs) else 0


async def measure(
    args: argparse.Namespace, children: Children, url: str, workdir: Path, cpus: int
) -> list[Run]:
    print(f"database: {await prepare(url, workdir, children)}", flush=True)
    if args.reminders:
        seconds = await seed_live(url, args.reminders, args.reminders_window, bot_id_of(TOKEN))
        print(
            f"reminders: {args.reminders:,} due evenly over {args.reminders_window:g} s "
            f"(seeded in {seconds:.1f} s)",
            flush=True,
        )
    api_url, socket, fake_pid = await start_fake_api(children, workdir, args.model_ms)
    settings = Settings(
        learners=args.learners,
        replicas=args.replicas,
        warmup=args.warmup,
        duration=args.duration,
        steps=args.steps,
        ask_every=args.ask_every,
        connections=args.connections,
        reply_timeout=args.reply_timeout,
        think_ms=args.think_ms,
        returning_share=args.returning,
        bot_env=dict(item.split("=", 1) for item in args.bot_env),
        model_ms=args.model_ms,
        profile=args.profile.resolve() if args.profile else None,
        workdir=workdir,
        api_url=api_url,
        event_socket=socket,
        database_url=url,
    )
    harness = Harness(settings, children, [fake_pid])
    ours = defaults = transport = None
    if args.only in ("ours", "all"):
        print("running our bot ...", flush=True)
        ours = await harness.ours()
        report.print_ours(ours, args.model_ms, cpus)
    if args.only in ("baselines", "all"):
        if importlib.util.find_spec("tornado") is None:
            why = "tornado missing: pip install -e '.[bench]'"
            print(f"\nbaselines skipped: PTB's webhook server needs tornado ({why})")
            defaults = Run("bare PTB, defaults", skipped=why)
            transport = Run("bare PTB, our transport", skipped=why)
        else:
            print("\nrunning bare PTB, defaults ...", flush=True)
            defaults = await harness.bare("bare PTB, defaults", "httpx")
            print("running bare PTB, our transport ...", flush=True)
            transport = await harness.bare("bare PTB, our transport", "aiohttp")
            print(
                "baselines: PTB defaults (concurrent_updates 1, run_webhook/tornado); "
                "learners send text, one sendMessage reply each"
            )
    runs = [run for run in (ours, defaults, transport) if run is not None]
    report.print_comparison(runs)
    report.print_targets(ours, defaults, transport)
    return runs


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted; every child process was stopped", file=sys.stderr)
        sys.exit(130)
