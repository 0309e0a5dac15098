"""Printing a run: our bot in detail, the baselines side by side, the targets."""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Callable, Sequence

from benchmarks.load.generator import Result, Samples
from benchmarks.load.harness import Run

TARGET_RATE = 1000.0
TARGET_P99_MS = 150.0
TARGET_DB_PER_UPDATE = 3.0
TARGET_VS_OUR_TRANSPORT = 0.6
TARGET_PEAK_MB = 250.0
TARGET_IDLE_MB = 120.0
ERROR_BUDGET = 0.01
KIND_NAMES = {
    "message": "message (commands)",
    "callback_query": "callback_query",
    "question": "typed question",
}
# The round-trip target's kinds: moving around a course, and answering a quiz. Steps done
# once per course or per quiz (/start's home, enrolling, picking a persona, starting the
# quiz) are printed beside them.
NAVIGATION = frozenset(
    {"/progress", "catalog", "course card", "course menu", "module", "topic", "mark complete"}
)
QUIZ_STEPS = frozenset({"quiz intro", "quiz answer", "quiz tick", "quiz submit"})
ONCE = frozenset({"/start", "enroll", "persona", "quiz start"})


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def triple(values: Sequence[float]) -> str:
    if not values:
        return "-"
    return " / ".join(_ms(pct(values, q)) for q in (50, 95, 99))


def distribution(values: Sequence[float]) -> str:
    if not values:
        return "-"
    edges = (50, 100, 250, 500, 900, 1200)
    cells, previous = [], 0.0
    for edge in edges:
        share = sum(1 for v in values if previous < v <= edge) / len(values)
        cells.append(f"{previous:g}-{edge} ms {share:.1%}")
        previous = edge
    cells.append(f">{previous:g} ms {sum(1 for v in values if v > previous) / len(values):.1%}")
    return ", ".join(cells)


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def merged(result: Result) -> Samples:
    every = Samples()
    for samples in result.kinds.values():
        every.ack_ms += samples.ack_ms
        every.e2e_ms += samples.e2e_ms
        every.done_ms += samples.done_ms
    return every


def rate(run: Run) -> float:
    result = run.result
    return result.updates / result.seconds if result and result.seconds else math.nan


def verdict(ok: bool | str | None) -> str:
    if isinstance(ok, str):
        return ok
    return "n/a" if ok is None else ("MET" if ok else "MISSED")


# -- our bot -----------------------------------------------------------------------------------


def print_ours(run: Run, model_ms: float, cpus: int) -> None:
    result = run.result
    assert result is not None
    print()
    print("== Our bot: `python -m bot run` (webhook, inbox, PostgreSQL, demo course) ==")
    print(
        f"updates/s {rate(run):,.0f}  ({result.updates:,} updates in {result.seconds:.1f} s; "
        f"sessions started {result.sessions:,} ({result.returning:,} by returning learners), "
        f"finished {result.sessions_done:,})"
    )
    seeded, seconds = run.seeded
    if seeded:
        short = (
            f"; {result.returning_short:,} times none was left" if result.returning_short else ""
        )
        print(f"returning learners: {seeded:,} prepared in {seconds:.1f} s (before the bot){short}")
    header = f"{'kind':<20} {'updates':>8} {'share':>6}  {'ack ms p50/p95/p99':>22}  "
    header += f"{'e2e ms p50/p95/p99':>22}  {'done ms p50/p95/p99':>22}"
    print(header)
    print("-" * len(header))
    total = max(result.updates, 1)
    rows = [(KIND_NAMES.get(k, k), s) for k, s in sorted(result.kinds.items())]
    rows.append(("all", merged(result)))
    for name, samples in rows:
        count = len(samples.ack_ms)
        print(
            f"{name:<20} {count:>8,} {count / total:>6.1%}  {triple(samples.ack_ms):>22}  "
            f"{triple(samples.e2e_ms):>22}  {triple(samples.done_ms):>22}"
        )
    print("e2e distribution (all updates): " + distribution(merged(result).e2e_ms))
    print(
        "ack = POST -> 200; e2e = POST -> the bot's first reply at the fake Bot API (for a "
        "question: its placeholder); done = the step complete (a press: its callback answer; "
        "a question: the final answer edit)"
    )
    _print_questions(result, model_ms)
    _print_mix(result)
    _print_database(run)
    _print_api(run)
    _print_resources(run, cpus)
    _print_errors(result)
    _print_log(run)
    _print_hot(run)


