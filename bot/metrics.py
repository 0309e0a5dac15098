"""What an operator needs to see, exposed at /metrics in Prometheus' text format.

Each `Metrics` owns its own `prometheus_client.CollectorRegistry` (never the global one), so
several instances live side by side in one process (tests, benchmarks).

Label values come from a small vocabulary (Telegram update types, Bot API method names,
model names, error kinds). Anything else is clipped to `MAX_LABEL_CHARS` characters, and a
label takes at most `MAX_LABEL_VALUES` distinct values before the rest are counted as
`other`, so no input can grow the number of series without bound.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar, cast

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase
from telegram import Update

MAX_LABEL_CHARS = 40
MAX_LABEL_VALUES = 100
OTHER = "other"

_Metric = TypeVar("_Metric", bound=MetricWrapperBase)

# Handler time: 1 ms .. 30 s.
HANDLER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BOT_API_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LLM_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)
# A due item is picked up by a one-off job (milliseconds late) or by the periodic sweep.
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600)

_UPDATE_TYPES = frozenset(str(kind) for kind in Update.ALL_TYPES)


class _Vocabulary:
    """Bounds one label's values: known values pass, others are clipped, and past
    `MAX_LABEL_VALUES` distinct unknown values the rest become `other`."""

    def __init__(self, known: frozenset[str] = frozenset()) -> None:
        self._known = known
        self._seen: set[str] = set()

    def __call__(self, value: str | None) -> str:
        if value is None:
            return "none"
        if value in self._known or value in self._seen:
            return value
        value = value[:MAX_LABEL_CHARS]
        if value in self._seen:
            return value
        if len(self._seen) >= MAX_LABEL_VALUES:
            return OTHER
        self._seen.add(value)
        return value


class Metrics:
    CONTENT_TYPE: ClassVar[str] = CONTENT_TYPE_LATEST

    # Unlabelled counters, moved with `inc(name)`.
    _HELP: ClassVar[dict[str, str]] = {
        "tutorbot_handler_errors_total": "Updates whose handling raised an error.",
        "tutorbot_webhook_rejected_total": "Webhook requests refused (bad secret or body).",
        "tutorbot_quiz_answers_total": "Quiz answers recorded.",
        "tutorbot_quizzes_finished_total": "Quiz attempts finished (passed, failed, abandoned).",
        "tutorbot_questions_answered_total": "Typed questions the tutor answered.",
        "tutorbot_questions_refused_total": "Typed questions refused: quota used up.",
        "tutorbot_help_requests_total": "Questions sent to human tutors (requests opened).",
        "tutorbot_questions_not_covered_total": "Typed questions the course doesn't cover "
        "(the relevance gate or the model said so; nothing counted).",
        "tutorbot_model_failures_total": "Questions the language model failed to answer.",
        "tutorbot_suggestions_shown_total": "Curated suggestions answered (free).",
        "tutorbot_cooldown_notices_total": "Learners told their quiz is open again.",
        "tutorbot_cooldown_notices_undeliverable_total": "Cooldown notices Telegram refused.",
        "tutorbot_cooldown_notices_deferred_total": "Cooldown notices deferred for a retry.",
        "tutorbot_reminders_sent_total": "Study reminders sent.",
        "tutorbot_reminders_skipped_total": "Due reminders not sent (nothing waiting, too "
        "late after downtime, quiet hours, blocked, no usual time yet, refused).",
        "tutorbot_db_queries_total": "Statements sent to PostgreSQL (round trips), all causes.",
        "tutorbot_flood_dropped_total": "Updates dropped by incoming flood control.",
        "tutorbot_flood_notices_total": "Slow-down notices (one per stretch of flooding).",
    }

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._counters: dict[str, Counter] = {
            name: Counter(_base(name), help_text, registry=registry)
            for name, help_text in self._HELP.items()
        }
        self._db_queries = self._counters["tutorbot_db_queries_total"]
        self._kinds = _Vocabulary(_UPDATE_TYPES)
        self._methods = _Vocabulary()
        self._models = _Vocabulary()
        self._errors = _Vocabulary()
        self._jobs = _Vocabulary()
        self._children: dict[tuple[int, str], MetricWrapperBase] = {}

        def counter(name: str, help_text: str, labels: tuple[str, ...]) -> Counter:
            return Counter(_base(name), help_text, labels, registry=registry)

        def histogram(
            name: str, help_text: str, labels: tuple[str, ...], buckets: tuple[float, ...]
        ) -> Histogram:
            return Histogram(name, help_text, labels, registry=registry, buckets=buckets)

        self._received = counter(
            "tutorbot_updates_received_total", "Updates accepted from Telegram.", ("type",)
        )
        self._duplicate = counter(
            "tutorbot_updates_duplicate_total", "Re-delivered updates that were dropped.", ("type",)
        )
        self._processed = counter(
            "tutorbot_updates_processed_total", "Updates handled (failed or not).", ("type",)
        )
        self._failed = counter(
            "tutorbot_updates_failed_total", "Updates whose handling failed.", ("type",)
        )
        self._retried = counter(
            "tutorbot_updates_retried_total",
            "Updates put back for a later retry (e.g. database down).",
            ("type",),
        )
        self._handler_seconds = histogram(
            "tutorbot_handler_seconds", "Time to handle one update.", ("type",), HANDLER_BUCKETS
        )
        self._inbox_depth = Gauge(
            "tutorbot_inbox_depth", "Updates waiting to be handled.", registry=registry
        )
        self._inbox_age = Gauge(
            "tutorbot_inbox_oldest_age_seconds",
            "Age of the oldest update waiting to be handled.",
            registry=registry,
        )
        self._bot_api_seconds = histogram(
            "tutorbot_bot_api_seconds", "Bot API call duration.", ("method",), BOT_API_BUCKETS
        )
        self._bot_api_errors = counter(
            "tutorbot_bot_api_errors_total", "Bot API calls that failed.", ("method", "error")
        )
        self._llm_seconds = histogram(
            "tutorbot_llm_seconds", "Language model completion duration.", ("model",), LLM_BUCKETS
        )
        self._llm_tokens = counter(
            "tutorbot_llm_tokens_total", "Language model tokens used.", ("model", "kind")
        )
        self._llm_errors = counter(
            "tutorbot_llm_errors_total",
            "Language model completions that failed.",
            ("model", "error"),
        )
        self._scheduler_lag = histogram(
            "tutorbot_scheduler_lag_seconds",
            "How late a due item (e.g. a cooldown's end) was handled.",
            ("job",),
            LAG_BUCKETS,
        )
        # Sample names `value()` accepts, e.g. the counter's `..._total`, `..._count`.
        self._samples: set[str] = set()
        for family in registry.collect():
            if family.type == "counter":
                self._samples |= {f"{family.name}_total", f"{family.name}_created"}
            elif family.type == "histogram":
                self._samples |= {f"{family.name}_{s}" for s in ("bucket", "count", "sum")}
                self._samples.add(f"{family.name}_created")
            else:
                self._samples.add(family.name)

    # -- the plain counters ---------------------------------------------------------------

    def db_query(self) -> None:
        """One statement sent to PostgreSQL (the pool's query logger calls this)."""
        self._db_queries.inc()

    def inc(self, name: str, amount: int = 1) -> None:
        counter = self._counters.get(name)
        if counter is not None:
            counter.inc(amount)
        elif name in _LEGACY:  # callers from before these counters had a `type` label
            getattr(self, _LEGACY[name]).labels(type="unknown").inc(amount)
        else:
            raise KeyError(f"unknown metric {name}")

    def value(self, name: str, **labels: str) -> float:
        """The current value of one sample, e.g. `value("tutorbot_quiz_answers_total")`,
        `value("tutorbot_handler_seconds_count", type="message")`; labels left out are
        summed over."""
        if name not in self._samples:
            raise KeyError(f"unknown metric {name}")
        total = 0.0
        for family in self.registry.collect():
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(key) == str(want) for key, want in labels.items()
                ):
                    total += sample.value
        return total

    # -- updates ---------------------------------------------------------------------------

    def _child(self, metric: _Metric, value: str) -> _Metric:
        """`metric.labels(value)`, kept: prometheus_client's lookup costs as much as the
        count itself, several times per update. Label values come from bounded
        vocabularies, so this stays small."""
        key = (id(metric), value)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(value)
        return cast(_Metric, child)

    def update_received(self, kind: str) -> None:
        self._child(self._received, self._kinds(kind)).inc()

    def update_duplicate(self, kind: str) -> None:
        self._child(self._duplicate, self._kinds(kind)).inc()

    def update_done(self, kind: str, seconds: float, *, failed: bool) -> None:
        kind = self._kinds(kind)
        self._child(self._processed, kind).inc()
        if failed:
            self._child(self._failed, kind).inc()
        self._child(self._handler_seconds, kind).observe(max(seconds, 0.0))

    def update_retried(self, kind: str) -> None:
        self._child(self._retried, self._kinds(kind)).inc()

    def inbox(self, depth: int, oldest_age_seconds: float) -> None:
        self._inbox_depth.set(depth)
        self._inbox_age.set(max(oldest_age_seconds, 0.0))

    # -- outgoing calls --------------------------------------------------------------------

    def bot_api_call(self, method: str, seconds: float, error: str | None) -> None:
        method = self._methods(method)
        self._child(self._bot_api_seconds, method).observe(max(seconds, 0.0))
        if error is not None:
            self._bot_api_errors.labels(method=method, error=self._errors(error)).inc()

    def llm_call(
        self,
        model: str,
        seconds: float,
        *,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        error: str | None,
    ) -> None:
        model = self._models(model)
        self._llm_seconds.labels(model=model).observe(max(seconds, 0.0))
        if prompt_tokens:
            self._llm_tokens.labels(model=model, kind="prompt").inc(prompt_tokens)
        if completion_tokens:
            self._llm_tokens.labels(model=model, kind="completion").inc(completion_tokens)
        if error is not None:
            self._llm_errors.labels(model=model, error=self._errors(error)).inc()

    # -- scheduled work --------------------------------------------------------------------

    def scheduler_lag(self, job: str, seconds: float) -> None:
        self._scheduler_lag.labels(job=self._jobs(job)).observe(max(seconds, 0.0))

    # -- exposition ------------------------------------------------------------------------

    def render(self) -> bytes:
        """The registry in Prometheus' text format; serve it with `CONTENT_TYPE`."""
        return generate_latest(self.registry)


# `inc()` with these names still works: counted under `type="unknown"`.
_LEGACY = {
    "tutorbot_updates_received_total": "_received",
    "tutorbot_updates_duplicate_total": "_duplicate",
}


def _base(name: str) -> str:
    """prometheus_client appends `_total` to a counter's name; declare it without."""
    return name.removesuffix("_total")
