"""Ask a human tutor: the learner's side (🙋 under an answer or a topic, answering back,
closing and rating) and the tutors' presses in private chats (claim, reply, draft with AI,
resolve). The staff group's side is bot/handlers/staff_group.py; carrying messages across
is bot/handlers/help_relay.py.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from uuid import UUID

from telegram import Message, Update
from telegram.error import Forbidden, TelegramError

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers import help_relay as relay
from bot.handlers.base import Buttons, InputHandler, Inputs, Reply
from bot.handlers.render import send
from bot.views import help_requests as views
from bot.views.screen import plain
from domain.errors import HelpRefused, Reason
from domain.help_requests import Request, Side
from domain.inputs import Pending
from domain.tutor import ModelUnavailable, NotCovered
from domain.users import User

BUTTONS = Buttons()
INPUTS = Inputs()

QUESTION, ANSWER, TUTOR_REPLY = "help_question", "help_answer", "help_tutor_reply"


def _chat(update: Update, user: User) -> int:
    return update.effective_chat.id if update.effective_chat else user.id


# -- the learner --------------------------------------------------------------------------


@BUTTONS.on(press.HelpAsk)
async def _ask(context: TutorContext, user: User, update: Update, p: press.HelpAsk) -> Reply:
    """Under an answer: send that question on (after a confirmation). Under a topic: type
    one."""
    asking = await context.services.help.asking(user.id, p.course)
    if p.module == 0 and asking.last_exchange is not None:
        return Reply(views.confirm(asking))
    return await _write(context, user, update, press.HelpWrite(p.course, p.module, p.topic))


@BUTTONS.on(press.HelpWrite)
async def _write(context: TutorContext, user: User, update: Update, p: press.HelpWrite) -> Reply:
    asking = await context.services.help.asking(user.id, p.course)
    data = {"course": str(p.course), "module": p.module, "topic": p.topic}
    await context.services.inputs.expect(user.id, QUESTION, data)
    return Reply(views.write_prompt(asking.course_name))


@BUTTONS.on(press.HelpSend)
async def _send(context: TutorContext, user: User, update: Update, p: press.HelpSend) -> Reply:
    return await _submit(context, user, update, p.course, None, None)


# Refusals the next message can mend (shorter, not empty): the question is asked again.
# Any other (the request resolved meanwhile, a limit reached) ends the waiting.
_MENDABLE = frozenset({Reason.HELP_EMPTY, Reason.HELP_TOO_LONG})


def _ends_waiting(kind: str) -> Callable[[InputHandler], InputHandler]:
    def wrap(run: InputHandler) -> InputHandler:
        @functools.wraps(run)
        async def answer(
            context: TutorContext, user: User, update: Update, pending: Pending
        ) -> Reply | None:
            try:
                return await run(context, user, update, pending)
            except HelpRefused as refused:
                if refused.reason not in _MENDABLE:
                    await context.services.inputs.clear(user.id, kind)
                raise

        return answer

    return wrap


@INPUTS.on(QUESTION)
@_ends_waiting(QUESTION)
async def _typed_question(
    context: TutorContext, user: User, update: Update, pending: Pending
) -> Reply:
    message = update.effective_message
    text = message.text if message is not None else None
    module, topic = int(pending.data.get("module", 0)), int(pending.data.get("topic", 0))
    place = (module, topic) if module and topic else None
    course = UUID(str(pending.data["course"]))
    reply = await _submit(context, user, update, course, text or "", place)
    await context.services.inputs.clear(user.id, QUESTION)
    return reply


async def _submit(
    context: TutorContext,
    user: User,
    update: Update,
    course: UUID,
    question: str | None,
    place: tuple[int, int] | None,
) -> Reply:
    services = context.services
    request, route = await services.help.ask(
        user.id, course, question, place=place, update_id=update.update_id
    )
    went = await relay.post_request(services, context.bot, request, route)
    services.metrics.inc("tutorbot_help_requests_total")
    return Reply(views.sent(request, to_group=went.group is not None, tutors=len(went.chats)))


@BUTTONS.on(press.HelpReply)
async def _reply(context: TutorContext, user: User, update: Update, p: press.HelpReply) -> Reply:
    """↩ under a relayed message: the learner answers back, or (in a private chat) the
    tutor replies."""
    service = context.services.help
    request = await service.request(p.request)
    if request is not None and request.learner_id == user.id:
        if request.resolved:
            raise HelpRefused(Reason.HELP_RESOLVED)
        await context.services.inputs.expect(user.id, ANSWER, {"request": p.request})
        to = request.claimer_name or "the tutors"
        return Reply(views.answer_prompt(request, to), toast="Type your answer")
    _, request = await service.for_staff(user.id, p.request)
    if request.resolved:
        raise HelpRefused(Reason.HELP_RESOLVED)
    await context.services.inputs.expect(user.id, TUTOR_REPLY, {"request": p.request})
    await send(context.bot, _chat(update, user), views.tutor_prompt(request))
    return Reply(toast="Type your reply")


@INPUTS.on(ANSWER, media=True)
@_ends_waiting(ANSWER)
async def _typed_answer(
    context: TutorContext, user: User, update: Update, pending: Pending
) -> Reply | None:
    return await learner_message(context, user, update, int(pending.data["request"]), ANSWER)


async def learner_message(
    context: TutorContext, user: User, update: Update, request_id: int, kind: str | None
) -> Reply | None:
    message = update.effective_message
    if message is None:
        return None
    media = relay.media_of(message)
    if media == "":
        return Reply(plain(views.MEDIA_REFUSED))
    services = context.services
    said = await services.help.learner_says(
        user.id,
        request_id,
        message.text or message.caption or "",
        media,
        update_id=update.update_id,
    )
    if said.recorded:
        posted = await relay.to_staff(services, context.bot, update, said)
        await services.help.posted(said.request, [(c, m, "relay") for c, m in posted])
    if kind is not None and media is None:
        await services.inputs.clear(user.id, kind)
    if not _confirmed(message):
        return None
    return Reply(plain(views.delivered(said.request, Side.LEARNER)))


def _confirmed(message: Message | None) -> bool:
    """An album arrives as one message per photo: it is confirmed once, on its caption,
    and the answer stays open for its other photos (text closes it)."""
    return message is None or message.media_group_id is None or bool(message.caption)


@BUTTONS.on(press.HelpResolve)
async def _resolve(
    context: TutorContext, user: User, update: Update, p: press.HelpResolve
) -> Reply:
    services = context.services
    request, changed = await services.help.resolve(user.id, p.request)
    if not changed:
        return Reply(toast="Already resolved.")
    await relay.refresh_cards(services, context.bot, request)
    await _closed(context, request, by_learner=request.learner_id == user.id)
    if request.learner_id == user.id:
        return Reply(views.rate_prompt(request, by_learner=True), toast="Closed")
    return Reply(toast="Resolved: the learner is asked to rate it.")


async def _closed(context: TutorContext, request: Request, *, by_learner: bool) -> None:
    bot = context.bot
    if by_learner:
        if request.staff_chat_id is not None and request.thread_id is not None:
            await _quietly(
                relay.show_plain(
                    bot, request.staff_chat_id, views.closed_by_learner(request), request.thread_id
                )
            )
        elif request.claimed_by is not None:
            await _quietly(
                relay.show_plain(bot, request.claimed_by, views.closed_by_learner(request))
            )
    else:
        await _quietly(send(bot, request.learner_id, views.rate_prompt(request, by_learner=False)))
    if request.staff_chat_id is not None and request.thread_id is not None:
        await _quietly(bot.close_forum_topic(request.staff_chat_id, request.thread_id))


async def _quietly(call: Awaitable[object]) -> None:
    """A courtesy message: if Telegram refuses it, the request is resolved all the same."""
    with suppress(TelegramError):
        await call


@BUTTONS.on(press.HelpRate)
async def _rate(context: TutorContext, user: User, update: Update, p: press.HelpRate) -> Reply:
    await context.services.help.rate(user.id, p.request, p.stars)
    return Reply(views.rated(p.stars), toast="Thank you")


# -- the tutor ----------------------------------------------------------------------------


@BUTTONS.on(press.HelpClaim)
async def _claim(context: TutorContext, user: User, update: Update, p: press.HelpClaim) -> Reply:
    claimed = await context.services.help.claim(user.id, p.request)
    if claimed.changed:
        await relay.refresh_cards(context.services, context.bot, claimed.request)
    return Reply(toast="It's yours: answer the learner." if claimed.changed else "You have it.")


@INPUTS.on(TUTOR_REPLY, media=True)
@_ends_waiting(TUTOR_REPLY)
async def _typed_reply(
    context: TutorContext, user: User, update: Update, pending: Pending
) -> Reply | None:
    _, request = await context.services.help.for_staff(user.id, int(pending.data["request"]))
    return await tutor_message(context, user, update, request, kind=TUTOR_REPLY)


async def tutor_message(
    context: TutorContext,
    user: User,
    update: Update,
    request: Request,
    *,
    kind: str | None = None,
    draft: str | None = None,
) -> Reply | None:
    """A tutor's message (or their AI draft, sent by a press) to the learner; the first one
    claims."""
    message = update.effective_message if draft is None else None
    services = context.services
    media = None
    if draft is None:
        if message is None:
            return None
        media = relay.media_of(message)
        if media == "":
            return Reply(plain(views.MEDIA_REFUSED))
    text = draft if draft is not None else (message.text or message.caption or "")  # type: ignore[union-attr]
    said = await services.help.tutor_says(
        user.id, request, text, media, drafted=draft is not None, update_id=update.update_id
    )
    if kind is not None and media is None:
        await services.inputs.clear(user.id, kind)
    if not said.recorded:
        return None
    if request.claimed_by is None:
        await relay.refresh_cards(services, context.bot, said.request)
    try:
        if draft is not None:
            screens = views.to_learner(said, draft, drafted=True)
            posted = [await send(context.bot, request.learner_id, s) for s in screens]
        else:
            posted = await relay.to_learner(context.bot, update, said)
    except Forbidden:
        return Reply(plain(views.learner_unreachable(request)))
    await services.help.posted(said.request, [(request.learner_id, m, "relay") for m in posted])
    in_group = request.staff_chat_id is not None and _chat(update, user) == request.staff_chat_id
    if not _confirmed(message):
        return None
    return (
        None
        if in_group and draft is None
        else Reply(plain(views.delivered(said.request, Side.TUTOR)))
    )


@BUTTONS.on(press.HelpDraft)
async def _draft(context: TutorContext, user: User, update: Update, p: press.HelpDraft) -> Reply:
    """The AI tutor's course-grounded answer to the request, for the tutor's eyes only:
    what the learner may open bounds it, as their own questions are bounded."""
    services = context.services
    _, request = await services.help.for_staff(user.id, p.request)
    try:
        answer = await services.tutor.draft(request.learner_id, request.course_id, request.question)
    except NotCovered:
        return Reply(toast="The course material doesn't cover this one: answer in your words.")
    except ModelUnavailable:
        return Reply(toast="The model is unavailable now; try again in a minute.")
    chat = _chat(update, user)
    thread = request.thread_id if chat == request.staff_chat_id else None
    await send(context.bot, chat, views.draft(request, answer.text), thread=thread)
    return Reply(toast="Draft below: nothing is sent without you.")


@BUTTONS.on(press.HelpSendDraft)
async def _send_draft(
    context: TutorContext, user: User, update: Update, p: press.HelpSendDraft
) -> Reply | None:
    query = update.callback_query
    shown = query.message if query is not None else None
    text = getattr(shown, "text", None) or (shown.api_kwargs.get("text") if shown else None)
    draft = views.draft_text(text or "")
    if draft is None:
        return Reply(toast="This draft can't be read any more: ask for a new one.")
    _, request = await context.services.help.for_staff(user.id, p.request)
    return await tutor_message(context, user, update, request, draft=draft)


# -- a Telegram reply to one of the bot's relayed messages in a private chat ---------------


@dataclass(frozen=True, slots=True)
class Answered:
    reply: Reply | None


async def reply_to_post(context: TutorContext, user: User, update: Update) -> Answered | None:
    """Replying (swipe left) to a relayed message or a card answers its request; None: the
    message is no such reply (bot/handlers/typed.py then goes on as usual)."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    request = await context.services.help.replied_to(replied.chat_id, replied.message_id)
    if request is None:
        return None
    if request.learner_id == user.id:
        return Answered(await learner_message(context, user, update, request.id, None))
    _, request = await context.services.help.for_staff(user.id, request.id)
    return Answered(await tutor_message(context, user, update, request))
