"""The one shape of a handler: parse, call a use case, return what to show.

Commands (and other messages) are written `@command async def name(context, user, update)`,
buttons `@BUTTONS.on(SomePayload) async def name(context, user, update, pressed)`; both
return a `Reply` (or None when they showed everything themselves). Around every one: the
user is registered (their profile written if it changed) before it runs, a domain refusal
(`AccessDenied`) is turned into a message for a command and an alert for a press, and the
reply's screen is shown: edited in place of the pressed message, or sent
(bot/handlers/render.py). A press is answered with the reply's toast by the dispatcher
(bot/handlers/buttons.py).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from telegram import Update
from telegram import User as TelegramUser

from bot.callbacks import DuplicateButton, Payload
from bot.context import TutorContext
from bot.handlers.profile import profile_of
from bot.handlers.render import show
from bot.views.refusals import refusal_text
from bot.views.screen import Screen, plain
from domain.errors import AccessDenied
from domain.inputs import Pending
from domain.users import Role, User


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler has to show: a screen, and for a press the toast to answer it with."""

    screen: Screen | None = None
    toast: str | None = None


P = TypeVar("P", bound=Payload)
CommandHandler = Callable[[TutorContext, User, Update], Awaitable[Reply | None]]
PressHandler = Callable[[TutorContext, User, Update, P], Awaitable[Reply | None]]


def command(run: CommandHandler) -> Callable[[Update, TutorContext], Awaitable[None]]:
    """A PTB callback for a command or message: registers the sender, shows the reply, and
    answers a refusal with its reason."""

    @functools.wraps(run)
    async def handle(update: Update, context: TutorContext) -> None:
        if update.effective_user is None:
            return
        user = await user_of(context, update.effective_user)
        try:
            reply = await run(context, user, update)
        except AccessDenied as refused:
            await show(update, refusal_screen(refused))
            return
        if reply is not None and reply.screen is not None:
            await show(update, reply.screen)

    return handle


@dataclass(frozen=True, slots=True)
class Button(Generic[P]):
    payload: type[P]
    run: PressHandler[P]
    registers: bool  # False: the handler must not write the user's row (privacy.py)

    async def press(self, context: TutorContext, update: Update, pressed: P) -> Reply | None:
        """Run the handler and show its screen; a refusal answers the press as an alert
        (None returned: the press is answered)."""
        query = update.callback_query
        assert query is not None and query.from_user is not None  # bot/handlers/buttons.py
        user = await user_of(context, query.from_user, register=self.registers)
        try:
            reply = await self.run(context, user, update, pressed)
            if reply is not None and reply.screen is not None:
                await show(update, reply.screen)
        except AccessDenied as refused:
            now = context.services.quizzes.now()  # a cooldown says when it ends
            await query.answer(refusal_text(refused, user.timezone, now), show_alert=True)
            return None
        return reply or Reply()


class Buttons:
    """A table of button handlers, one per payload type: a second handler for the same
    button fails when it is added (i.e. at start-up), so none is silently replaced."""

    def __init__(self) -> None:
        self._buttons: dict[type[Payload], Button] = {}

    def on(
        self, payload: type[P], *, register_user: bool = True
    ) -> Callable[[PressHandler[P]], PressHandler[P]]:
        def add(run: PressHandler[P]) -> PressHandler[P]:
            self.add(Button(payload, run, register_user))
            return run

        return add

    def add(self, button: Button) -> None:
        if button.payload in self._buttons:
            raise DuplicateButton(f"two handlers for the button {button.payload.NAME!r}")
        self._buttons[button.payload] = button

    def get(self, payload: type[Payload]) -> Button | None:
        return self._buttons.get(payload)

    def __iter__(self) -> Iterator[Button]:
        return iter(self._buttons.values())

    @classmethod
    def merged(cls, *tables: Buttons) -> Buttons:
        merged = cls()
        for table in tables:
            for button in table:
                merged.add(button)
        return merged


async def user_of(context: TutorContext, sender: TelegramUser, *, register: bool = True) -> User:
    profile = profile_of(sender)
    if not register:  # the handler reads only the user's id
        return User(profile, Role.LEARNER)
    return await context.services.users.register(profile)


def refusal_screen(refused: AccessDenied) -> Screen:
    return plain(refusal_text(refused))


InputHandler = Callable[[TutorContext, User, Update, Pending], Awaitable[Reply | None]]


@dataclass(frozen=True, slots=True)
class Input:
    kind: str
    run: InputHandler
    media: bool


class Inputs:
    """A table of handlers for awaited text, one per kind."""

    def __init__(self) -> None:
        self._inputs: dict[str, Input] = {}

    def on(self, kind: str, *, media: bool = False) -> Callable[[InputHandler], InputHandler]:
        def add(run: InputHandler) -> InputHandler:
            self.add(Input(kind, run, media))
            return run

        return add

    def add(self, handler: Input) -> None:
        if handler.kind in self._inputs:
            raise ValueError(f"two handlers for the awaited input {handler.kind!r}")
        self._inputs[handler.kind] = handler

    def get(self, kind: str) -> Input | None:
        return self._inputs.get(kind)

    @classmethod
    def merged(cls, *tables: Inputs) -> Inputs:
        merged = cls()
        for table in tables:
            for handler in table._inputs.values():
                merged.add(handler)
        return merged