def _print_questions(result: Result, model_ms: float) -> None:
    q = result.questions
    asked = len(result.kinds.get("question", Samples()).ack_ms)
    print(
        f"typed questions: {asked:,} asked in the timed window, {q.answered:,} answered by the "
        f"model (fake, {model_ms:g} ms delay before it streams); ms p50/p95/p99:"
    )
    print(f"  POST -> answer edited in    {triple(q.answer_ms)}")
    print(
        f"  POST -> model request       {triple(q.before_model_ms)}   (our time before the model)"
    )
    print(f"  model request -> stream end {triple(q.model_ms)}")
    print(f"  stream end -> final edit    {triple(q.after_model_ms)}")


def _print_mix(result: Result) -> None:
    total = max(result.updates, 1)
    parts = [f"{label} {n / total:.1%}" for label, n in result.mix.most_common()]
    print("mix (timed updates): " + ", ".join(parts))


def _print_database(run: Run) -> None:
    result = run.result
    assert result is not None
    metrics = run.metrics or {}
    queries = metrics.get("tutorbot_db_queries_total")
    processed = metrics.get("tutorbot_updates_processed_total")
    if queries is None or not processed:
        print("DB queries per update: n/a (the bot exports no tutorbot_db_queries_total)")
    else:
        print(
            f"DB queries per update: {queries / processed:.2f} over the timed window "
            f"({queries:,.0f} statements / {processed:,.0f} updates processed; every kind, "
            "typed questions included)"
        )
    if not result.probe:
        if result.probe_note:
            print(f"DB queries per kind: n/a ({result.probe_note.strip()})")
        return
    cells = []
    for label, spent in sorted(result.probe.items(), key=lambda item: -min(item[1])):
        cells.append(f"{label} {min(spent):g}/{statistics.median(spent):g} (n={len(spent)})")
    print(
        "DB queries per kind (probe: one learner, nothing else running; fewest/median: the "
        "inbox heartbeat's two statements every 20 s, or a profile written again after "
        "30 s, can land in one):"
    )
    print("  " + ", ".join(cells))
    print(f"  {result.probe_note.strip()}")
    if result.probe_errors:
        print(f"  probe errors: {len(result.probe_errors)}, e.g. {result.probe_errors[0]}")


def worst_db(result: Result, kinds: frozenset[str]) -> tuple[str, float] | None:
    """The kind among `kinds` with the most statements (the fewest each cost in the probe:
    the background's statements only ever add to a count)."""
    if not result.probe:
        return None
    probed = result.probe.items()
    spent = [(label, float(min(counts))) for label, counts in probed if label in kinds]
    return max(spent, key=lambda item: item[1]) if spent else None


def _print_api(run: Run) -> None:
    result = run.result
    assert result is not None
    calls = {k: v for k, v in run.api_calls.items() if k != "model"}
    total = sum(calls.values())
    detail = ", ".join(f"{name} {n:,}" for name, n in sorted(calls.items(), key=lambda i: -i[1]))
    print(f"Bot API calls per update: {total / max(result.updates, 1):.2f} ({detail})")


def _print_resources(run: Run, cpus: int) -> None:
    result = run.result
    assert result is not None
    bot = run.cpu.get("bot") or 0.0
    per_k = bot / max(result.updates, 1) * 1000
    print(
        f"bot CPU: {bot:.2f} s in {result.seconds:.1f} s = {bot / result.seconds:.0%} of one core; "
        f"{per_k:.2f} CPU s per 1,000 updates"
    )
    others = [
        f"{name} {seconds:.2f} s" if seconds is not None else f"{name} n/a"
        for name, seconds in run.cpu.items()
        if name != "bot"
    ]
    print(f"other CPU in the window ({cpus} CPUs on this machine): " + ", ".join(others))
    harness, everything = _harness_cpu(run), _all_cpu(run)
    if harness is not None and everything is not None:
        per_update = 1e3 / max(result.updates, 1)
        print(
            f"CPU per update, every process: {everything * per_update:.2f} ms, of which the "
            f"harness (fake Bot API + model, load generator) {harness * per_update:.2f} ms: "
            f"this machine's {cpus} CPUs allow at most {_ceiling(run, cpus, everything):,.0f} "
            f"updates/s of this mix, and the harness alone "
            f"{_ceiling(run, cpus, harness):,.0f}/s, however fast the bot"
        )
    if run.bot_waited is not None:
        print(
            f"bot runnable but waiting for a CPU: {run.bot_waited:.2f} s of the "
            f"{result.seconds:.1f} s (/proc schedstat: the machine's other work held it back)"
        )
    idle = f"{run.idle.rss_mb:.0f} MB" if run.idle else "n/a"
    peak = f"{run.peak.peak_mb:.0f} MB" if run.peak else "n/a"
    print(f"bot memory: idle RSS {idle} (ready, before the load), peak RSS {peak} (VmHWM)")


