"""/review: today's due cards one at a time, as native quiz polls where they fit.

A poll's answer comes back as a `poll_answer` update, which names the poll and the person
but no chat; the inbox orders it by that person (bot/transport/inbox.py), so it is
handled after the update that sent the poll, like every other update of theirs. Each
answer is applied once per ask (domain.review), so a re-delivered poll_answer or a
double tap changes nothing twice; the next card follows an answer applied now, or one
applied before whose next card never went out (a retry after a failure).
"""

from __future__ import annotations

import logging
from contextlib import suppress

from telegram import Update
from telegram.error import BadRequest, Forbidden

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command, refusal_screen, user_of
from bot.handlers.render import send
from bot.views import review as views
from bot.views.clock import zone
from bot.views.screen import plain
from domain.errors import AccessDenied, AnswerRejected, Reason
from domain.review.model import Applied, Queue
from domain.users import User

log = logging.getLogger(__name__)

BUTTONS = Buttons()


@command
async def review_command(context: TutorContext, user: User, update: Update) -> None:
    await _start(context, user, update.effective_chat.id if update.effective_chat else user.id)


@BUTTONS.on(press.Review)
async def _review(context: TutorContext, user: User, update: Update, _p: press.Review) -> Reply:
    await _start(context, user, update.effective_chat.id if update.effective_chat else user.id)
    return Reply()


async def on_poll_answer(update: Update, context: TutorContext) -> None:
    """A learner answered a card's poll. A poll we never sent, or a card's poll forwarded
    and answered by someone else, touches no deck (and registers nobody)."""
    answer = update.poll_answer
    if answer is None or answer.user is None or not answer.option_ids:
        return  # an anonymous vote, or a retracted one (a quiz cannot be retracted)
    reviews = context.services.reviews
    ask = await reviews.poll_ask(answer.poll_id, answer.user.id)
    if ask is None:
        log.info("poll_answer for poll %s, not one of %s's cards", answer.poll_id, answer.user.id)
        with suppress(Forbidden, BadRequest):  # they may never have started the bot
            await send(context.bot, answer.user.id, plain(views.NOT_YOURS))
        return
    user = await user_of(context, answer.user)
    try:
        answered = await reviews.answer_ask(ask, answer.option_ids, zone(user.timezone))
    except AccessDenied as refused:
        await send(context.bot, ask.chat_id, refusal_screen(refused))
        return
    match answered.answer.applied:
        case Applied.STALE:
            await send(context.bot, ask.chat_id, plain(views.STALE))
        case Applied.GONE:
            await send(context.bot, ask.chat_id, plain(views.GONE))
    if answered.next is not None:
        await _go_on(context, user, ask.chat_id, answered.next)


@BUTTONS.on(press.ReviewAnswer)
async def _answer(
    context: TutorContext, user: User, _u: Update, p: press.ReviewAnswer
) -> Reply | None:
    return await _by_button(context, user, p.ask, {p.option})


@BUTTONS.on(press.ReviewSubmit)
async def _submit(
    context: TutorContext, user: User, _u: Update, p: press.ReviewSubmit
) -> Reply | None:
    return await _by_button(
        context, user, p.ask, {i for i in range(len(views.LETTERS)) if p.mask & (1 << i)}
    )


@BUTTONS.on(press.ReviewToggle)
async def _toggle(context: TutorContext, user: User, _u: Update, p: press.ReviewToggle) -> Reply:
    ask = await context.services.reviews.button_ask(p.ask, user.id)
    if ask.answered or ask.card is None:
        raise AnswerRejected(Reason.ALREADY_ANSWERED)
    return Reply(views.question(ask.card, ask.id, None, mask=p.mask))


@BUTTONS.on(press.ReviewLater)
async def _later(context: TutorContext, user: User, _u: Update, p: press.ReviewLater) -> Reply:
    reviews = context.services.reviews
    ask = await reviews.button_ask(p.ask, user.id)
    moved = await reviews.later_ask(ask)
    if moved is None:
        raise AnswerRejected(Reason.ALREADY_ANSWERED)
    put_off = views.later(moved.due, reviews.now())
    await _go_on(context, user, ask.chat_id, await reviews.going_on(user.id, zone(user.timezone)))
    if ask.poll_id is None:  # the question with buttons says so in place
        return Reply(plain(f"{views.TITLE}\n\n{put_off}"), put_off)
    if ask.message_id is not None:  # a poll cannot be edited into text: it is closed
        with suppress(BadRequest):  # closed already
            await context.bot.post("stopPoll", chat_id=ask.chat_id, message_id=ask.message_id)
    return Reply(toast=put_off)


@BUTTONS.on(press.ReviewStop)
async def _stop(context: TutorContext, user: User, update: Update, _p: press.ReviewStop) -> Reply:
    queue = await context.services.reviews.going_on(user.id, zone(user.timezone))
    chat = update.effective_chat.id if update.effective_chat else user.id
    await send(context.bot, chat, views.stopped(queue))
    return Reply(toast="⏹ Stopped")


async def _by_button(context: TutorContext, user: User, ask_id: int, picked: set[int]) -> Reply:
    """The verdict replaces the question; the next card goes below it."""
    reviews = context.services.reviews
    answered = await reviews.answer_button(ask_id, user.id, picked, zone(user.timezone))
    if answered.next is None:  # answered before, and the session went on from there
        raise AnswerRejected(Reason.ALREADY_ANSWERED)
    await _go_on(context, user, answered.ask.chat_id, answered.next)
    if answered.answer.applied is Applied.GONE:
        return Reply(plain(views.GONE))
    toast = "✅ Right" if answered.answer.right else "❌ Not quite"
    return Reply(views.verdict(answered.answer, reviews.now()), toast)


async def _start(context: TutorContext, user: User, chat_id: int) -> None:
    queue = await context.services.reviews.start(user.id, zone(user.timezone))
    if not queue.done:
        await send(context.bot, chat_id, views.intro(queue))
    await _go_on(context, user, chat_id, queue)


async def _go_on(context: TutorContext, user: User, chat_id: int, queue: Queue) -> None:
    """The queue's next card, or the end of today's review."""
    reviews, due = context.services.reviews, queue.next
    if due is None:
        screen = views.done(queue, queue.next_due, user.timezone, reviews.now())
        await send(context.bot, chat_id, screen)
        return
    ask = reviews.new_ask_id()
    poll = reviews.as_poll(due)
    if poll is None:
        message = await send(context.bot, chat_id, views.question(due, ask, queue.left))
        await reviews.asked(due, ask, bot_id=context.bot.id, chat_id=chat_id, message_id=message)
        return
    sent = await context.bot.post("sendPoll", chat_id=chat_id, **views.poll(poll, ask, queue.left))
    await reviews.asked(
        due,
        ask,
        bot_id=context.bot.id,
        chat_id=chat_id,
        message_id=int(sent["message_id"]),
        poll_id=str(sent["poll"]["id"]),
    )
