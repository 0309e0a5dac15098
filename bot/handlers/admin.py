"""Staff commands. Each one is authorised and audited by the AdminService before its
arguments are even read, so a learner trying one learns nothing but "not allowed"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.context import TutorContext
from bot.handlers.base import Reply, command
from bot.jobs.schedule import schedule_cooldown_release
from bot.views import admin as views
from domain.admin import Action, Done
from domain.users import Role, User

# (context, acting user, arguments, the update's id: makes a repeated update harmless)
Command = Callable[[TutorContext, int, list[str], int], Awaitable[Done]]


async def _promote(context: TutorContext, actor: int, args: list[str], _request: int) -> Done:
    role = {"tutor": Role.TUTOR, "admin": Role.ADMIN}[args[1].lower()]
    return await context.services.admin.change_role(actor, args[0], role)


async def _demote(context: TutorContext, actor: int, args: list[str], _request: int) -> Done:
    return await context.services.admin.change_role(actor, args[0], Role.LEARNER)


async def _grant_prompts(context: TutorContext, actor: int, args: list[str], request: int) -> Done:
    return await context.services.admin.grant(
        actor, Action.GRANT_PROMPTS, *args, request_id=request
    )


async def _grant_attempts(context: TutorContext, actor: int, args: list[str], request: int) -> Done:
    return await context.services.admin.grant(
        actor, Action.GRANT_ATTEMPTS, *args, request_id=request
    )


async def _reset_cooldown(
    context: TutorContext, actor: int, args: list[str], _request: int
) -> Done:
    done = await context.services.admin.reset_cooldown(actor, *args)
    if done.released_at is not None:
        schedule_cooldown_release(context.application, done.released_at, done.released_at)
    return done


async def _suspend(context: TutorContext, actor: int, args: list[str], _request: int) -> Done:
    return await context.services.admin.set_suspended(actor, args[0], args[1], True)


async def _unsuspend(context: TutorContext, actor: int, args: list[str], _request: int) -> Done:
    return await context.services.admin.set_suspended(actor, args[0], args[1], False)


# name -> (action, how many arguments, what it does)
COMMANDS: dict[str, tuple[Action, int, Command]] = {
    "promote": (Action.PROMOTE, 2, _promote),
    "demote": (Action.DEMOTE, 1, _demote),
    "grant_prompts": (Action.GRANT_PROMPTS, 4, _grant_prompts),
    "grant_attempts": (Action.GRANT_ATTEMPTS, 4, _grant_attempts),
    "reset_cooldown": (Action.RESET_COOLDOWN, 3, _reset_cooldown),
    "suspend": (Action.SUSPEND, 2, _suspend),
    "unsuspend": (Action.UNSUSPEND, 2, _unsuspend),
}


@command
async def staff_command(context: TutorContext, user: User, update: Update) -> Reply | None:
    message = update.effective_message
    if message is None or message.text is None:
        return None
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    action, arity, run = COMMANDS[name]
    args = context.args or []
    await context.services.admin.require(user.id, action, " ".join(args)[:64])
    if len(args) != arity or (name == "promote" and args[1].lower() not in ("tutor", "admin")):
        return Reply(views.usage(name))
    done = await run(context, user.id, args, update.update_id)
    return Reply(views.done(done.message, changed=done.changed))


@command
async def menu(context: TutorContext, user: User, _u: Update) -> Reply:
    return Reply(views.menu((await context.services.admin.menu(user.id)).role))


@command
async def learner(context: TutorContext, user: User, _u: Update) -> Reply:
    args = context.args or []
    await context.services.admin.require(user.id, Action.LEARNER, " ".join(args)[:64])
    if len(args) != 1:
        return Reply(views.usage("learner"))
    report = await context.services.admin.learner(user.id, args[0])
    return Reply(views.report(report, user.timezone, context.services.quizzes.now()))
