"""The rules of a note: what is kept, what is refused, how a search reads its words."""

from __future__ import annotations

import pytest

from domain.errors import NoteRefused, Reason
from domain.notes import NOTE_LIMIT, clean_note, search_words


def test_a_note_is_kept_as_typed_without_the_surrounding_blanks() -> None:
    assert clean_note("  the loss is <b>a mean</b>\n\n") == "the loss is <b>a mean</b>"


def test_an_empty_note_is_refused() -> None:
    with pytest.raises(NoteRefused) as refused:
        clean_note(" \n\t ")
    assert refused.value.reason is Reason.NOTE_EMPTY


def test_a_note_over_the_limit_is_refused_with_its_length_never_cut() -> None:
    assert clean_note("x" * NOTE_LIMIT) == "x" * NOTE_LIMIT
    with pytest.raises(NoteRefused) as refused:
        clean_note("x" * (NOTE_LIMIT + 1))
    assert refused.value.reason is Reason.NOTE_TOO_LONG
    assert (refused.value.limit, refused.value.length) == (NOTE_LIMIT, NOTE_LIMIT + 1)


def test_a_search_is_its_first_words_case_folded_and_bounded() -> None:
    assert search_words("  Gradient   LOSS straße ") == ["gradient", "loss", "straße"]
    assert search_words("") == []
    assert len(search_words("w " * 50)) == 8
    assert search_words("y" * 500) == ["y" * 64]
