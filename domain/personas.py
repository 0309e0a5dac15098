"""Study personas: the same lesson told through a theme the learner likes (seed 000)."""

from __future__ import annotations

from enum import StrEnum


class Persona(StrEnum):
    NORMAL = "normal"
    SPORTS = "sports"
    COOKING = "cooking"
    ADVENTURE = "adventure"


# The normal persona reads the topic's default text; these have variants of their own.
VARIANT_PERSONAS = (Persona.SPORTS, Persona.COOKING, Persona.ADVENTURE)


def text_for(persona: Persona, default: str, variants: dict[Persona, str | None]) -> str:
    """The persona's variant when the author wrote one, otherwise the default text."""
    if persona is Persona.NORMAL:
        return default
    return variants.get(persona) or default
