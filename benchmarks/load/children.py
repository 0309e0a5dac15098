"""Starting and stopping the benchmark's child processes; none outlives the harness.

Subprocesses get their own session (Ctrl-C in the terminal reaches only the harness, which
then stops them in order) and are killed by the kernel if the harness dies (Linux
PR_SET_PDEATHSIG). multiprocessing children are daemons and ignore SIGINT themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import signal
import socket
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[2]
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class Children:
    """Everything started, stopped in reverse order by `stop_all()` (idempotent)."""

    def __init__(self) -> None:
        # In start order: the load generator (started last) is stopped before the bot.
        self._started: list[asyncio.subprocess.Process | BaseProcess] = []
        self._pipes: list[Connection] = []  # held open: a child stops when its pipe closes

    async def spawn(
        self, args: list[str], *, env: dict[str, str], log: Path, cwd: Path = REPO
    ) -> asyncio.subprocess.Process:
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                *args,
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=out,
                stdin=asyncio.subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self._started.append(process)
        return process

    def fork(self, target: Callable[..., None], *args: Any) -> tuple[BaseProcess, Connection]:
        """A multiprocessing child (spawned, not forked) talking over a Pipe."""
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=target, args=(*args, theirs), daemon=True)
        process.start()
        theirs.close()
        self._started.append(process)
        self._pipes.append(ours)
        return process, ours

    async def stop(self, process: asyncio.subprocess.Process, grace: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds; the exit code."""
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(grace):
                    await process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        return process.returncode

    async def stop_all(self) -> None:
        for child in reversed(self._started):
            if isinstance(child, asyncio.subprocess.Process):
                await self.stop(child, grace=5.0)
                continue
            if child.is_alive():
                child.terminate()
            await asyncio.to_thread(child.join, 5)
            if child.is_alive():
                child.kill()
                await asyncio.to_thread(child.join, 5)
        self._started.clear()
        for pipe in self._pipes:
            pipe.close()
        self._pipes.clear()


async def wait_http_ok(
    url: str, process: asyncio.subprocess.Process, log: Path, within: float = 90.0
) -> None:
    """Until GET `url` answers 200; the log's tail when the process dies or never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while loop.time() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"{url}: the process exited:\n{tail(log)}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{url} not ready within {within:g} s:\n{tail(log)}")


async def wait_webhook_set(
    api_url: str, webhook: str, process: asyncio.subprocess.Process, log: Path
) -> None:
    """Until the bot registered `webhook` at the fake Bot API and its port accepts."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    port = int(webhook.split(":")[2].split("/")[0])
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while loop.time() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the bare bot exited:\n{tail(log)}")
            async with session.get(f"{api_url}/_stats") as response:
                stats = await response.json()
            if stats["webhook"] == webhook:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"the bare bot never set its webhook:\n{tail(log)}")


def tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def python() -> str:
    return sys.executable
