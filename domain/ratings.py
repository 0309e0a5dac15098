"""Course ratings and reviews: 1–5 stars and a few words, once per learner and course.

A learner may rate a course once they have been through it: completed it, or (the
author's choice, `reviews_after: first_module`) completed its first module. Rating again
changes the stars; the words are kept until changed. A course's average is shown only
from `SHOWN_FROM` ratings up, so one vote cannot define a course. Staff hide a review
that breaks the rules (audited): it stays, but counts for nothing and is shown nowhere.
The words are plain text, shown escaped: a link or a tag in a review is just characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain.admin import Action, AdminService, Done
from domain.clock import Clock, utc_now
from domain.errors import NotFound, RatingRefused, Reason

STARS = range(1, 6)
COMMENT_LIMIT = 1000  # characters: a few sentences
SHOWN_FROM = 3  # ratings before a course's average is shown
LISTED = 5  # reviews with words shown on a course's reviews screen


class ReviewsAfter(StrEnum):
    COURSE = "course"
    FIRST_MODULE = "first_module"


@dataclass(frozen=True)
class Standing:
    """Where a learner stands with a course, as rating needs it."""

    course_id: UUID
    course_name: str
    reviews_after: ReviewsAfter
    completed: bool  # the whole course
    first_module_done: bool

    @property
    def may_rate(self) -> bool:
        if self.reviews_after is ReviewsAfter.FIRST_MODULE:
            return self.first_module_done or self.completed
        return self.completed


@dataclass(frozen=True)
class CourseReview:
    course_id: UUID
    course_name: str
    rating: int
    comment: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Summary:
    """A course's ratings: how many, the average (None below `SHOWN_FROM`), and a few
    recent reviews with words."""

    count: int
    average: float | None
    recent: list[CourseReview]


def shown_average(count: int, total: int) -> float | None:
    return round(total / count, 1) if count >= SHOWN_FROM else None


def clean_comment(text: str) -> str:
    body = " ".join(text.split())  # one paragraph: a review is read in a list
    if not body:
        raise RatingRefused(Reason.REVIEW_EMPTY)
    if len(body) > COMMENT_LIMIT:
        raise RatingRefused(Reason.REVIEW_TOO_LONG, limit=COMMENT_LIMIT, length=len(body))
    return body


class RatingStore(Protocol):
    async def standing(self, user_id: int, course_id: UUID) -> Standing | None:
        """None unless the learner is enrolled (not suspended) in the published course."""
        ...

    async def rateable(self, user_id: int) -> list[Standing]:
        """The learner's courses they may rate now."""
        ...

    async def rate(self, user_id: int, course_id: UUID, rating: int, at: datetime) -> CourseReview:
        """Insert or change the stars (the words stay)."""
        ...

    async def comment(
        self, user_id: int, course_id: UUID, text: str, at: datetime
    ) -> CourseReview | None:
        """Set the words of an existing review; None when there is none."""
        ...

    async def mine(self, user_id: int, course_id: UUID) -> CourseReview | None: ...

    async def latest(self, user_id: int) -> CourseReview | None:
        """The learner's most recently changed review."""
        ...

    async def summary(self, course_id: UUID, listed: int) -> Summary: ...

    async def hide(self, user_id: int, course_id: UUID, reason: str, at: datetime) -> bool:
        """Hide a visible review; False when there is none (or it is hidden already)."""
        ...


class RatingService:
    def __init__(self, store: RatingStore, admin: AdminService, clock: Clock = utc_now) -> None:
        self._store = store
        self._admin = admin
        self._clock = clock

    async def _rateable(self, user_id: int, course_id: UUID) -> Standing:
        standing = await self._store.standing(user_id, course_id)
        if standing is None:
            raise NotFound(Reason.COURSE_GONE)
        if not standing.may_rate:
            raise RatingRefused(Reason.NOT_RATEABLE_YET, after=standing.reviews_after.value)
        return standing

    async def offer(self, user_id: int, course_id: UUID) -> tuple[Standing, CourseReview | None]:
        """The rating screen of a course: refused until the learner may rate it."""
        standing = await self._rateable(user_id, course_id)
        return standing, await self._store.mine(user_id, course_id)

    async def rateable(self, user_id: int) -> list[Standing]:
        return await self._store.rateable(user_id)

    async def rate(self, user_id: int, course_id: UUID, stars: int) -> CourseReview:
        if stars not in STARS:
            raise RatingRefused(Reason.BAD_RATING)
        await self._rateable(user_id, course_id)
        return await self._store.rate(user_id, course_id, stars, self._clock())

    async def comment(self, user_id: int, course_id: UUID, text: str) -> CourseReview:
        """The words of a review; the stars come first."""
        body = clean_comment(text)
        await self._rateable(user_id, course_id)
        review = await self._store.comment(user_id, course_id, body, self._clock())
        if review is None:
            raise RatingRefused(Reason.RATE_FIRST)
        return review

    async def comment_latest(self, user_id: int, text: str) -> CourseReview:
        """`/rate words`: the words go to the course the learner rated last."""
        body = clean_comment(text)
        latest = await self._store.latest(user_id)
        if latest is None:
            raise RatingRefused(Reason.RATE_FIRST)
        return await self.comment(user_id, latest.course_id, body)

    async def summary(self, course_id: UUID) -> Summary:
        return await self._store.summary(course_id, LISTED)

    async def hide(self, actor: int, ref: str, slug: str, reason: str) -> Done:
        """Staff hide a learner's review of a course (audited, with the reason)."""
        staff, person, course = await self._admin.person_in_course(
            actor, Action.HIDE_REVIEW, ref, slug
        )
        why = " ".join(reason.split())[:200]
        changed = await self._store.hide(person.id, course.id, why, self._clock())
        await self._admin.record(
            staff, Action.HIDE_REVIEW, ref, "done", {"course": course.slug, "changed": changed}
        )
        if not changed:
            return Done(
                f"Nothing to hide: {person.label} has no visible review of {course.slug}.",
                changed=False,
            )
        return Done(f"{person.label}'s review of {course.slug} is hidden.")
