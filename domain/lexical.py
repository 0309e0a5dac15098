"""The words a text is searched by, and how much a match on them is worth (BM25).

A learner's question is mostly about its rarest words: an acronym, a parameter name, an
operator. So terms keep what a technical text is made of — `snake_case` identifiers (and
their parts), hyphenated words (and their parts), decimals, and operators standing on
their own such as `@` or `**` — and everything else is lower-cased, stripped of stop
words and stemmed with the Snowball stemmer. Chunks and questions go through the same
function, so they always meet on the same terms.

BM25 (Robertson and Zaragoza, "The Probabilistic Relevance Framework", 2009) then weighs
a matched term by its rarity in the course (inverse document frequency) and by how often
it occurs in the chunk, saturating with `K1` and normalised by the chunk's length with
`B`. The parameters were tuned on the retrieval sets' `tune` splits
(benchmarks/retrieval_quality.py).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

VERSION = 1  # bump when terms() changes: stored postings are then rebuilt
LANGUAGE = "english"
K1 = 1.2
B = 0.75
MAX_QUERY_TERMS = 64

_OPERATORS = frozenset(
    [
        "@",
        "==",
        "!=",
        "<=",
        ">=",
        "->",
        "=>",
        "**",
        "//",
        "+=",
        "-=",
        "*=",
        "/=",
        ":=",
        "<<",
        ">>",
        "%",
        "^",
        "&",
        "|",
        "~",
        "+",
        "=",
        "<",
        ">",
    ]
)
_TOKEN = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)+)"  # 1.5, 0.001, 3,000
    r"|(?P<word>[^\W_]+(?:[_'-][^\W_]+)*)"  # words, snake_case, k-fold, learner's
    r"|(?P<op>(?<!\S)[^\w\s]{1,3}(?!\S))"  # an operator standing on its own
    r"|(?P<at>@)"
)
_SPLIT = re.compile(r"[_'-]")
_POSSESSIVE = re.compile(r"'s\b")

# Lucene's English stop words plus what questions are made of (question words, pronouns,
# auxiliaries, "explain"). Snowball's longer list also drops words that carry meaning in
# a question ("out", "before", "between", "more"); measured on the tune splits, the short
# list ranks as well or better (benchmarks/retrieval_quality.py).
_STOPWORD_TEXT = """
    a an and are as at be but by for if in into is it no not of on or such that the their
    then there these they this to was will with
    what what's how how's why why's when when's where where's which who who's whom whose
    do does did doing done i me my you your we us our he she him her his hers its it's
    i'm i've you're am been being were has have had having can could would should shall
    may might must tell explain please want wants know mean means meant like describe
    give show don't doesn't didn't isn't aren't
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


def terms(text: str, language: str = LANGUAGE) -> list[str]:
    """The text's search terms in order (repeats kept: they are the term frequencies)."""
    stem = _stemmer(language).stemWord
    folded = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    folded = _POSSESSIVE.sub("", folded)
    found: list[str] = []
    for match in _TOKEN.finditer(folded):
        kind, token = match.lastgroup, match.group()
        if kind == "word":
            parts = [p for p in _SPLIT.split(token) if p]
            if len(parts) == 1:
                if token not in _STOPWORDS:
                    found.append(stem(token) if token.isalpha() else token)
                continue
            if token in _STOPWORDS:  # don't, learner's
                continue
            if "_" in token or "-" in token:
                found.append(token)
            found += [stem(p) if p.isalpha() else p for p in parts if p not in _STOPWORDS]
        elif kind == "op":
            if token in _OPERATORS:
                found.append(token)
        else:
            found.append(token)
    return found


def term_counts(text: str, language: str = LANGUAGE) -> Counter[str]:
    return Counter(terms(text, language))


def query_terms(question: str, language: str = LANGUAGE) -> list[str]:
    """A question's distinct terms, first occurrence first, at most MAX_QUERY_TERMS."""
    return list(_query_terms(question, language))


@lru_cache(maxsize=4096)  # the same quiz questions and suggestions are read again and again
def _query_terms(question: str, language: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(terms(question, language)))[:MAX_QUERY_TERMS]


def idf(document_frequency: int, documents: int) -> float:
    """BM25's inverse document frequency, never negative (the "+1" variant of Lucene)."""
    return math.log(1 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


def term_weight(tf: int, length: int, average_length: float) -> float:
    """How much one chunk's occurrences of a term count before the term's IDF.

    Long chunks are discounted as in BM25, but a chunk shorter than average counts as
    average: a one-line glossary entry should not outrank the topic that explains the
    same term merely by being short (measured: the demo course's questions find their
    topic 0.917 -> 0.958, the tune splits unchanged)."""
    average = max(average_length, 1e-9)
    norm = K1 * (1 - B + B * max(length, average) / average)
    return tf * (K1 + 1) / (tf + norm)


@dataclass(frozen=True)
class CorpusStats:
    """What BM25 needs to know of the whole course: its size and its chunks' mean length."""

    documents: int
    average_length: float


class Bm25:
    """An in-memory BM25 index over a few texts, for decisions made at import time (which
    module a reference section belongs to); searching a course is done in the database."""

    def __init__(self, texts: Iterable[str], language: str = LANGUAGE) -> None:
        self._language = language
        self._counts = [term_counts(t, language) for t in texts]
        lengths = [sum(c.values()) for c in self._counts]
        self._lengths = lengths
        self.stats = CorpusStats(len(lengths), sum(lengths) / len(lengths) if lengths else 0.0)
        df: Counter[str] = Counter()
        for counts in self._counts:
            df.update(counts.keys())
        self._df: Mapping[str, int] = df

    def scores(self, text: str) -> list[float]:
        wanted = query_terms(text, self._language)
        result = []
        for counts, length in zip(self._counts, self._lengths, strict=True):
            result.append(
                sum(
                    idf(self._df[t], self.stats.documents)
                    * term_weight(counts[t], length, self.stats.average_length)
                    for t in wanted
                    if counts.get(t)
                )
            )
        return result
