"""Course ratings as the learner sees them: the stars to pick, the thanks, what learners
say. Reviews are shown without names, escaped: a tag or a link in one is just text."""

from __future__ import annotations

from html import escape
from uuid import UUID

from bot.views.screen import Button, Screen, button
from domain.ratings import COMMENT_LIMIT, SHOWN_FROM, CourseReview, Standing, Summary
from domain.wording import count

TITLE = "⭐ <b>Rate {name}</b>"


def stars(n: int) -> str:
    return "★" * n + "☆" * (5 - n)


def rating_line(ratings: int, average: float | None) -> str | None:
    """A course card's line: the average only from `SHOWN_FROM` ratings up."""
    if average is None:
        return None
    return f"Rating: ★ {average:.1f} ({count(ratings, 'rating')})"


def rate_button(course: UUID) -> Button:
    return button("⭐ Rate this course", "rate_menu", course=course)


def _back(course: UUID) -> list[Button]:
    return [button("⬅ Course", "course_menu", course=course)]


def rate_screen(standing: Standing, mine: CourseReview | None) -> Screen:
    lines = [TITLE.format(name=escape(standing.course_name)), ""]
    if mine is not None:
        lines.append(f"Your rating: {stars(mine.rating)}")
        if mine.comment:
            lines.append(f"“{escape(mine.comment)}”")
        lines += ["", "Change it with a tap:"]
    else:
        lines.append("How was it? Your rating helps other learners choose.")
    picks = [
        button(
            ("✓ " if mine and mine.rating == n else "") + f"{n}★",
            "rate",
            course=standing.course_id,
            stars=n,
        )
        for n in range(1, 6)
    ]
    return Screen("\n".join(lines), [picks, _back(standing.course_id)])


def rated(review: CourseReview) -> Screen:
    lines = [
        TITLE.format(name=escape(review.course_name)),
        "",
        f"Thank you! Your rating: {stars(review.rating)}",
    ]
    if review.comment:
        lines.append(f"“{escape(review.comment)}”")
        lines += ["", "<code>/rate your words</code> changes your words."]
    else:
        lines += [
            "",
            "Add a few words for other learners if you like: send "
            f"<code>/rate your words</code> (up to {COMMENT_LIMIT:,} characters).",
        ]
    return Screen("\n".join(lines), [_back(review.course_id)])


def choose(standings: list[Standing]) -> Screen:
    if not standings:
        return Screen(
            "⭐ <b>Rate a course</b>\n\nYou can rate a course once you have completed it "
            "(some courses: once you have completed their first module)."
        )
    rows = [[button(f"⭐ {s.course_name}", "rate_menu", course=s.course_id)] for s in standings]
    return Screen("⭐ <b>Rate a course</b>\n\nWhich one?", rows)


def summary(name: str, course: UUID, found: Summary) -> Screen:
    lines = [f"💬 <b>What learners say about {escape(name)}</b>", ""]
    if found.average is not None:
        lines += [f"★ {found.average:.1f} from {count(found.count, 'rating')}", ""]
    elif found.count:
        lines += [f"Fewer than {SHOWN_FROM} ratings so far: no average yet.", ""]
    for review in found.recent:
        lines += [f"{stars(review.rating)} “{escape(review.comment or '')}”", ""]
    if not found.recent:
        lines.append("No reviews with words yet.")
    return Screen("\n".join(lines).rstrip(), [[button("⬅ Course", "course", course=course)]])
