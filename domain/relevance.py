"""Whether the course is about what a question asks: the gate before a typed slot is spent.

A course's text is a language of its own: "gradient", "overfitting" or "label" occur in it
far more often than in everyday English, while "time", "good" or "Paris" occur no more
often, or not at all. The gate compares, for each word of the question, its frequency in
the course with its frequency in everyday language (`Background`, e.g. wordfreq's lists):

* **specificity**: the sum over the question's words of how many times more common they
  are in the course than in everyday language (as a log-ratio, counting only words the
  course uses more), so one course term makes a question about the course;
* **known share**: the share of the question's information (a word's everyday rarity,
  -log frequency) carried by words the course uses at all, so "how do I learn to play
  the guitar?" is off topic although the course says "learn" a lot — unless the
  question is full of course language (CLEARLY_SPECIFIC) and only wrapped in other words.

Both thresholds were calibrated on in-scope questions (the retrieval sets' tune splits and
the demo course's 48) against tests/data/off_topic.txt (greetings, chit-chat, gibberish,
other subjects); benchmarks/retrieval_quality.py prints both error rates. A question made
only of numbers or symbols ("1.5", "@@") is not one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from domain.lexical import LANGUAGE, idf, terms
from domain.retrieval import SearchResults

Background = Callable[[str], float]  # a word's frequency in everyday language, 0..1

MIN_SPECIFICITY = 2.0
MIN_KNOWN_SHARE = 0.5
CLEARLY_SPECIFIC = 10.0  # this much course language answers whatever else is said
_RAREST = 1e-8  # what an unknown word's everyday frequency counts as
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:[-_][^\W_]+)*")


@dataclass(frozen=True)
class Verdict:
    on_topic: bool
    specificity: float
    known_share: float


def coverage(
    terms: Sequence[str],
    document_frequency: Mapping[str, int],
    documents: int,
    matched: Collection[str],
) -> float:
    """The IDF-weighted share of `terms` in `matched` (0 when there are no terms)."""
    weights = {t: idf(document_frequency.get(t, 0), documents) for t in terms}
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in matched) / total


def judge(
    question: str,
    results: SearchResults,
    background: Background,
    *,
    language: str = LANGUAGE,
) -> Verdict:
    """Is the question about this course? Needs the search's term counts for it."""
    if not results or results.total_terms <= 0:
        return Verdict(False, 0.0, 0.0)
    specificity = known = information = 0.0
    for word in dict.fromkeys(w.casefold() for w in _WORD.findall(question)):
        found = terms(word, language)
        if not found or len(word) < 2:
            continue  # a stop word, or a single letter
        count = max((results.term_counts.get(t, 0) for t in found), default=0)
        frequency = background(word)
        if not count and not frequency:
            continue  # in neither the course nor the language: a typo or an id, no evidence
        everyday = max(frequency, _RAREST)
        weight = -math.log(everyday)
        information += weight
        if count:
            known += weight
            specificity += max(math.log(count / results.total_terms / everyday), 0.0)
    if information == 0:
        return Verdict(False, 0.0, 0.0)
    share = known / information
    on_topic = specificity >= MIN_SPECIFICITY and (
        share >= MIN_KNOWN_SHARE or specificity >= CLEARLY_SPECIFIC
    )
    return Verdict(on_topic, specificity, share)
