"""Course ratings' rules: who may rate when, the words a review keeps, when an average
is shown."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import RatingRefused, Reason
from domain.ratings import COMMENT_LIMIT, ReviewsAfter, Standing, clean_comment, shown_average


def standing(after: ReviewsAfter, *, completed: bool = False, first: bool = False) -> Standing:
    return Standing(uuid4(), "Tea", after, completed, first)


def test_a_course_is_rated_once_completed_or_after_its_first_module_when_the_author_says() -> None:
    assert not standing(ReviewsAfter.COURSE, first=True).may_rate
    assert standing(ReviewsAfter.COURSE, completed=True).may_rate
    assert standing(ReviewsAfter.FIRST_MODULE, first=True).may_rate
    assert standing(ReviewsAfter.FIRST_MODULE, completed=True).may_rate
    assert not standing(ReviewsAfter.FIRST_MODULE).may_rate


def test_the_average_shows_from_three_ratings() -> None:
    assert shown_average(0, 0) is None
    assert shown_average(2, 10) is None
    assert shown_average(3, 11) == 3.7


def test_a_review_is_one_paragraph_of_at_most_a_thousand_characters() -> None:
    assert clean_comment("  Clear\n\nand   practical ") == "Clear and practical"
    assert clean_comment("<b>bold</b> & https://x.org") == "<b>bold</b> & https://x.org"
    with pytest.raises(RatingRefused) as empty:
        clean_comment(" \n ")
    assert empty.value.reason is Reason.REVIEW_EMPTY
    with pytest.raises(RatingRefused) as long:
        clean_comment("x" * (COMMENT_LIMIT + 1))
    assert (long.value.limit, long.value.length) == (COMMENT_LIMIT, COMMENT_LIMIT + 1)
