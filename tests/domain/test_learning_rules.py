"""Pure rules of the learner journey: module states, percentages, persona texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.learning.model import ModuleRecord, ModuleState, percent
from domain.learning.rules import module_state
from domain.personas import Persona, text_for

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def record(
    *,
    unlocked=True,
    completed=0,
    topics=4,
    quiz_passed=False,
    running=False,
    cooldown: timedelta | None = None,
    out=False,
) -> ModuleRecord:
    return ModuleRecord(
        1,
        "M",
        "",
        topics,
        completed,
        unlocked,
        quiz_passed,
        has_quiz=True,
        quiz_running=running,
        cooldown_until=NOW + cooldown if cooldown is not None else None,
        out_of_attempts=out,
    )


@pytest.mark.parametrize(
    ("module", "state"),
    [
        (record(unlocked=False, completed=4), ModuleState.LOCKED),
        (record(), ModuleState.UNLOCKED),
        (record(completed=1), ModuleState.IN_PROGRESS),
        (record(completed=4), ModuleState.COMPLETED),
        (record(completed=2, quiz_passed=True), ModuleState.QUIZ_PASSED),
        (record(completed=4, running=True), ModuleState.QUIZ_RUNNING),
        (record(completed=4, cooldown=timedelta(minutes=5)), ModuleState.QUIZ_COOLDOWN),
        (record(completed=4, cooldown=timedelta(minutes=-5)), ModuleState.COMPLETED),
        (record(completed=4, cooldown=timedelta(minutes=-5), out=True), ModuleState.NO_ATTEMPTS),
        (record(completed=4, cooldown=timedelta(minutes=5), out=True), ModuleState.QUIZ_COOLDOWN),
    ],
)
def test_module_states(module: ModuleRecord, state: ModuleState) -> None:
    """The quiz's state wins over the topics' once the quiz was taken."""
    assert module_state(module, NOW) is state


def test_percentages_round_and_never_divide_by_zero() -> None:
    assert [percent(1, 3), percent(2, 3), percent(0, 0), percent(12, 12)] == [33, 67, 0, 100]


def test_persona_text_falls_back_to_the_default() -> None:
    variants = {Persona.SPORTS: "sporty", Persona.COOKING: None, Persona.ADVENTURE: ""}
    assert text_for(Persona.SPORTS, "plain", variants) == "sporty"
    assert text_for(Persona.COOKING, "plain", variants) == "plain"
    assert text_for(Persona.ADVENTURE, "plain", variants) == "plain"
    assert text_for(Persona.NORMAL, "plain", variants) == "plain"