def _print_errors(result: Result) -> None:
    count = result.error_count
    share = count / max(result.updates, 1)
    kinds = ", ".join(f"{k} {n}" for k, n in result.errors.most_common()) or "none"
    warmup = result.warmup_errors
    print(f"errors: {count:,} = {share:.2%} of updates ({kinds}); warm-up errors {warmup}")
    for kind, samples in result.error_samples.items():
        for sample in samples[:3]:
            print(f"  {kind}: {sample}")
    if result.alerts:
        alerts = ", ".join(f"{n}x {text!r}" for text, n in result.alerts.most_common(3))
        print(f"callback answers shown as alerts (refusals): {alerts}")


def _print_log(run: Run) -> None:
    if not run.log_problems:
        print(f"bot log: no warnings or errors; exit code {run.exit_code}")
        return
    print(
        f"bot log: {len(run.log_problems)} warning/error lines; exit code {run.exit_code}; first:"
    )
    for line in run.log_problems[:3]:
        print(f"  {line[:160]}")


def _print_hot(run: Run) -> None:
    if run.hot is None:
        return
    print(f"py-spy profile of the bot ({run.hot.samples:,} samples) -> {run.profile_path}")
    packages = ", ".join(f"{name} {share:.0%}" for name, share in run.hot.packages[:8])
    print(f"  by package (innermost non-stdlib frame): {packages}")
    print("  most time spent in (own time):")
    for name, share in run.hot.own[:12]:
        print(f"    {share:6.1%}  {name}")
    ours = [
        (n, s) for n, s in run.hot.inclusive if any(p in n for p in ("bot/", "domain/", "storage/"))
    ]
    print("  our functions by total time (on the stack):")
    for name, share in ours[:10]:
        print(f"    {share:6.1%}  {name}")


# -- side by side --------------------------------------------------------------------------------


def print_comparison(runs: list[Run]) -> None:
    print()
    print(
        "== Side by side (same generator, same learners, same fake Bot API, one after another) =="
    )
    width = 26
    print(f"{'':<26}" + "".join(f"{run.name:>{width}}" for run in runs))
    ours = runs[0] if runs and runs[0].name == "ours" and runs[0].result else None
    rows: list[tuple[str, Callable[[Run, Result], str]]] = [
        ("updates/s", lambda r, _: f"{rate(r):,.0f}"),
        ("ack ms p50/p95/p99", lambda _, res: triple(merged(res).ack_ms)),
        ("e2e ms p50/p95/p99", lambda _, res: triple(merged(res).e2e_ms)),
        ("bot CPU s / 1,000 updates", lambda r, res: f"{_cpu(r) / max(res.updates, 1) * 1e3:.2f}"),
        ("bot CPU utilisation", lambda r, res: f"{_cpu(r) / res.seconds:.0%}"),
        ("bot waiting for a CPU", lambda r, res: f"{(r.bot_waited or 0) / res.seconds:.0%}"),
        ("idle / peak RSS MB", lambda r, _: _memory(r)),
        ("errors", lambda _, res: f"{res.error_count:,}"),
        ("PostgreSQL CPU", lambda r, res: _share(r, res, "PostgreSQL")),
        ("fake Bot API + model CPU", lambda r, res: _share(r, res, "fake Bot API + model")),
        ("load generator CPU", lambda r, res: _share(r, res, "load generator")),
        ("CPU ms / update, all", lambda r, res: _per_update(_all_cpu(r), res)),
        ("  of which the harness", lambda r, res: _per_update(_harness_cpu(r), res)),
    ]
    if ours is not None:
        rows.append(("ours / this (updates/s)", lambda r, _: f"{rate(ours) / rate(r):.2f}x"))
    for label, value in rows:
        cells = [value(run, run.result) if run.result else "skipped" for run in runs]
        print(f"{label:<26}" + "".join(f"{cell:>{width}}" for cell in cells))


def _cpu(run: Run) -> float:
    return run.cpu.get("bot") or 0.0


_HARNESS = ("fake Bot API + model", "load generator")


def _harness_cpu(run: Run) -> float | None:
    """CPU seconds the fake Telegram and the learners spent: the measuring, not the
    measured. On a machine shared with them it is CPU the bot cannot have."""
    seconds = [run.cpu.get(name) for name in _HARNESS]
    return None if any(s is None for s in seconds) else sum(s or 0.0 for s in seconds)


def _all_cpu(run: Run) -> float | None:
    """Every process of the run (a bare bot runs without PostgreSQL)."""
    if run.cpu.get("bot") is None:
        return None
    return sum(s for s in run.cpu.values() if s is not None)


def _ceiling(run: Run, cpus: int, seconds: float) -> float:
    """Updates/s if every CPU did nothing but this share of the work."""
    assert run.result is not None
    return cpus * run.result.updates / max(seconds, 1e-9)


