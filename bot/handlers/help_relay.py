"""Carrying requests for a human tutor through Telegram: posting a new request where it
goes, relaying each side's messages to the other, and keeping every card's status true.

The staff group may vanish under us (the bot removed, its rights taken): a send there that
Telegram forbids unlinks the group (audited) and the request goes on in the tutors'
private chats, so nothing a learner wrote is lost. Every post is recorded (help_posts), so
a press or a Telegram reply on it finds its request on any replica.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from telegram import Bot, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import Services
from bot.handlers.render import edit, send
from bot.transport.telegram_bot import TutorBot
from bot.views import help_requests as views
from bot.views.screen import Screen
from domain.help_requests import Relay, Request, Route

log = logging.getLogger(__name__)


def media_of(message: Message) -> str | None:
    """The kind of file the message carries, if we relay that kind ("" if another)."""
    for kind in views.MEDIA_KINDS:
        if getattr(message, kind, None):
            return kind
    if message.text is None:
        return ""  # a sticker, a location, a poll…: not relayed
    return None


def _gone(exc: TelegramError) -> bool:
    """Telegram will never let the bot post there again (until someone changes it)."""
    if isinstance(exc, Forbidden):
        return True
    text = exc.message.lower()
    return isinstance(exc, BadRequest) and any(
        part in text for part in ("chat not found", "not enough rights", "topic_closed")
    )


async def post_request(services: Services, bot: Bot, request: Request, route: Route) -> Route:
    """Post a new request where its route says; returns where it went in the end.

    The same update handled again after a failure half-way posts nothing twice: a card
    already posted ends it, and a topic already opened is reused."""
    if await services.help.posts(request):
        return route
    if route.group is not None:
        try:
            thread = request.thread_id if request.staff_chat_id == route.group else None
            if thread is None:
                topic = await bot.create_forum_topic(route.group, views.topic_name(request))
                thread = topic.message_thread_id
                request = await services.help.opened_topic(request, route.group, thread)
            shown = views.card(request, in_group=True)
            message_id = await send(bot, route.group, shown, thread=thread)
        except TelegramError as exc:
            if not _gone(exc):
                raise
            log.warning("staff group %s lost: %s", route.group, exc.message)
            await services.help.group_lost(route.group, exc.message[:200])
            route = await services.help.moved_to_private(request)
            request = await services.help.request_again(request)
        else:
            await services.help.posted(request, [(route.group, message_id, "card")])
            return route
    await _post_privately(services, bot, request, route.chats)
    return route


async def _post_privately(
    services: Services,
    bot: Bot,
    request: Request,
    chats: tuple[int, ...],
    escalated_after: int | None = None,
) -> None:
    shown = views.card(request, in_group=False, escalated_after=escalated_after)
    posts = []
    for chat_id in chats:
        try:
            posts.append((chat_id, await send(bot, chat_id, shown), "card"))
        except Forbidden:
            await services.users.blocked_the_bot(chat_id)
    await services.help.posted(request, posts)


async def escalate(services: Services, bot: Bot, request: Request, hours: int) -> None:
    """Tell the learner honestly, and give the admins the request."""
    with suppress(Forbidden):
        await send(bot, request.learner_id, views.escalated(request, hours))
    admins = tuple(a for a in await services.help.admins() if a != request.claimed_by)
    await _post_privately(services, bot, request, admins, escalated_after=hours)


async def refresh_cards(services: Services, bot: Bot, request: Request) -> None:
    """Every card of the request shows its status now (claimed, resolved)."""
    for chat_id, message_id in await services.help.posts(request):
        in_group = chat_id == request.staff_chat_id
        if chat_id < 0 and not in_group:  # a staff group it has left
            continue
        with suppress(TelegramError):  # a card deleted or too old to edit: the rest go on
            await edit(bot, chat_id, message_id, views.card(request, in_group=in_group))


async def to_learner(bot: Bot, update: Update, relay: Relay, drafted: bool = False) -> list[int]:
    """The tutor's message (text, or a file copied with a caption) in the learner's chat."""
    request = relay.request
    message = update.effective_message
    media = media_of(message) if message is not None and not drafted else None
    if media and message is not None:
        copied = await _copy(
            bot,
            message,
            request.learner_id,
            None,
            views.learner_caption(relay, message.caption or ""),
            {"inline_keyboard": views.learner_buttons(request)},
        )
        return [copied]
    text = _text_of(update) if not drafted else None
    return [
        await send(bot, request.learner_id, screen)
        for screen in views.to_learner(relay, text or "", drafted=drafted)
    ]


async def to_staff(
    services: Services, bot: Bot, update: Update, relay: Relay, text: str | None = None
) -> list[tuple[int, int]]:
    """The learner's message where the tutors read it: the request's topic, else the
    claiming tutor's chat, else every chat its card went to."""
    request = relay.request
    if request.staff_chat_id is not None and request.thread_id is not None:
        try:
            return await _to_chat(
                bot, update, relay, request.staff_chat_id, request.thread_id, text
            )
        except TelegramError as exc:
            if not _gone(exc):
                raise
            await services.help.group_lost(request.staff_chat_id, exc.message[:200])
            route = await services.help.moved_to_private(request)
            request = await services.help.request_again(request)
            await _post_privately(services, bot, request, route.chats)
            relay = Relay(request, relay.side, relay.author_name, relay.recorded)
    if request.claimed_by is not None:
        chats = [request.claimed_by]
    else:
        chats = sorted({chat for chat, _ in await services.help.posts(request)})
    posted = []
    for chat_id in chats:
        with suppress(Forbidden):
            posted += await _to_chat(bot, update, relay, chat_id, None, text)
    return posted


async def _to_chat(
    bot: Bot, update: Update, relay: Relay, chat_id: int, thread: int | None, text: str | None
) -> list[tuple[int, int]]:
    in_group = thread is not None
    message = update.effective_message
    media = media_of(message) if message is not None and text is None else None
    if media and message is not None:
        markup = None
        if not in_group:
            markup = {"inline_keyboard": views.card_buttons(relay.request, in_group=False)}
        caption = views.staff_caption(relay, message.caption or "")
        return [(chat_id, await _copy(bot, message, chat_id, thread, caption, markup))]
    body = text if text is not None else _text_of(update)
    screens = views.to_staff(relay, body, in_group=in_group)
    return [(chat_id, await send(bot, chat_id, s, thread=thread)) for s in screens]


async def _copy(
    bot: Bot,
    message: Message,
    chat_id: int,
    thread: int | None,
    caption: str,
    markup: dict | None,
) -> int:
    assert isinstance(bot, TutorBot)
    copied = await bot.post(
        "copyMessage",
        chat_id=chat_id,
        from_chat_id=message.chat_id,
        message_id=message.message_id,
        message_thread_id=thread,
        caption=caption,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
    )
    return int(copied["message_id"])


def _text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or message.caption or "") if message is not None else ""


async def show_plain(bot: Bot, chat_id: int, text: str, thread: int | None = None) -> None:
    await send(bot, chat_id, Screen(text), thread=thread)
