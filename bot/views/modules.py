"""A module's state in words: one mark and one phrase per state, the same on every screen
that names it (course menu, module screen, /progress, /quiz, the staff's /learner)."""

from __future__ import annotations

from datetime import datetime

from bot.views.clock import local_time
from domain.learning.model import ModuleState

MARKS = {
    ModuleState.LOCKED: "🔒",
    ModuleState.UNLOCKED: "🔓",
    ModuleState.IN_PROGRESS: "📖",
    ModuleState.COMPLETED: "✅",
    ModuleState.QUIZ_RUNNING: "📝",
    ModuleState.QUIZ_COOLDOWN: "⏳",
    ModuleState.NO_ATTEMPTS: "⛔",
    ModuleState.QUIZ_PASSED: "🏆",
}
_WORDS = {
    ModuleState.LOCKED: "locked",
    ModuleState.UNLOCKED: "unlocked",
    ModuleState.IN_PROGRESS: "in progress",
    ModuleState.COMPLETED: "completed",
    ModuleState.QUIZ_RUNNING: "quiz in progress",
    ModuleState.NO_ATTEMPTS: "quiz not passed, no attempts left",
    ModuleState.QUIZ_PASSED: "quiz passed",
}


def state_words(
    state: ModuleState,
    *,
    has_quiz: bool,
    reopens_at: datetime | None,
    timezone: str | None,
    now: datetime,
) -> str:
    """`quiz reopens at 13:00 UTC`, `completed, quiz to take`, `locked`, …"""
    if state is ModuleState.QUIZ_COOLDOWN and reopens_at is not None:
        return f"quiz not passed, reopens {local_time(reopens_at, timezone, now)}"
    if state is ModuleState.COMPLETED and has_quiz:
        return "completed, quiz to take"
    return _WORDS[state]
