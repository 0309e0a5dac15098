"""Spaced review as the learner sees it: the session's first line, a card as a quiz poll
(or with buttons where a poll cannot carry it), the verdict, and the end of the day."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from bot.views.clock import local_time, until
from bot.views.quiz import LETTERS
from bot.views.screen import Button, Screen, button
from domain.review.model import DueCard, PollCard, Queue, ReviewAnswer
from domain.wording import count

TITLE = "🔁 <b>Review</b>"
HOME = button("🏠 Home", "home")


def _left(queue: Queue) -> str:
    more = " · more wait for tomorrow" if queue.capped else ""
    return f"{count(queue.left, 'card')} due today{more}"


def intro(queue: Queue) -> Screen:
    """The first message of a session; the cards follow one at a time."""
    return Screen(
        f"{TITLE} · {_left(queue)}\n\nAnswer each question to get the next one. "
        "⏭ <i>Later</i> puts a card off for an hour; cards you know well come back less "
        "and less often."
    )


def poll_keyboard(ask: int, left: int | None) -> list[list[Button]]:
    """Under a card: put it off, or stop for now (and how many would wait)."""
    more = f" · {left - 1} more" if left is not None and left > 1 else ""
    return [[button("⏭ Later", "review_later", ask=ask), button(f"⏹ Stop{more}", "review_stop")]]


def poll(card: PollCard, ask: int, left: int) -> dict[str, Any]:
    """sendPoll's parameters for a card (chat_id aside): a non-anonymous quiz, so the
    answer comes back as a poll_answer naming the learner."""
    return {
        "question": card.question,
        "options": [{"text": text} for text in card.options],
        "type": card.type,
        "is_anonymous": card.is_anonymous,
        "allows_multiple_answers": card.allows_multiple_answers,
        "correct_option_ids": list(card.correct_option_ids),
        "explanation": card.explanation or None,
        "reply_markup": {"inline_keyboard": poll_keyboard(ask, left)},
    }


def question(due: DueCard, ask: int, left: int | None, mask: int = 0) -> Screen:
    """A card Telegram's poll limits cannot carry, asked with buttons like a quiz question;
    several right options are ticked, then submitted. `left`: the session's cards left,
    this one included (None: not known, on a tick)."""
    prompt = due.prompt
    title = TITLE if left is None else f"{TITLE} · {count(left, 'card')} left"
    lines = [title, "", f"<b>{escape(prompt.question)}</b>", ""]
    lines += [f"{LETTERS[i]}) {escape(text)}" for i, text in enumerate(prompt.options)]
    rows: list[list[Button]] = []
    if len(prompt.correct) > 1:
        lines += ["", "<i>Tick every right option, then submit.</i>"]
        for i, text in enumerate(prompt.options):
            ticked = "☑" if mask & (1 << i) else "☐"
            rows.append(
                [
                    button(
                        f"{ticked} {LETTERS[i]}) {text}",
                        "review_toggle",
                        ask=ask,
                        mask=mask ^ (1 << i),
                    )
                ]
            )
        rows.append([button("Submit", "review_submit", ask=ask, mask=mask)])
    else:
        rows += [
            [button(f"{LETTERS[i]}) {text}", "review_answer", ask=ask, option=i)]
            for i, text in enumerate(prompt.options)
        ]
    return Screen("\n".join(lines), rows + poll_keyboard(ask, left))


def verdict(answer: ReviewAnswer, now: datetime) -> Screen:
    """A card answered with buttons, kept in the chat with the right answer and when it
    comes back."""
    prompt, card = answer.prompt, answer.card
    assert prompt is not None and card is not None
    right = ", ".join(f"{LETTERS[i]}) {escape(prompt.options[i])}" for i in sorted(prompt.correct))
    lines = [TITLE, "", f"<b>{escape(prompt.question)}</b>", ""]
    lines.append("✅ Right." if answer.right else f"❌ Not quite. The answer: {right}")
    if prompt.explanation:
        lines += ["", escape(prompt.explanation)]
    lines += ["", f"<i>Next time: {until(card.due, now)}.</i>"]
    return Screen("\n".join(lines))


def later(due: datetime, now: datetime) -> str:
    return f"⏭ Put off: back {until(due, now)}"


def done(queue: Queue, next_due: datetime | None, timezone: str | None, now: datetime) -> Screen:
    """The end of today's review: what was done, and when the next card is due."""
    answered = queue.answered_today.new + queue.answered_today.reviews
    lines = [TITLE, ""]
    if queue.capped:
        lines.append(
            f"That's today's share: {count(answered, 'card')} answered. "
            "More are due; they wait for tomorrow, so each gets your full attention."
        )
    elif answered:
        lines.append(f"✅ All done for today: {count(answered, 'card')} answered.")
        if next_due is not None:
            lines.append(f"The next card is due {local_time(next_due, timezone, now)}.")
    elif next_due is not None:
        lines.append(
            f"Nothing is due yet. The next card is due {local_time(next_due, timezone, now)}."
        )
    else:
        lines.append(
            "Nothing to review yet. Cards come from quiz questions you get wrong and from "
            "the review cards of the modules you have opened."
        )
    return Screen("\n".join(lines), [[HOME]])


def stopped(queue: Queue) -> Screen:
    left = f"{count(queue.left, 'card')} still due today. " if queue.left else ""
    return Screen(f"{TITLE}\n\n⏹ Stopped. {left}/review goes on when you like.", [[HOME]])


NOT_YOURS = (
    "That quiz was someone else's review card, so it counts for nothing here. /review asks yours."
)
STALE = "That card was answered already. /review shows what is due now."
GONE = "That card's question has left the course, so it's out of your review."
