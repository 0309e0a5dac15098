"""Module quizzes in the chat: /quiz and the quiz buttons.

Each button handler returns the toast for the callback answer; the dispatcher answers it.
An answered question stays in the chat with its verdict; the next question (or the
result) arrives as a new message below it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from uuid import UUID

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.callbacks import Action
from bot.context import TutorContext
from bot.handlers.profile import profile_of
from bot.handlers.render import send, show
from bot.jobs import schedule_cooldown_release
from bot.views import quiz as views
from bot.views.screen import Screen
from domain.errors import AnswerRejected, Reason
from domain.quiz.model import Attempt, QuizResult
from domain.users import User


async def quiz_command(update: Update, context: TutorContext) -> None:
    """/quiz: back to the question the learner is on, wherever they left it."""
    user = await context.services.users.register(profile_of(update.effective_user))
    attempt = await context.services.quizzes.open_attempt(user.id)
    if attempt is None:
        mine = await context.services.learning.my_courses(user.id)
        now = context.services.learning.now()
        await show(update, views.nothing_running(mine, user.timezone, now))
        return
    await _show_question(context, user, update, attempt)


async def _intro(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    quizzes = context.services.quizzes
    status = await quizzes.status(user.id, _course(a), _module(a))
    await show(update, views.intro(status, user.timezone, quizzes.now()))
    return None


async def _start(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    quizzes = context.services.quizzes
    query = update.callback_query
    assert query is not None and query.message is not None
    where = query.message
    # The question takes the pressed message's place.
    attempt, left_behind = await quizzes.start_shown(
        user.id, _course(a), _module(a), where.chat.id, where.message_id
    )
    await show(update, views.question(attempt))
    await _retire(context, where.chat.id, attempt, left_behind)
    return "Quiz resumed" if attempt.current_index else None


async def _resume(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    attempt = await _running(context, user, a)
    await _show_question(context, user, update, attempt)
    return None


async def _show_question(
    context: TutorContext, user: User, update: Update, attempt: Attempt, *, below: bool = False
) -> None:
    """The current question, in the pressed message (or `below` it, as a new one). It is
    the chat's one live copy of it: a copy shown before elsewhere loses its buttons."""
    assert update.effective_chat is not None
    chat_id = update.effective_chat.id
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
        await context.bot.edit_message_text(
            views.question_moved(attempt),
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
        )


async def _answer(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    assert a.option is not None
    return await _record(context, user, update, a, {a.option})


async def _submit(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    picked = {i for i in range(len(views.LETTERS)) if (a.mask or 0) & (1 << i)}
    return await _record(context, user, update, a, picked)


async def _toggle(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    assert a.attempt is not None and a.question is not None
    quizzes = context.services.quizzes
    attempt = await quizzes.question_on_screen(user.id, a.attempt, a.question)
    if attempt.current is None:
        raise AnswerRejected(Reason.QUIZ_FINISHED)
    if a.question != attempt.current_index:
        raise AnswerRejected(Reason.ALREADY_ANSWERED)
    await show(update, views.question(attempt, mask=a.mask or 0))
    return None


async def _abandon(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
    attempt = await _running(context, user, a)
    quizzes = context.services.quizzes
    status = await quizzes.status(user.id, attempt.course_id, attempt.module_no)
    await show(update, views.abandon_confirm(attempt, status))
    return None


async def _abandon_confirm(
    context: TutorContext, user: User, update: Update, a: Action
) -> str | None:
    assert a.attempt is not None
    result = await context.services.quizzes.abandon(user.id, a.attempt)
    await show(update, views.result(result, user.timezone, context.services.quizzes.now()))
    _after_finish(context, result)
    return "Quiz abandoned"


async def _record(
    context: TutorContext, user: User, update: Update, a: Action, picked: set[int]
) -> str | None:
    assert a.attempt is not None and a.question is not None
    quizzes = context.services.quizzes
    outcome = await quizzes.answer(
        user.id, a.attempt, a.question, picked, request_id=update.update_id
    )
    context.services.metrics.inc("tutorbot_quiz_answers_total")
    await show(update, views.feedback(outcome))
    if outcome.result is not None:
        _after_finish(context, outcome.result)
        await _send(update, context, views.result(outcome.result, user.timezone, quizzes.now()))
    else:
        await _show_question(context, user, update, outcome.attempt, below=True)
    return "✅ Correct!" if outcome.correct else "❌ Not quite"


def _after_finish(context: TutorContext, result: QuizResult) -> None:
    context.services.metrics.inc("tutorbot_quizzes_finished_total")
    if result.cooldown_until is not None and result.attempts_left != 0:
        now = context.services.quizzes.now()
        schedule_cooldown_release(context.application, result.cooldown_until, now)


async def _send(update: Update, context: TutorContext, screen: Screen) -> None:
    assert update.effective_chat is not None
    await send(context.bot, update.effective_chat.id, screen)


async def _running(context: TutorContext, user: User, a: Action) -> Attempt:
    assert a.attempt is not None
    attempt = await context.services.quizzes.attempt(user.id, a.attempt)
    if attempt.current is None:
        raise AnswerRejected(Reason.QUIZ_FINISHED)
    return attempt


def _course(a: Action) -> UUID:
    assert a.course is not None
    return a.course


def _module(a: Action) -> int:
    assert a.module is not None
    return a.module


ButtonHandler = Callable[[TutorContext, User, Update, Action], Awaitable[str | None]]

BUTTONS: dict[str, ButtonHandler] = {
    "quiz": _intro,
    "quiz_start": _start,
    "quiz_resume": _resume,
    "quiz_answer": _answer,
    "quiz_submit": _submit,
    "quiz_toggle": _toggle,
    "quiz_abandon": _abandon,
    "quiz_abandon_confirm": _abandon_confirm,
}
