"""Certificates: PDF render time (p50/p95) and size per script, and the verification page
under concurrent requests (p50/p95 latency, requests/s) beside the same aiohttp server
answering a static string (the floor).

A scratch PostgreSQL (next to DATABASE_URL when set, else embedded), migrated, with the
tiny test course and `--certificates` issued through the real service. The page is served
by `bot.transport.verify_page.build_verify_app` (rate limit off) on 127.0.0.1; `--concurrency`
clients (default 200) each ask a mix of valid and unknown codes.

    .venv/bin/python benchmarks/certificates.py            # ~30 s
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import open_services
from bot.settings import load_settings
from bot.transport.verify_page import build_verify_app
from bot.views.certificate_pdf import render, verify_url
from domain.certificates import Certificate, new_code
from domain.progress import CourseCompleted
from storage import embedded
from storage.database import create_pool
from storage.migrations import migrate
from tests.support.courses import TINY_PACK, import_pack

NAMES = {"latin": "Zoë Łukasiewicz-Ødegård", "arabic": "فاطمة الزهراء", "chinese": "王小明"}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_pdf(renders: int) -> None:
    for script, name in NAMES.items():
        code = new_code()
        cert = Certificate(code, 1, uuid4(), "Tea basics", name, "2 modules", datetime.now(UTC))
        times, size = [], 0
        for _ in range(renders):
            started = time.perf_counter()
            size = len(render(cert, verify_url("https://bot.example.com", code)))
            times.append(time.perf_counter() - started)
        print(
            f"pdf {script:8} p50 {statistics.median(times) * 1000:6.0f} ms  "
            f"p95 {pct(times, 0.95) * 1000:6.0f} ms  size {size / 1024:5.1f} KB"
        )


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def load(base: str, paths: list[str], concurrency: int, per_client: int) -> None:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(seed: int) -> None:
            nonlocal errors
            pick = random.Random(seed)
            for _ in range(per_client):
                started = time.perf_counter()
                async with session.get(base + pick.choice(paths)) as response:
                    await response.read()
                    if response.status not in (200, 404):
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    print(
        f"  {len(latencies):,} requests, {concurrency} concurrent: {len(latencies) / elapsed:,.0f}"
        f" req/s, p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {pct(latencies, 0.95) * 1000:.1f} ms, errors {errors}"
    )


async def bench_page(args: argparse.Namespace) -> None:
    name = f"tutorbot_bench_cert_{os.getpid()}"
    async with embedded.scratch_database(name, os.environ.get("DATABASE_URL")) as url:
        await migrate(url)
        pool = await create_pool(url, max_size=2)
        await import_pack(pool, TINY_PACK)
        course = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
        await pool.executemany(
            "INSERT INTO users (id, first_name) VALUES ($1, 'L')",
            [(i,) for i in range(1, args.certificates + 1)],
        )
        await pool.close()
        settings = load_settings(
            _env_file=None,
            telegram_bot_token="123456:bench-certificates",
            data_dir=Path("/tmp"),
            verify_per_minute=0,
        )
        async with open_services(settings, url) as services:
            codes = []
            for i in range(1, args.certificates + 1):
                issued = await services.certificates.completed(
                    CourseCompleted(i, course, datetime.now(UTC)), f"Learner {i}"
                )
                assert issued is not None
                codes.append(issued.code)
            paths = [f"/verify/{c}" for c in codes] + ["/verify/" + new_code()] * len(codes)
            runner, base = await serve(build_verify_app(services))
            print(f"verification page ({len(codes)} certificates, half the codes unknown):")
            await load(base, paths, args.concurrency, args.requests // args.concurrency)
            await runner.cleanup()

    async def static(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    floor = web.Application()
    floor.router.add_get("/static", static)
    runner, base = await serve(floor)
    print("floor: the same aiohttp server answering a static string:")
    await load(base, ["/static"], args.concurrency, args.requests // args.concurrency)
    await runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--renders", type=int, default=10, help="PDF renders per script")
    parser.add_argument("--certificates", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    bench_pdf(args.renders)
    asyncio.run(bench_page(args))
    print(f"{os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
