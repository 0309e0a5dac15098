"""Ask the tutor: typed questions, curated suggestions, /newchat.

A typed question gets a placeholder at once, which grows as the model streams and ends as
the answer with its sources; whatever goes wrong ends in an honest line in its place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from telegram import Message, Update
from telegram.error import TelegramError

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command, refusal_screen
from bot.handlers.render import edit, send
from bot.transport.inbox import is_transient
from bot.transport.streaming import StreamingMessage
from bot.views import tutor as views
from bot.views.screen import Screen
from domain.errors import AccessDenied
from domain.retrieval import EmbeddingModelMismatch
from domain.tutor import AskContext, ModelUnavailable, NotCovered, QuotaExhausted
from domain.users import User

BUTTONS = Buttons()


async def ask(context: TutorContext, user: User, update: Update) -> Reply | None:
    """A typed question for the tutor (bot/handlers/typed.py sends here what no screen
    awaits)."""
    message = update.effective_message
    if message is None or message.text is None or update.effective_chat is None:
        return None
    tutor = context.services.tutor
    ctx = await tutor.context(user.id, update.effective_chat.id)
    if ctx.quiz_running is not None:
        return Reply(views.paused_for_quiz(ctx.quiz_running))
    if ctx.remaining == 0 and not await tutor.counted(update.update_id):
        context.services.metrics.inc("tutorbot_questions_refused_total")
        offers = await tutor.suggestions(ctx.course_id, topic=ctx.topic)
        return Reply(views.quota_exhausted(ctx, offers))
    placeholder = await message.reply_text(views.THINKING)
    async with _dropped_if_retried(placeholder):
        await _answer_question(update, context, ctx, message.text, placeholder)
    return None


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


@command
async def new_chat(context: TutorContext, user: User, update: Update) -> Reply:
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    return Reply(views.new_thread(await context.services.tutor.new_thread(user.id, chat_id)))


@BUTTONS.on(press.AskHint)
async def _ask_hint(
    context: TutorContext, user: User, update: Update, p: press.AskHint
) -> Reply | None:
    tutor = context.services.tutor
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    # Opening the topic made it the chat's place; ask for that context explicitly anyway.
    view = await context.services.learning.open_topic(
        user.id, chat_id, p.course, p.module, p.topic, 0
    )
    ctx = await tutor.context(user.id, chat_id)
    offers = await tutor.suggestions(p.course, topic=(p.module, p.topic))
    await send(context.bot, chat_id, views.ask_hint(ctx, view.topic.title, offers))
    return None


@BUTTONS.on(press.Suggestion)
async def _suggestion(
    context: TutorContext, user: User, update: Update, p: press.Suggestion
) -> Reply | None:
    tutor = context.services.tutor
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    placeholder = await context.bot.send_message(chat_id, views.THINKING)
    async with _dropped_if_retried(placeholder):
        stream = _streaming(context, placeholder)
        try:
            got = await tutor.ask_suggestion(
                user.id, p.suggestion, stream.update, request_id=update.update_id
            )
        except AccessDenied as denied:  # in the placeholder's place, not as an alert
            await _replace(placeholder, [refusal_screen(denied)])
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
    bot = placeholder.get_bot()
    await edit(bot, placeholder.chat_id, placeholder.message_id, first)
    for screen in rest:
        await send(bot, placeholder.chat_id, screen)
