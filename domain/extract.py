"""The tutor's answer without a language model: the course's own sentences that answer.

Quoting whole chunks reads like search results (a heading run into the text, a passage
that starts mid-thought, three quotes of one place). Instead the passages are cut into
sentences and list items, each scored by the question's terms it contains (weighted by
how rare the term is in the course), and the best few are quoted — about WORD_BUDGET
words, from more than one place when another is nearly as relevant — under their
section's name, lists kept as lists, each quote ending with its passage number so the
citations become buttons. A learner with a persona reads the persona's retelling of a
topic where the course has one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.lexical import terms

WORD_BUDGET = 120
MAX_QUOTES = 3
RELEVANT_SHARE = 0.5  # a second place is quoted when its best is this close to the best
PER_PLACE = 2  # sentences from one place at most

OPENING = "*Quoted from the course material* — no AI model is configured, so these are the "
OPENING += "course's own words on your question:"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(*`])")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")


@dataclass(frozen=True)
class Source:
    """A passage to quote from: its number (for the citation), label and text."""

    number: int
    label: str
    text: str  # Markdown, without the chunk's heading trail (the label says it)
    place: str  # which topic or document it is, so one place isn't quoted three times


@dataclass(frozen=True)
class _Unit:
    source: Source
    order: int
    text: str
    item: bool
    score: float

    @property
    def words(self) -> int:
        return len(self.text.split())


def quote_answer(
    question: str, sources: Sequence[Source], term_weights: Mapping[str, float]
) -> str:
    """The Markdown answer: the opening line, then a quote per chosen place."""
    wanted = set(terms(question))
    units = [u for s in sources for u in _units(s, wanted, term_weights)]
    chosen = _choose(units)
    if not chosen:
        return OPENING + "\n\n" + "I found nothing in the course that matches your question."
    parts = [OPENING]
    by_source: dict[int, list[_Unit]] = {}
    for unit in chosen:
        by_source.setdefault(unit.source.number, []).append(unit)
    for number in sorted(by_source):
        group = sorted(by_source[number], key=lambda u: u.order)
        parts.append(_render(group))
    return "\n\n".join(parts)


def _units(source: Source, wanted: set[str], weights: Mapping[str, float]) -> list[_Unit]:
    units: list[_Unit] = []
    for block in source.text.split("\n\n"):
        block = block.strip()
        if not block or block.startswith(("```", "#", "|")):
            continue
        lines = block.splitlines()
        if all(_ITEM.match(line) or line.startswith("  ") for line in lines):
            pieces = [(_ITEM.sub("", line).strip(), True) for line in lines if _ITEM.match(line)]
        else:
            flat = " ".join(line.strip() for line in lines)
            pieces = [(sentence, False) for sentence in _SENTENCE_END.split(flat)]
        for text, item in pieces:
            if len(text.split()) < 3:
                continue
            found = set(terms(text)) & wanted
            score = sum(weights.get(t, 1.0) for t in found) / math.sqrt(len(text.split()) / 12 + 1)
            units.append(_Unit(source, len(units), text, item, score))
    return units


def _choose(units: list[_Unit]) -> list[_Unit]:
    if not units:
        return []
    ranked = sorted(units, key=lambda u: (-u.score, u.source.number, u.order))
    best = ranked[0]
    if best.score <= 0:  # matched by meaning, not words: the top passage's opening
        first = [u for u in units if u.source.number == best.source.number]
        return _within_budget(first)
    chosen: list[_Unit] = []
    places: dict[str, int] = {}
    words = 0
    for unit in ranked:
        if unit.score < RELEVANT_SHARE * best.score or len(chosen) >= MAX_QUOTES * PER_PLACE:
            break
        if places.get(unit.source.place, 0) >= PER_PLACE:
            continue
        if chosen and words + unit.words > WORD_BUDGET:
            continue
        chosen.append(unit)
        places[unit.source.place] = places.get(unit.source.place, 0) + 1
        words += unit.words
        if len(places) >= MAX_QUOTES and words >= WORD_BUDGET // 2:
            break
    # The best sentence's next one finishes its thought, when there is room.
    following = [u for u in units if u.source is best.source and u.order == best.order + 1]
    if following and following[0] not in chosen and words + following[0].words <= WORD_BUDGET:
        chosen.append(following[0])
    return chosen


def _within_budget(units: list[_Unit]) -> list[_Unit]:
    kept, words = [], 0
    for unit in units:
        if kept and words + unit.words > WORD_BUDGET:
            break
        kept.append(unit)
        words += unit.words
    return kept


def _render(group: list[_Unit]) -> str:
    """The place's label as a heading, then its quotes: prose as a paragraph, list items
    as a list (Markdown blocks, so the chat shows them as such)."""
    source = group[0].source
    blocks: list[list[str]] = [[f"**{source.label}**"]]
    previous: _Unit | None = None
    for unit in group:
        text = " ".join(unit.text.split())
        if unit.item:
            if previous is None or not previous.item:
                blocks.append([])
            blocks[-1].append(f"- {text}")
        elif previous is not None and not previous.item:
            skipped = unit.order != previous.order + 1
            blocks[-1][-1] += f" … {text}" if skipped else f" {text}"
        else:
            blocks.append([text])
        previous = unit
    blocks[-1][-1] += f" [{source.number}]"
    return "\n\n".join("\n".join(block) for block in blocks)
