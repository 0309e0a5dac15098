"""A few counters, exposed at /metrics in Prometheus' text format.

Kept deliberately tiny (no client library): the numbers an operator needs to see that
updates flow, repeats are dropped and handlers don't fail.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar


class Metrics:
    _HELP: ClassVar[dict[str, str]] = {
        "tutorbot_updates_received_total": "Updates accepted from Telegram.",
        "tutorbot_updates_duplicate_total": "Re-delivered updates that were dropped.",
        "tutorbot_handler_errors_total": "Updates whose handling raised an error.",
        "tutorbot_webhook_rejected_total": "Webhook requests refused (bad secret or body).",
        "tutorbot_quiz_answers_total": "Quiz answers recorded.",
        "tutorbot_quizzes_finished_total": "Quiz attempts finished (passed, failed, abandoned).",
        "tutorbot_questions_answered_total": "Typed questions the tutor answered.",
        "tutorbot_questions_refused_total": "Typed questions refused: quota used up.",
        "tutorbot_model_failures_total": "Questions the language model failed to answer.",
        "tutorbot_suggestions_shown_total": "Curated suggestions answered (free).",
        "tutorbot_cooldown_notices_total": "Learners told their quiz is open again.",
        "tutorbot_cooldown_notices_undeliverable_total": "Cooldown notices Telegram refused.",
        "tutorbot_cooldown_notices_deferred_total": "Cooldown notices deferred for a retry.",
    }

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def inc(self, name: str, amount: int = 1) -> None:
        if name not in self._HELP:
            raise KeyError(f"unknown metric {name}")
        self._counts[name] += amount

    def value(self, name: str) -> int:
        return self._counts[name]

    def render(self) -> str:
        lines: list[str] = []
        for name, help_text in self._HELP.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
            lines.append(f"{name} {self._counts[name]}")
        return "\n".join(lines) + "\n"
