"""CPU time and memory of a process, read from /proc (Linux only)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Memory:
    rss_mb: float  # VmRSS: resident now
    peak_mb: float  # VmHWM: the high-water mark since the process started


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of `pid` in seconds; None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after its ')' are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def waiting_seconds(pid: int) -> float | None:
    """Time `pid`'s threads spent runnable but waiting for a CPU (/proc/<pid>/schedstat),
    i.e. how much other work on the machine held it back; None when not available."""
    try:
        fields = Path(f"/proc/{pid}/schedstat").read_text().split()
    except OSError:
        return None
    return int(fields[1]) / 1e9


def total_cpu_seconds(pids: list[int]) -> float:
    """Summed CPU of the processes still there (a vanished one counts 0)."""
    return sum(cpu_seconds(pid) or 0.0 for pid in pids)


def memory(pid: int) -> Memory | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    values: dict[str, float] = {}
    for line in status.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB -> MB
    if len(values) < 2:
        return None
    return Memory(values["VmRSS"], values["VmHWM"])


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


class CpuWindow:
    """CPU seconds of a fixed set of processes between `start()` and `stop()`."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self._before: dict[int, float] = {}
        self.seconds = 0.0

    def start(self) -> None:
        self._before = {pid: cpu_seconds(pid) or 0.0 for pid in self.pids}

    def stop(self) -> float:
        self.seconds = sum(
            (cpu_seconds(pid) or self._before[pid]) - self._before[pid] for pid in self.pids
        )
        return self.seconds
