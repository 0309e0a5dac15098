"""The learner journey: /start (with deep links), /courses, /progress and every button."""

from __future__ import annotations

from uuid import UUID

from telegram import Update

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.handlers.certificates import on_advance, verify_deep_link
from bot.handlers.render import show
from bot.views import cohorts as cohort_views
from bot.views import goals as goal_views
from bot.views import learning as views
from bot.views import quiz as quiz_views
from bot.views.screen import Screen
from domain.catalog import Browse, browse
from domain.certificates import DEEP_LINK_PREFIX
from domain.cohorts import invite_code
from domain.errors import PrerequisitesMissing
from domain.learning.model import Enrollment, TopicView
from domain.progress import Advance
from domain.users import User

BUTTONS = Buttons()


@command
async def start(context: TutorContext, user: User, update: Update) -> Reply:
    learning = context.services.learning
    if context.args and context.args[0].startswith(DEEP_LINK_PREFIX):
        return await verify_deep_link(context, context.args[0][len(DEEP_LINK_PREFIX) :])
    if context.args and (code := invite_code(context.args[0])) is not None:
        return Reply(await _join(context, user, code))
    if context.args:
        course = await learning.course_by_slug(context.args[0].strip().lower()[:64], user.id)
        if course is not None:
            return Reply(await _enroll(context, user, course.id))
        await show(update, Screen("I couldn't find that course; here is what we have."))
    return Reply(await _home_screen(context, user))


@command
async def courses(context: TutorContext, user: User, _u: Update) -> Reply:
    return Reply(await _catalog(context, user.id))


@command
async def progress(context: TutorContext, user: User, _u: Update) -> Reply:
    return Reply(await _progress_screen(context, user))


@BUTTONS.on(press.Home)
async def _home(context: TutorContext, user: User, _u: Update, _p: press.Home) -> Reply:
    return Reply(await _home_screen(context, user))


@BUTTONS.on(press.Catalog)
async def _catalog_screen(
    context: TutorContext, user: User, _u: Update, _p: press.Catalog
) -> Reply:
    return Reply(await _catalog(context, user.id))


@BUTTONS.on(press.CatalogPage)
async def _catalog_page(
    context: TutorContext, user: User, _u: Update, p: press.CatalogPage
) -> Reply:
    return Reply(await _catalog(context, user.id, Browse(p.page, p.level, p.category)))


@BUTTONS.on(press.Progress)
async def _progress(context: TutorContext, user: User, _u: Update, _p: press.Progress) -> Reply:
    return Reply(await _progress_screen(context, user))


async def _home_screen(context: TutorContext, user: User) -> Screen:
    """Home with the streak's line: the goal is read in Home's own statement."""
    mine, catalog, goal = await context.services.goals.home(user.id, user.timezone)
    return views.home(user, mine, catalog, goal_views.streak_line(goal))


async def _progress_screen(context: TutorContext, user: User) -> Screen:
    seen = await context.services.goals.progress(user.id, user.timezone)
    paces = {id: goal_views.target_line(t, seen.today) for id, t in seen.targets.items()}
    goal = goal_views.streak_line(seen.goal)
    return views.progress_summary(seen.courses, _reader(context, user), goal, paces)


@BUTTONS.on(press.CourseCard)
async def _course(context: TutorContext, user: User, _u: Update, p: press.CourseCard) -> Reply:
    course, enrolled = await context.services.learning.course_card(user.id, p.course)
    return Reply(views.course_card(course, enrolled))


@BUTTONS.on(press.Enroll)
async def _enroll_pressed(context: TutorContext, user: User, _u: Update, p: press.Enroll) -> Reply:
    return Reply(await _enroll(context, user, p.course))


@BUTTONS.on(press.PersonaMenu)
async def _persona_menu(
    context: TutorContext, user: User, _u: Update, p: press.PersonaMenu
) -> Reply:
    enrollment = await context.services.learning.enrollment(user.id, p.course)
    return Reply(views.persona_picker(enrollment.course, enrollment.persona, welcome=False))


@BUTTONS.on(press.ChoosePersona)
async def _persona(context: TutorContext, user: User, _u: Update, p: press.ChoosePersona) -> Reply:
    progress, where = await context.services.learning.choose_persona(user.id, p.course, p.persona)
    menu = views.course_menu(progress, where, _reader(context, user))
    return Reply(menu, f"Persona set: {views.PERSONA_LABELS[p.persona]}")


