"""Everyday language's word frequencies, for the tutor's relevance gate (domain.relevance).

wordfreq's lists (Speer et al.: Wikipedia, subtitles, books, the web and more, per
language) are what "everyday" means here; it reads its packaged data on first use.
"""

from __future__ import annotations

from functools import partial

from domain.relevance import Background


def everyday(language: str = "en") -> Background:
    from wordfreq import word_frequency

    return partial(word_frequency, lang=language)
