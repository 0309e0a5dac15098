"""Real `tutorbot run` processes in webhook mode, and a Telegram that posts to them.

Telegram (here: the test) posts each update to the webhook and tries again, elsewhere or
later, until some replica answers 2xx — exactly what a load balancer in front of several
replicas gives Telegram.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.transport.webhook import SECRET_HEADER

REPO = Path(__file__).resolve().parents[2]
SECRET = "replica-secret"
HOOK = "/telegram/hook"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class BotProcess:
    """One replica: a `python -m bot run` child with its own port and log file."""

    name: str
    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}.log"

    async def start(self) -> None:
        env = {
            **self.env,
            "WEBHOOK_URL": f"{self.url}{HOOK}",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_HOST": "127.0.0.1",
            "WEBHOOK_PORT": str(self.port),
        }
        self.starts += 1
        with self.log.open("a") as log:
            log.write(f"--- start {self.starts}\n")
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=env,
                cwd=self.workdir,
                stdout=log,
                stderr=log,
            )
        await self.wait_ready()

    async def wait_ready(self, within: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with aiohttp.ClientSession() as session:
            while loop.time() < deadline:
                assert self.process is not None
                if self.process.returncode is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
                try:
                    async with session.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready:\n{self.log.read_text()[-3000:]}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def kill(self) -> None:
        """SIGKILL: no goodbye, claims left behind for the lease to release."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> int:
        """SIGTERM, as an orchestrator stops a replica; the exit code."""
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            return await self.process.wait()


def replica_env(database_url: str, telegram_api_url: str, token: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env.update(
        PYTHONPATH=str(REPO),
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_URL=telegram_api_url,
        DATABASE_URL=database_url,
        TELEGRAM_RATE_LIMIT="0",
        EMBEDDING_BACKEND="local",
    )
    env.update({"LOG_LEVEL": "WARNING", **extra})
    env.pop("OPENAI_API_KEY", None)
    return env


class Progress:
    """Counts acknowledged updates; `reached(n)` waits until that many were."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Condition()

    async def add(self) -> None:
        async with self._changed:
            self.count += 1
            self._changed.notify_all()

    async def reached(self, n: float) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.count >= n)


@dataclass
class Telegram:
    """Posts updates to replicas the way Telegram does: retried until acknowledged."""

    replicas: list[BotProcess]
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    refused: int = 0  # 503s: the replica could not store the update right now
    unreachable: int = 0  # connection refused or reset: the replica is down
    session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Telegram:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.session is not None
        await self.session.close()

    async def deliver(self, update: dict[str, Any], *, within: float = 90.0) -> BotProcess:
        """POST to a random replica until one answers 200; returns which one did."""
        assert self.session is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        pause = 0.05
        while loop.time() < deadline:
            replica = self.rng.choice(self.replicas)
            try:
                async with self.session.post(
                    f"{replica.url}{HOOK}", json=update, headers={SECRET_HEADER: SECRET}
                ) as response:
                    await response.read()
                    if response.status == 200:
                        return replica
                    if response.status != 503:
                        raise AssertionError(f"{replica.name} answered {response.status}")
                    self.refused += 1
            except (aiohttp.ClientError, TimeoutError):
                self.unreachable += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)
        raise TimeoutError(f"update {update['update_id']} was never acknowledged")


class Replicas:
    """Makes bot processes and makes sure none outlives the test, even a failed one (a
    stray replica would go on claiming updates from the next test's database)."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._made: list[BotProcess] = []

    def make(self, name: str, env: dict[str, str]) -> BotProcess:
        process = BotProcess(name, env, self._workdir)
        self._made.append(process)
        return process

    async def kill_all(self) -> None:
        for made in self._made:
            if made.process is not None and made.process.returncode is None:
                await made.kill()


async def wait_until_all_processed(pool: Any, total: int, within: float = 90) -> None:
    """Until the inbox holds `total` processed updates (the bot works on after the posts)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    done = 0
    while loop.time() < deadline:
        done = await pool.fetchval(
            "SELECT count(*) FROM update_inbox WHERE processed_at IS NOT NULL"
        )
        if done == total:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"only {done} of {total} updates processed")


def scripted_chats(
    emulator: Any, user_ids: range, script: Callable[[int], list[str]]
) -> dict[int, list[dict[str, Any]]]:
    """Each learner's `script` as the update JSON Telegram would post, in order."""
    chats: dict[int, list[dict[str, Any]]] = {}
    for user_id in user_ids:
        emulator.user(user_id, f"Learner{user_id}")
        chats[user_id] = [
            emulator.send_text(user_id, text, deliver=False) for text in script(user_id)
        ]
    return chats
