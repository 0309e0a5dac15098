"""Certificates in the chat: sent when a course is completed, /certificates (list and
resend), /certificate_name, /verify CODE and the verify_ deep link; staff's
/certificate revoke|reissue CODE reason."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, InputFile, Update
from telegram.constants import ParseMode

from bot import callbacks as press
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply, command
from bot.views import admin as admin_views
from bot.views import certificate_pdf
from bot.views import certificates as views
from domain.admin import Action
from domain.certificates import Certificate
from domain.progress import Advance, CourseCompleted
from domain.users import User

BUTTONS = Buttons()
log = logging.getLogger(__name__)


def telegram_name(user: User) -> str:
    profile = user.profile
    return " ".join(p for p in (profile.first_name, profile.last_name) if p)


async def on_advance(context: TutorContext, user: User, chat_id: int, advance: Advance | None):
    """A completed course gets its certificate, once: a completion reached again (a
    replayed update, a second replica) issues and sends nothing."""
    if not isinstance(advance, CourseCompleted):
        return
    issued = await context.services.certificates.completed(advance, telegram_name(user))
    if issued is None:
        return
    base = context.services.settings.verify_base_url
    try:
        await send_certificate(context.bot, base, chat_id, issued)
    except Exception:  # issued and kept: /certificates sends it again; the screen still shows
        log.exception("certificate %s issued but not sent", issued.code)


async def send_certificate(bot: Bot, base_url: str, chat_id: int, certificate: Certificate):
    url = certificate_pdf.verify_url(base_url, certificate.code)
    # Rendering takes a while (fonts for every script): off the event loop.
    data = await asyncio.to_thread(certificate_pdf.render, certificate, url)
    await bot.send_document(
        chat_id,
        InputFile(data, filename=views.file_name(certificate)),
        caption=views.caption(certificate, url),
        parse_mode=ParseMode.HTML,
    )


@command
async def certificates_command(context: TutorContext, user: User, _u: Update) -> Reply:
    service = context.services.certificates
    mine = await service.mine(user.id)
    return Reply(views.listing(mine, await service.name(user.id, telegram_name(user))))


@BUTTONS.on(press.CertificateResend)
async def _resend(
    context: TutorContext, user: User, update: Update, p: press.CertificateResend
) -> Reply:
    found = await context.services.certificates.one_of_mine(user.id, p.code)
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    await send_certificate(context.bot, context.services.settings.verify_base_url, chat_id, found)
    return Reply(toast="Certificate sent")


@command
async def certificate_name(context: TutorContext, user: User, update: Update) -> Reply:
    message = update.effective_message
    assert message is not None and message.text is not None
    _, *text = message.text.split(maxsplit=1)
    return Reply(
        views.name_set(await context.services.certificates.set_name(user.id, *text or [""]))
    )


@command
async def verify_command(context: TutorContext, _user: User, _u: Update) -> Reply:
    args = context.args or []
    if not args:
        return Reply(views.verify_usage())
    return Reply(views.verified(await context.services.certificates.verify(args[0][:64])))


async def verify_deep_link(context: TutorContext, code: str) -> Reply:
    return Reply(views.verified(await context.services.certificates.verify(code[:64])))


@command
async def certificate_admin(context: TutorContext, user: User, _u: Update) -> Reply:
    """`/certificate revoke CODE reason` and `/certificate reissue CODE reason`."""
    args = context.args or []
    service = context.services.certificates
    if len(args) < 3 or args[0] not in ("revoke", "reissue"):
        await context.services.admin.require(
            user.id, Action.REVOKE_CERTIFICATE, " ".join(args)[:64]
        )
        return Reply(admin_views.usage("certificate"))
    reason = " ".join(args[2:])
    if args[0] == "revoke":
        done = await service.revoke(user.id, args[1], reason)
        return Reply(admin_views.done(done.message, changed=done.changed))
    done, new = await service.reissue(user.id, args[1], reason)
    if new is not None and new.user_id is not None:
        base = context.services.settings.verify_base_url
        await send_certificate(context.bot, base, new.user_id, new)
    return Reply(admin_views.done(done.message, changed=done.changed))
