"""The learner journey: /start (with deep links), /courses, /progress and every button."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from telegram import Update

from bot.callbacks import Action
from bot.context import TutorContext
from bot.handlers.profile import profile_of
from bot.handlers.render import show
from bot.views import learning as views
from bot.views import quiz as quiz_views
from bot.views.refusals import refusal_text
from bot.views.screen import Screen
from domain.errors import AccessDenied
from domain.learning.model import TopicView
from domain.progress import Advance
from domain.users import User


async def start(update: Update, context: TutorContext) -> None:
    if update.effective_user is None:
        return
    user = await context.services.users.register(profile_of(update.effective_user))
    learning = context.services.learning
    if context.args:
        course = await learning.course_by_slug(context.args[0].strip().lower()[:64])
        if course is not None:
            try:
                await show(update, await _enroll(context, user, course.id))
            except AccessDenied as denied:
                await show(update, Screen(refusal_text(denied)))
            return
        await show(update, Screen("I couldn't find that course; here is what we have."))
    await show(update, views.home(user, *await learning.home(user.id)))


async def courses(update: Update, context: TutorContext) -> None:
    user = await context.services.users.register(profile_of(update.effective_user))
    await show(update, await _catalog(context, user.id))


async def progress(update: Update, context: TutorContext) -> None:
    user = await context.services.users.register(profile_of(update.effective_user))
    mine = await context.services.learning.my_courses(user.id)
    await show(update, views.progress_summary(mine, _reader(context, user)))


Result = tuple[Screen, str | None]


async def _home(context: TutorContext, user: User, _u: Update, _a: Action) -> Result:
    return views.home(user, *await context.services.learning.home(user.id)), None


async def _catalog_screen(context: TutorContext, user: User, _u: Update, _a: Action) -> Result:
    return await _catalog(context, user.id), None


async def _progress(context: TutorContext, user: User, _u: Update, _a: Action) -> Result:
    mine = await context.services.learning.my_courses(user.id)
    return views.progress_summary(mine, _reader(context, user)), None


async def _course(context: TutorContext, user: User, _u: Update, pressed: Action) -> Result:
    learning = context.services.learning
    course, enrolled = await learning.course_card(user.id, _course_id(pressed))
    return views.course_card(course, enrolled), None


async def _enroll_pressed(context: TutorContext, user: User, _u: Update, a: Action) -> Result:
    return await _enroll(context, user, _course_id(a)), None


async def _persona_menu(context: TutorContext, user: User, _u: Update, a: Action) -> Result:
    enrollment = await context.services.learning.enrollment(user.id, _course_id(a))
    return views.persona_picker(enrollment.course, enrollment.persona, welcome=False), None


async def _persona(context: TutorContext, user: User, _u: Update, a: Action) -> Result:
    assert a.persona is not None
    progress, where = await context.services.learning.choose_persona(
        user.id, _course_id(a), a.persona
    )
    menu = views.course_menu(progress, where, _reader(context, user))
    return menu, f"Persona set: {views.PERSONA_LABELS[a.persona]}"


async def _course_menu(context: TutorContext, user: User, _u: Update, a: Action) -> Result:
    progress, where = await context.services.learning.course_overview(user.id, _course_id(a))
    return views.course_menu(progress, where, _reader(context, user)), None


async def _module(context: TutorContext, user: User, _u: Update, a: Action) -> Result:
    assert a.module is not None
    quizzes = context.services.quizzes
    view, status = await quizzes.module(user.id, _course_id(a), a.module)
    quiz = quiz_views.quiz_button(status, user.timezone, quizzes.now()) if status else None
    return views.module_screen(view, _reader(context, user), quiz), None


async def _topic(context: TutorContext, user: User, update: Update, a: Action) -> Result:
    assert a.module is not None and a.topic is not None
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    view = await context.services.learning.open_topic(
        user.id, chat_id, _course_id(a), a.module, a.topic, a.page
    )
    offers = await context.services.tutor.suggestions(view.course.id, topic=(a.module, a.topic))
    return views.topic_screen(view, a.page, offers), None


async def _complete(context: TutorContext, user: User, _u: Update, a: Action) -> Result:
    assert a.module is not None and a.topic is not None
    view, newly, advance = await context.services.learning.complete_topic(
        user.id, _course_id(a), a.module, a.topic
    )
    toast = _completed_toast(view, newly)
    offers = await context.services.tutor.suggestions(view.course.id, topic=(a.module, a.topic))
    return views.topic_screen(view, a.page, offers, advance), toast


async def _complete_next(context: TutorContext, user: User, update: Update, a: Action) -> Result:
    """Mark the topic done and open the next one in the same press."""
    assert a.module is not None and a.topic is not None
    learning = context.services.learning
    done, newly, advance = await learning.complete_topic(user.id, _course_id(a), a.module, a.topic)
    toast = _completed_toast(done, newly)
    if not done.has_next:
        return await _topic_after(context, done, toast, advance)
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    view = await learning.open_topic(user.id, chat_id, _course_id(a), a.module, a.topic + 1, 0)
    return await _topic_after(context, view, toast)


async def _topic_after(
    context: TutorContext, view: TopicView, toast: str, advance: Advance | None = None
) -> Result:
    topic = (view.module.number, view.topic.number)
    offers = await context.services.tutor.suggestions(view.course.id, topic=topic)
    return views.topic_screen(view, 0, offers, advance), toast


def _completed_toast(view: TopicView, newly: bool) -> str:
    done = f"{view.module.completed}/{view.module.topics} topics of Module {view.module.number}"
    return f"✅ Completed — {done}" if newly else "Already completed"


async def _enroll(context: TutorContext, user: User, course_id: UUID) -> Screen:
    _, enrollment = await context.services.learning.enroll(user.id, course_id)
    if enrollment.persona is None:
        return views.persona_picker(enrollment.course, None, welcome=True)
    progress, where = await context.services.learning.course_overview(user.id, course_id)
    return views.course_menu(progress, where, _reader(context, user))


async def _catalog(context: TutorContext, user_id: int) -> Screen:
    courses, enrolled = await context.services.learning.catalog_for(user_id)
    return views.catalog(courses, enrolled)


def _reader(context: TutorContext, user: User) -> views.Reader:
    return views.Reader(user.timezone, context.services.learning.now())


def _course_id(pressed: Action) -> UUID:
    assert pressed.course is not None
    return pressed.course


def _shown(
    screen_for: Callable[[TutorContext, User, Update, Action], Awaitable[Result]],
) -> Callable[[TutorContext, User, Update, Action], Awaitable[str | None]]:
    async def handle(context: TutorContext, user: User, update: Update, a: Action) -> str | None:
        screen, toast = await screen_for(context, user, update, a)
        await show(update, screen)
        return toast

    return handle


_SCREENS: dict[str, Callable[[TutorContext, User, Update, Action], Awaitable[Result]]] = {
    "home": _home,
    "catalog": _catalog_screen,
    "progress": _progress,
    "course": _course,
    "enroll": _enroll_pressed,
    "persona_menu": _persona_menu,
    "persona": _persona,
    "course_menu": _course_menu,
    "module": _module,
    "topic": _topic,
    "complete": _complete,
    "complete_next": _complete_next,
}

BUTTONS = {name: _shown(screen_for) for name, screen_for in _SCREENS.items()}
