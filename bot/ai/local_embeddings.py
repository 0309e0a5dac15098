"""An offline embedding backend that needs no model download, no network and no key.

Feature hashing of stemmed words, word pairs and character 4-grams into a fixed-size,
L2-normalised vector. It knows no synonyms, but together with full-text search in the
hybrid ranking it finds the right topic for plain questions about the course (measured
by tests/storage/test_retrieval_quality.py), which is what a newcomer's demo needs.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

_TOKEN = re.compile(r"[a-z][a-z0-9]+|[0-9]+")
_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can cannot could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not of off on once
    only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you
    your yours yourself yourselves also get got really thing things something way ways use
    used using one two mean means please tell explain like want know
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """A deliberately small suffix stripper: plurals, -ing, -ed, -ly."""
    for suffix, replacement, min_len in (
        ("ies", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 6),
        ("ed", "", 5),
        ("ly", "", 5),
        ("es", "", 5),
        ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) >= min_len and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + replacement
    return word


def features(text: str) -> Counter[str]:
    words = [stem(w) for w in _TOKEN.findall(text.lower()) if w not in _STOPWORDS]
    found: Counter[str] = Counter()
    for word in words:
        found["w:" + word] += 1
        padded = f"#{word}#"
        for i in range(len(padded) - 3):
            found["c:" + padded[i : i + 4]] += 1
    for left, right in pairwise(words):
        found[f"b:{left}_{right}"] += 1
    return found


_WEIGHTS = {"w": 1.0, "b": 0.6, "c": 0.18}


class LocalHashEmbedder:
    def __init__(self, dimensions: int = 1024) -> None:
        self._dimensions = dimensions
        self._slots: dict[str, tuple[int, float]] = {}

    @property
    def model(self) -> str:
        return f"local-hash-v1-{self._dimensions}"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.vector(text).tolist() for text in texts]

    def vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dimensions, dtype=np.float32)
        for feature, count in features(text).items():
            index, sign = self._slot(feature)
            vec[index] += sign * _WEIGHTS[feature[0]] * (1.0 + math.log(count))
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def _slot(self, feature: str) -> tuple[int, float]:
        slot = self._slots.get(feature)
        if slot is None:
            digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest())
            slot = (digest % self._dimensions, 1.0 if digest >> 63 else -1.0)
            if len(self._slots) < 500_000:
                self._slots[feature] = slot
        return slot
