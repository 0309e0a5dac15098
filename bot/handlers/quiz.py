"""Module quizzes in the chat: /quiz and the quiz buttons.

An answered question stays in the chat with its verdict; the next question (or the
result) arrives as a new message below it.
"""

from __future__ import annotations

from contextlib import suppress
from uuid import UUID

from telegram import Update
from telegram.error import BadRequest

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.handlers.certificates import on_advance
from bot.handlers.render import edit, send, show
from bot.jobs.schedule import schedule_cooldown_release
from bot.views import quiz as views
from bot.views.screen import Screen
from domain.errors import AnswerRejected, Reason
from domain.quiz.model import Attempt, QuizResult
from domain.users import User

BUTTONS = Buttons()


@command
async def quiz_command(context: TutorContext, user: User, update: Update) -> Reply | None:
    """/quiz: back to the question the learner is on, wherever they left it."""
    attempt = await context.services.quizzes.open_attempt(user.id)
    if attempt is None:
        mine = await context.services.learning.my_courses(user.id)
        now = context.services.learning.now()
        return Reply(views.nothing_running(mine, user.timezone, now))
    await _show_question(context, user, update, attempt)
    return None


@BUTTONS.on(press.QuizIntro)
async def _intro(context: TutorContext, user: User, _u: Update, p: press.QuizIntro) -> Reply:
    quizzes = context.services.quizzes
    status = await quizzes.status(user.id, p.course, p.module)
    return Reply(views.intro(status, user.timezone, quizzes.now()))


@BUTTONS.on(press.QuizStart)
async def _start(context: TutorContext, user: User, update: Update, p: press.QuizStart) -> Reply:
    quizzes = context.services.quizzes
    query = update.callback_query
    assert query is not None and query.message is not None
    where = query.message
    # The question takes the pressed message's place.
    attempt, left_behind = await quizzes.start_shown(
        user.id, p.course, p.module, where.chat.id, where.message_id
    )
    await show(update, views.question(attempt))
    await _retire(context, where.chat.id, attempt, left_behind)
    return Reply(toast="Quiz resumed" if attempt.current_index else None)


@BUTTONS.on(press.QuizResume)
async def _resume(
    context: TutorContext, user: User, update: Update, p: press.QuizResume
) -> Reply | None:
    attempt = await _running(context, user, p.attempt)
    await _show_question(context, user, update, attempt)
    return None


async def _show_question(
    context: TutorContext, user: User, update: Update, attempt: Attempt, *, below: bool = False
) -> None:
    """The current question, in the pressed message (or `below` it, as a new one). It is
    the chat's one live copy of it: a copy shown before elsewhere loses its buttons."""
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    screen = views.question(attempt)
    shown = await send(context.bot, chat_id, screen) if below else await show(update, screen)
    if shown is None:
        return
    left_behind = await context.services.quizzes.question_shown(user.id, chat_id, attempt, shown)
    await _retire(context, chat_id, attempt, left_behind)


async def _retire(
    context: TutorContext, chat_id: int, attempt: Attempt, message_id: int | None
) -> None:
    """The copy of the question left behind keeps its text's header, loses its buttons."""
    if message_id is None:
        return
    with suppress(BadRequest):  # deleted by the learner, say: nothing left to retire
        await edit(context.bot, chat_id, message_id, Screen(views.question_moved(attempt)))


@BUTTONS.on(press.QuizAnswer)
async def _answer(context: TutorContext, user: User, update: Update, p: press.QuizAnswer) -> Reply:
    return await _record(context, user, update, p.attempt, p.question, {p.option})


@BUTTONS.on(press.QuizSubmit)
async def _submit(context: TutorContext, user: User, update: Update, p: press.QuizSubmit) -> Reply:
    picked = {i for i in range(len(views.LETTERS)) if p.mask & (1 << i)}
    return await _record(context, user, update, p.attempt, p.question, picked)


@BUTTONS.on(press.QuizToggle)
async def _toggle(context: TutorContext, user: User, _u: Update, p: press.QuizToggle) -> Reply:
    attempt = await context.services.quizzes.question_on_screen(user.id, p.attempt, p.question)
    if attempt.current is None:
        raise AnswerRejected(Reason.QUIZ_FINISHED)
    if p.question != attempt.current_index:
        raise AnswerRejected(Reason.ALREADY_ANSWERED)
    return Reply(views.question(attempt, mask=p.mask))


@BUTTONS.on(press.QuizAbandon)
async def _abandon(context: TutorContext, user: User, _u: Update, p: press.QuizAbandon) -> Reply:
    attempt = await _running(context, user, p.attempt)
    quizzes = context.services.quizzes
    status = await quizzes.status(user.id, attempt.course_id, attempt.module_no)
    return Reply(views.abandon_confirm(attempt, status))


@BUTTONS.on(press.QuizAbandonConfirm)
async def _abandon_confirm(
    context: TutorContext, user: User, update: Update, p: press.QuizAbandonConfirm
) -> Reply:
    result = await context.services.quizzes.abandon(user.id, p.attempt)
    await show(update, views.result(result, user.timezone, context.services.quizzes.now()))
    _after_finish(context, result)
    return Reply(toast="Quiz abandoned")


async def _record(
    context: TutorContext,
    user: User,
    update: Update,
    attempt_id: UUID,
    question: int,
    picked: set[int],
) -> Reply:
    quizzes = context.services.quizzes
    outcome = await quizzes.answer(
        user.id, attempt_id, question, picked, request_id=update.update_id
    )
    context.services.metrics.inc("tutorbot_quiz_answers_total")
    if not outcome.correct:  # the question joins the learner's review deck (once)
        attempt = outcome.attempt
        await context.services.reviews.quiz_answered(
            user.id, attempt.course_id, attempt.module_no, outcome.question, False
        )
    await show(update, views.feedback(outcome))
    if outcome.result is not None:
        _after_finish(context, outcome.result)
        chat_id = update.effective_chat.id if update.effective_chat else user.id
        await on_advance(context, user, chat_id, outcome.result.outcome)
        await send(context.bot, chat_id, views.result(outcome.result, user.timezone, quizzes.now()))
    else:
        await _show_question(context, user, update, outcome.attempt, below=True)
    return Reply(toast="✅ Correct!" if outcome.correct else "❌ Not quite")


def _after_finish(context: TutorContext, result: QuizResult) -> None:
    context.services.metrics.inc("tutorbot_quizzes_finished_total")
    if result.cooldown_until is not None and result.attempts_left != 0:
        now = context.services.quizzes.now()
        schedule_cooldown_release(context.application, result.cooldown_until, now)


async def _running(context: TutorContext, user: User, attempt_id: UUID) -> Attempt:
    attempt = await context.services.quizzes.attempt(user.id, attempt_id)
    if attempt.current is None:
        raise AnswerRejected(Reason.QUIZ_FINISHED)
    return attempt
