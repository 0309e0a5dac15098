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

A broad course (an encyclopaedia's worth of articles) speaks nearly everyday English, so
its words say little; there the evidence is a **passage**: one of the best few hits
carries most of the question's information and uses those words far more than everyday
language does ("who bought the old London bridge?" against the article that tells it).
Either kind of evidence is enough.

The thresholds were calibrated on in-scope questions (the retrieval sets' tune splits and
the demo course's 48) against tests/data/off_topic.txt (greetings, chit-chat, gibberish,
other subjects); benchmarks/retrieval_quality.py prints both error rates, and
docs/retrieval.md keeps them. A question made only of numbers or symbols ("1.5", "@@") is
not one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from domain.lexical import LANGUAGE, idf, terms
from domain.retrieval import SearchHit, SearchResults

Background = Callable[[str], float]  # a word's frequency in everyday language, 0..1

MIN_SPECIFICITY = 1.5
MIN_KNOWN_SHARE = 0.5
CLEARLY_SPECIFIC = 8.0  # this much course language answers whatever else is said
MIN_PASSAGE_SHARE = 0.5
MIN_PASSAGE_SPECIFICITY = 7.0
TAUGHT_LATER_MARGIN = 0.1  # how much more of the question a locked passage must carry
PASSAGES = 3  # how many of the best hits may each be the passage that supports a question
_RAREST = 1e-8  # what an unknown word's everyday frequency counts as
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:[-_][^\W_]+)*")


@dataclass(frozen=True)
class Verdict:
    on_topic: bool
    specificity: float
    known_share: float
    passage_share: float = 0.0  # of the passage that supports it best, of the first few
    passage_specificity: float = 0.0
    passage: int | None = None  # which hit that passage is (its index in the results)

    @property
    def passage_supported(self) -> bool:
        """One retrieved passage, on its own, is about the question."""
        return (
            self.passage_share >= MIN_PASSAGE_SHARE
            and self.passage_specificity >= MIN_PASSAGE_SPECIFICITY
        )

    @property
    def may_be_taught_later(self) -> bool:
        """No open passage is about it, but the course knows some of its words: a locked
        module may be (see `taught_later`)."""
        return not self.passage_supported and self.known_share > 0


@dataclass(frozen=True)
class _Word:
    terms: tuple[str, ...]
    in_course: int  # how often the course uses it
    everyday: float  # its frequency in everyday language, at least _RAREST

    @property
    def information(self) -> float:
        return -math.log(self.everyday)

    def specificity(self, count: int, total: float) -> float:
        """How many times (as a log) more often a text of `total` terms uses it."""
        return max(math.log(count / total / self.everyday), 0.0) if count else 0.0


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
    words = _evidence(question, results, background, language)
    information = sum(w.information for w in words)
    if information == 0:
        return Verdict(False, 0.0, 0.0)
    specificity = sum(w.specificity(w.in_course, results.total_terms) for w in words)
    share = sum(w.information for w in words if w.in_course) / information
    verdict = max(
        (
            Verdict(False, specificity, share, *_passage(hit, words), n)
            for n, hit in enumerate(results[:PASSAGES])
        ),
        key=lambda v: (v.passage_supported, v.passage_share),
    )
    course_language = specificity >= MIN_SPECIFICITY and (
        share >= MIN_KNOWN_SHARE or specificity >= CLEARLY_SPECIFIC
    )
    return replace(verdict, on_topic=course_language or verdict.passage_supported)


def _evidence(
    question: str, results: SearchResults, background: Background, language: str
) -> list[_Word]:
    """The question's words that say something: not stop words or single letters, and
    known to the course or to the language (else a typo or an id, no evidence either way)."""
    words = []
    for word in dict.fromkeys(w.casefold() for w in _WORD.findall(question)):
        found = tuple(terms(word, language))
        if not found or len(word) < 2:
            continue
        count = max(results.term_counts.get(t, 0) for t in found)
        frequency = background(word)
        if count or frequency:
            words.append(_Word(found, count, max(frequency, _RAREST)))
    return words


def _passage(hit: SearchHit, words: Sequence[_Word]) -> tuple[float, float]:
    """The share of the question's information one passage carries, and its specificity,
    from the passage's own counts of the question's terms (what BM25 ranked it by)."""
    if not hit.length:
        return 0.0, 0.0
    known = specificity = 0.0
    for word in words:
        count = max(hit.term_frequencies.get(t, 0) for t in word.terms)
        if count:
            known += word.information
            specificity += word.specificity(count, hit.length)
    return known / sum(w.information for w in words), specificity


def taught_later(
    results: SearchResults, verdict: Verdict, max_module: int, open_share: float = 0.0
) -> tuple[int, int] | None:
    """The (module, topic) beyond `max_module` whose passage supports the question, from
    a search of the whole course and its verdict; None when no locked passage does, when
    an open one ranks above it (the open material is then the better answer), or when it
    carries barely more of the question than the best open passage did (`open_share`):
    a learner told "that's in Module 3" about a Module 1 question is misled. The topic is
    0 for reference material placed in the module."""
    if not verdict.passage_supported or verdict.passage is None:
        return None
    if verdict.passage_share < open_share + TAUGHT_LATER_MARGIN:
        return None
    if any((h.module_no or 0) <= max_module for h in results[: verdict.passage + 1]):
        return None
    hit = results[verdict.passage]
    return hit.module_no or 0, hit.topic_number or 0
