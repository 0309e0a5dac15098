"""Ask the tutor: typed questions, curated suggestions, /newchat.

A typed question gets a placeholder at once, which grows as the model streams and ends as
the answer with its sources; whatever goes wrong ends in an honest line in its place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.callbacks import Action
from bot.context import TutorContext
from bot.handlers.profile import profile_of
from bot.handlers.render import show
from bot.inbox import is_transient
from bot.streaming import StreamingMessage
from bot.views import tutor as views
from bot.views.refusals import refusal_text
from bot.views.screen import Screen
from domain.errors import AccessDenied
from domain.retrieval import EmbeddingModelMismatch
from domain.tutor import AskContext, ModelUnavailable, NotCovered, QuotaExhausted
from domain.users import User


async def question(update: Update, context: TutorContext) -> None:
    message = update.effective_message
    if message is None or message.text is None or update.effective_chat is None:
        return
    user = await context.services.users.register(profile_of(update.effective_user))
    tutor = context.services.tutor
    try:
        ctx = await tutor.context(user.id, update.effective_chat.id)
    except AccessDenied as denied:
        await show(update, Screen(refusal_text(denied)))
        return
    if ctx.quiz_running is not None:
        await show(update, views.paused_for_quiz(ctx.quiz_running))
        return
    metrics = context.services.metrics
    if ctx.remaining == 0 and not await tutor.counted(update.update_id):
        metrics.inc("tutorbot_questions_refused_total")
        offers = await tutor.suggestions(ctx.course_id, topic=ctx.topic)
        await show(update, views.quota_exhausted(ctx, offers))
        return
    placeholder = await message.reply_text(views.THINKING)
    async with _dropped_if_retried(placeholder):
        await _answer_question(update, context, ctx, message.text, placeholder)


async def _answer_question(
    update: Update, context: TutorContext, ctx: AskContext, text: str, placeholder: Message
) -> None:
    tutor = context.services.tutor
    metrics = context.services.metrics
    stream = _streaming(context, placeholder)
    try:
        reply = await tutor.ask(ctx, text, stream.update, request_id=update.update_id)
    except QuotaExhausted:  # the last ones went to questions sent at the same moment
        metrics.inc("tutorbot_questions_refused_total")
        offers = await tutor.suggestions(ctx.course_id, topic=ctx.topic)
        await _replace(placeholder, [views.quota_exhausted(ctx, offers)])
        return
    except NotCovered as refused:
        metrics.inc("tutorbot_questions_not_covered_total")
        await _replace(placeholder, [views.not_covered(ctx, refused.reply, refused.taught_later)])
        return
    except ModelUnavailable as failed:
        metrics.inc("tutorbot_model_failures_total")
        await _replace(placeholder, [views.model_failed(failed.kind)])
        return
    except EmbeddingModelMismatch:
        await _replace(placeholder, [views.index_not_ready()])
        return
    metrics.inc("tutorbot_questions_answered_total")
    offers = await tutor.suggestions(ctx.course_id, topic=ctx.topic)
    await _replace(placeholder, views.answer(reply, ctx, offers))


async def new_chat(update: Update, context: TutorContext) -> None:
    user = await context.services.users.register(profile_of(update.effective_user))
    assert update.effective_chat is not None
    try:
        ctx = await context.services.tutor.new_thread(user.id, update.effective_chat.id)
    except AccessDenied as denied:
        await show(update, Screen(refusal_text(denied)))
        return
    await show(update, views.new_thread(ctx))


async def _ask_hint(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    assert a.course is not None and a.module is not None and a.topic is not None
    tutor = context.services.tutor
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    # Opening the topic made it the chat's place; ask for that context explicitly anyway.
    view = await context.services.learning.open_topic(
        user.id, chat_id, a.course, a.module, a.topic, 0
    )
    ctx = await tutor.context(user.id, chat_id)
    offers = await tutor.suggestions(a.course, topic=(a.module, a.topic))
    screen = views.ask_hint(ctx, view.topic.title, offers)
    await context.bot.send_message(
        chat_id, screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.markup
    )
    return None


async def _suggestion(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    assert a.suggestion is not None and update.effective_chat is not None
    tutor = context.services.tutor
    chat_id = update.effective_chat.id
    placeholder = await context.bot.send_message(chat_id, views.THINKING)
    async with _dropped_if_retried(placeholder):
        stream = _streaming(context, placeholder)
        try:
            got = await tutor.ask_suggestion(
                user.id, a.suggestion, stream.update, request_id=update.update_id
            )
        except AccessDenied as denied:
            await _replace(placeholder, [Screen(refusal_text(denied))])
            return None
        except ModelUnavailable as failed:
            context.services.metrics.inc("tutorbot_model_failures_total")
            await _replace(placeholder, [views.model_failed(failed.kind)])
            return None
        except EmbeddingModelMismatch:
            await _replace(placeholder, [views.index_not_ready()])
            return None
        context.services.metrics.inc("tutorbot_suggestions_shown_total")
        screens = views.answer(got.answer, got.context, got.follow_ups, title=got.suggestion.prompt)
        await _replace(placeholder, screens)
    return None


@asynccontextmanager
async def _dropped_if_retried(placeholder: Message) -> AsyncIterator[None]:
    """When the database or Telegram fails on the way, the inbox handles the update again
    and that run sends a placeholder of its own: this one is deleted (if Telegram lets us)
    rather than left in the chat saying it is still looking, forever."""
    try:
        yield
    except Exception as exc:
        if is_transient(exc):  # the inbox will handle the update again
            with suppress(TelegramError):
                await placeholder.delete()
        raise


def _streaming(context: TutorContext, placeholder: Message) -> StreamingMessage:
    interval = context.services.settings.stream_edit_seconds
    return StreamingMessage(
        context.bot, placeholder.chat_id, placeholder.message_id, interval=interval
    )


async def _replace(placeholder: Message, screens: list[Screen]) -> None:
    """The placeholder becomes the first screen; any further pages follow as messages."""
    first, *rest = screens
    await placeholder.edit_text(
        first.text,
        parse_mode=ParseMode.HTML,
        reply_markup=first.markup,
        disable_web_page_preview=True,
    )
    for screen in rest:
        await placeholder.get_bot().send_message(
            placeholder.chat_id,
            screen.text,
            parse_mode=ParseMode.HTML,
            reply_markup=screen.markup,
            disable_web_page_preview=True,
        )


BUTTONS = {"ask": _ask_hint, "suggestion": _suggestion}
