"""Everyday language's word frequencies, for the tutor's relevance gate (domain.relevance).

wordfreq's lists (Speer et al.: Wikipedia, subtitles, books, the web and more, per
language) are what "everyday" means here; it reads its packaged data on first use.
"""

from __future__ import annotations

from functools import lru_cache

from domain.relevance import Background


def everyday(language: str = "en") -> Background:
    """A word's frequency in everyday `language`, remembered: a lookup costs ~20 µs and
    learners' words repeat."""
    from wordfreq import word_frequency

    @lru_cache(maxsize=65_536)
    def frequency(word: str) -> float:
        return word_frequency(word, language)

    return frequency
