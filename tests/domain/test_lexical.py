"""Search terms keep what technical text is made of, and BM25 prizes the rare ones."""

from __future__ import annotations

from domain.lexical import Bm25, query_terms, terms


def test_words_are_folded_stemmed_and_stripped_of_stop_words() -> None:
    assert terms("What does the Learning Rate mean?") == ["learn", "rate"]


def test_identifiers_keep_their_whole_form_and_their_parts() -> None:
    assert terms("set learning_rate") == ["set", "learning_rate", "learn", "rate"]
    assert terms("k-fold") == ["k-fold", "k", "fold"]


def test_acronyms_numbers_and_standalone_operators_are_terms() -> None:
    assert terms("MSE is 0.25") == ["mse", "0.25"]
    assert terms("A @ B and x ** 2") == ["@", "b", "x", "**", "2"]


def test_markdown_emphasis_is_not_an_operator() -> None:
    assert terms("a **bold** claim") == ["bold", "claim"]


def test_tsquery_syntax_is_just_text() -> None:
    assert query_terms("a & !b | (c") == ["&", "b", "|", "c"]


def test_a_question_repeats_no_term() -> None:
    assert query_terms("loss, loss and the loss") == ["loss"]


def test_a_rare_term_outranks_a_common_one() -> None:
    common = ["the mean of the values"] * 30
    texts = [*common, "AUC is the area under the ROC curve", "the mean and the mean again"]
    index = Bm25(texts)

    scores = index.scores("What does AUC mean?")

    assert max(range(len(texts)), key=scores.__getitem__) == 30
