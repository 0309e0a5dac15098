"""Counts and articles in replies: "1 learner" / "2 learners", "a tutor" / "an admin".

Replies are built from numbers and names known only at run time, so the grammar has to be
computed too; one place does it, so no screen says "1 learners" or "is now tutor".
"""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes: ``count(1, "chunk")`` is "1 chunk"."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def a(noun: str) -> str:
    """The noun with its indefinite article, by its first letter (enough for our nouns)."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
