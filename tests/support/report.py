"""Figures the reliability suites want printed at the end of the test run.

A test calls ``report("fuzz: hostile updates", inputs=1200, failures=0)``; the root
conftest prints every line after pytest's own summary, so a CI log shows what was tried
(inputs, failures, limiter figures) next to the pass count, without digging into -s output.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Figures:
    """One test's figures, kept in the order they were reported."""

    suite: str
    values: dict[str, object] = field(default_factory=dict)

    def line(self) -> str:
        shown = ", ".join(f"{name}={_show(value)}" for name, value in self.values.items())
        return f"{self.suite}: {shown}" if shown else self.suite


_reported: list[Figures] = []


def report(suite: str, **values: object) -> None:
    """Record figures for the end-of-run summary (and print them for -s runs)."""
    figures = Figures(suite, dict(values))
    _reported.append(figures)
    print(figures.line())


def reported() -> list[Figures]:
    return list(_reported)


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
