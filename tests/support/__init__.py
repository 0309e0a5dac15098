"""Helpers shared by tests: the Bot API spec for the emulator and the conversation helper."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.emulator import BotApiSpec
from tests.support.dialogue import Dialogue

API_SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "bot-api" / "api.json"


@cache
def bot_api_spec() -> BotApiSpec:
    """The Bot API description, parsed once per test session (it is ~1 MB of JSON)."""
    return BotApiSpec.load(API_SPEC_PATH)


__all__ = ["API_SPEC_PATH", "Dialogue", "bot_api_spec"]
