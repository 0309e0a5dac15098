"""Sampling the bot process with py-spy during the timed window, and its hottest functions."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load.children import Children


def executable() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@dataclass
class Hot:
    samples: int
    own: list[tuple[str, float]]  # function -> share of samples spent in it
    inclusive: list[tuple[str, float]]  # function -> share of samples with it on the stack
    packages: list[tuple[str, float]]  # the innermost non-stdlib frame's top-level package


class Recording:
    """`py-spy record --format raw` (collapsed stacks) from `start()` to `stop()`."""

    def __init__(self, children: Children, pid: int, output: Path, log: Path) -> None:
        self._children = children
        self._pid = pid
        self.output = output
        self._log = log
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> bool:
        spy = executable()
        if spy is None:
            return False
        args = [spy, "record", "--pid", str(self._pid), "--rate", "100", "--nonblocking"]
        args += ["--format", "raw", "--output", str(self.output)]
        self._process = await self._children.spawn(args, env={}, log=self._log)
        return True

    async def stop(self) -> Hot | None:
        if self._process is None:
            return None
        if self._process.returncode is None:  # SIGINT: py-spy writes what it has and exits
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGINT)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):
                    await self._process.wait()
        await self._children.stop(self._process, grace=5)
        if not self.output.exists():
            return None
        return hottest(self.output.read_text(errors="replace"))


def hottest(collapsed: str, top: int = 15) -> Hot:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_function(frame) for frame in stack.split(";")]
        frames = [f for f in frames if f]
        if not frames:
            continue
        own[frames[-1]] += count
        packages[_package(stack.split(";"))] += count
        for frame in set(frames):
            inclusive[frame] += count
    share = max(total, 1)
    return Hot(
        total,
        [(name, n / share) for name, n in own.most_common(top)],
        [(name, n / share) for name, n in inclusive.most_common(top * 4)],
        [(name, n / share) for name, n in packages.most_common()],
    )


def _package(frames: list[str]) -> str:
    """Who is working: walking in from the leaf, the first frame outside the standard
    library (asyncio's socket writes called by asyncpg count as asyncpg)."""
    for frame in reversed(frames):
        path = frame.partition(" (")[2]
        top = path.split("/", 1)[0].removesuffix(".py").split(":", 1)[0]
        if top and not top.startswith("<") and top not in sys.stdlib_module_names:
            return top
    return "stdlib only (event loop, json, ...)"


def _function(frame: str) -> str:
    """`send (asyncpg/connection.py:123)` -> `send (asyncpg/connection.py)`, shortened."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "lib/python3.":
                path = "stdlib:" + path.split("/", 1)[-1]
            break
    return f"{name} ({path})" if path else name