@BUTTONS.on(press.CourseMenu)
async def _course_menu(context: TutorContext, user: User, _u: Update, p: press.CourseMenu) -> Reply:
    progress, where = await context.services.learning.course_overview(user.id, p.course)
    return Reply(views.course_menu(progress, where, _reader(context, user)))


@BUTTONS.on(press.Module)
async def _module(context: TutorContext, user: User, _u: Update, p: press.Module) -> Reply:
    quizzes = context.services.quizzes
    view, status = await quizzes.module(user.id, p.course, p.module)
    quiz = quiz_views.quiz_button(status, user.timezone, quizzes.now()) if status else None
    return Reply(views.module_screen(view, _reader(context, user), quiz))


@BUTTONS.on(press.Topic)
async def _topic(context: TutorContext, user: User, update: Update, p: press.Topic) -> Reply:
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    view = await context.services.learning.open_topic(
        user.id, chat_id, p.course, p.module, p.topic, p.page
    )
    offers = await context.services.tutor.suggestions(view.course.id, topic=(p.module, p.topic))
    return Reply(views.topic_screen(view, p.page, offers))


@BUTTONS.on(press.Complete)
async def _complete(context: TutorContext, user: User, update: Update, p: press.Complete) -> Reply:
    view, newly, advance = await context.services.learning.complete_topic(
        user.id, p.course, p.module, p.topic
    )
    await on_advance(context, user, _chat(update, user), advance)
    offers = await context.services.tutor.suggestions(view.course.id, topic=(p.module, p.topic))
    return Reply(views.topic_screen(view, 0, offers, advance), _completed_toast(view, newly))


@BUTTONS.on(press.CompleteNext)
async def _complete_next(
    context: TutorContext, user: User, update: Update, p: press.CompleteNext
) -> Reply:
    """Mark the topic done and open the next one in the same press (which says, too, if
    that finished the course: topics can be done out of order)."""
    learning = context.services.learning
    done, newly, advance = await learning.complete_topic(user.id, p.course, p.module, p.topic)
    await on_advance(context, user, _chat(update, user), advance)
    toast = _completed_toast(done, newly)
    if not done.has_next:
        return await _topic_after(context, done, toast, advance)
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    view = await learning.open_topic(user.id, chat_id, p.course, p.module, p.topic + 1, 0)
    return await _topic_after(context, view, toast, advance)


async def _topic_after(
    context: TutorContext, view: TopicView, toast: str, advance: Advance | None = None
) -> Reply:
    topic = (view.module.number, view.topic.number)
    offers = await context.services.tutor.suggestions(view.course.id, topic=topic)
    return Reply(views.topic_screen(view, 0, offers, advance), toast)


def _completed_toast(view: TopicView, newly: bool) -> str:
    done = f"{view.module.completed}/{view.module.topics} topics of Module {view.module.number}"
    return f"✅ Completed — {done}" if newly else "Already completed"


async def _enroll(context: TutorContext, user: User, course_id: UUID) -> Screen:
    """The course, or (a prerequisite not completed) why not and a button to what is
    missing: a deep link to a gated course explains instead of enrolling."""
    try:
        _, enrollment = await context.services.learning.enroll(user.id, course_id)
    except PrerequisitesMissing as refused:
        return views.gated(refused)
    return await _enrolled(context, user, enrollment)


async def _enrolled(context: TutorContext, user: User, enrollment: Enrollment) -> Screen:
    """Where an enrolment leads: the persona picker the first time, else the course."""
    if enrollment.persona is None:
        return views.persona_picker(enrollment.course, None, welcome=True)
    course_id = enrollment.course.id
    progress, where = await context.services.learning.course_overview(user.id, course_id)
    return views.course_menu(progress, where, _reader(context, user))


async def _join(context: TutorContext, user: User, code: str) -> Screen:
    """A cohort's invite link: enrolled as by the course card's button, then in the cohort;
    the course screen says which cohort they're in now."""
    try:
        joined = await context.services.cohorts.join(user.id, code)
    except PrerequisitesMissing as refused:
        return views.gated(refused)
    screen = await _enrolled(context, user, joined.enrollment)
    return cohort_views.with_line(screen, cohort_views.joined_line(joined))


async def _catalog(context: TutorContext, user_id: int, asked: Browse | None = None) -> Screen:
    courses, enrolled, paths = await context.services.learning.catalog_for(user_id)
    return views.catalog(browse(courses, asked or Browse()), enrolled, paths)


def _chat(update: Update, user: User) -> int:
    return update.effective_chat.id if update.effective_chat else user.id


def _reader(context: TutorContext, user: User) -> views.Reader:
    return views.Reader(user.timezone, context.services.learning.now())