def _per_update(seconds: float | None, result: Result) -> str:
    return "-" if seconds is None else f"{seconds / max(result.updates, 1) * 1e3:.2f}"


def _share(run: Run, result: Result, name: str) -> str:
    seconds = run.cpu.get(name)
    return "-" if seconds is None else f"{seconds / result.seconds:.0%} of a core"


def _memory(run: Run) -> str:
    idle = f"{run.idle.rss_mb:.0f}" if run.idle else "?"
    peak = f"{run.peak.peak_mb:.0f}" if run.peak else "?"
    return f"{idle} / {peak}"


def print_targets(ours: Run | None, defaults: Run | None, transport: Run | None) -> None:
    print()
    print("== Targets ==")
    if ours is None or ours.result is None:
        print("our bot was not run (--only baselines)")
        for base in (defaults, transport):
            if base is not None and base.result is not None:
                print(f"{base.name}: {rate(base):,.0f} updates/s")
        return
    ours_rate = rate(ours)
    every = merged(ours.result)
    p99 = pct(every.e2e_ms, 99)
    lines = [
        ("updates/s end to end >= 1,000", f"{ours_rate:,.0f}", ours_rate >= TARGET_RATE),
        ("e2e p99 <= 150 ms (all updates)", f"{p99:,.0f} ms", p99 <= TARGET_P99_MS),
    ]
    for title, kinds in (
        ("<= 3 DB round trips per navigation/quiz update", NAVIGATION | QUIZ_STEPS),
        ("   (once per course or quiz: /start, enroll, persona, start)", ONCE),
    ):
        worst = worst_db(ours.result, kinds)
        if worst is None:
            lines.append((title, "n/a", None))
            continue
        label, spent = worst
        met = spent <= TARGET_DB_PER_UPDATE if kinds is not ONCE else "(info)"
        lines.append((title, f"worst {label}: {spent:g}", met))
    for base, label, floor in (
        (transport, ">= 0.6x bare PTB with our transport", TARGET_VS_OUR_TRANSPORT),
        (defaults, "> bare PTB with defaults", None),
    ):
        if base is None or base.result is None:
            reason = base.skipped if base is not None else "not run"
            lines.append((label, f"n/a ({reason})", None))
            continue
        ratio = ours_rate / rate(base)
        ok = ratio >= floor if floor is not None else ratio > 1
        lines.append((label, f"{ratio:.2f}x ({ours_rate:,.0f} vs {rate(base):,.0f}/s)", ok))
    peak = ours.peak.peak_mb if ours.peak else math.nan
    idle = ours.idle.rss_mb if ours.idle else math.nan
    lines.append(
        ("peak RSS <= 250 MB", f"{peak:.0f} MB", peak <= TARGET_PEAK_MB if ours.peak else None)
    )
    lines.append(
        ("idle RSS <= 120 MB", f"{idle:.0f} MB", idle <= TARGET_IDLE_MB if ours.idle else None)
    )
    share = ours.result.error_count / max(ours.result.updates, 1)
    lines.append(("errors <= 1% of updates", f"{share:.2%}", share <= ERROR_BUDGET))
    for label, figure, ok in lines:
        print(f"{label:<48} {figure:>34}  {verdict(ok)}")
    _print_bounds(ours, transport)


def _print_bounds(ours: Run, transport: Run | None) -> None:
    """What this machine allows, from the same run: the throughput target is judged against
    the processes sharing the CPUs, not only against the bot."""
    assert ours.result is not None
    cpus = os.cpu_count() or 1
    everything, harness = _all_cpu(ours), _harness_cpu(ours)
    print("bounds from the same runs:")
    if everything is not None and harness is not None:
        print(
            f"  this machine ({cpus} CPUs) for this mix: at most "
            f"{_ceiling(ours, cpus, everything):,.0f} updates/s with every process, "
            f"{_ceiling(ours, cpus, harness):,.0f}/s for the harness alone"
        )
    if transport is not None and transport.result is not None and _cpu(transport):
        floor = _cpu(transport) / max(transport.result.updates, 1) * 1e3
        print(
            f"  bare PTB on our transport, no database and no logic: {floor:.2f} ms of CPU per "
            f"update, at most {1e3 / floor:,.0f} updates/s on one core"
        )
    samples = merged(ours.result).e2e_ms
    if samples:
        mean = statistics.fmean(samples)
        print(
            f"  e2e mean {mean:,.0f} ms: with learners stepping back to back it is queueing "
            "(Little's law: learners / updates per second); --think-ms paces them"
        )


def errors_exceed_budget(runs: list[Run]) -> bool:
    for run in runs:
        if run.result is not None and run.result.error_count > ERROR_BUDGET * max(
            run.result.updates, 1
        ):
            return True
    return False
