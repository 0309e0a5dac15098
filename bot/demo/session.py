"""The bot running against the local emulator, and the learner's side of the chat.

``polling_bot`` starts the production ``Application`` exactly as ``bot.cli.runtime`` does in
polling mode (initialise, publish the command menu, start, long-poll), only pointed at a
``BotApiEmulator`` on 127.0.0.1. ``DemoChat`` then plays the learner: it sends messages
and presses buttons through the emulator and waits until the bot has finished replying,
so the terminal knows when to show the prompt again and a script knows what to check.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application, inbox_worker, register_commands
from bot.context import Services
from bot.emulator import BotApiEmulator, ChatEvent, ChatMessage, EmulatedPoll, EmulatorError
from bot.transport.polling import InboxPoller

# Each run is a new local Telegram with a bot of its own: two demos on one database (or a
# demo next to `tutorbot run`) then never take each other's updates, cooldown notices or
# broadcasts. The ids are far above any bot id Telegram has handed out so far.
DEMO_BOT_IDS = (9 * 10**11, 10**12)
DEMO_BOT_USERNAME = "tutorbot_demo_bot"
DEMO_BOT_NAME = "Tutorbot"
_POLL_STEP = 0.05  # how often the idle check looks at the bot; small against `quiet`


@dataclass(frozen=True)
class Learner:
    """Who the terminal user is to the bot: a Telegram user id and a first name."""

    user_id: int
    name: str


def demo_token() -> str:
    """The token of a new demo bot (see DEMO_BOT_IDS)."""
    return f"{random.randrange(*DEMO_BOT_IDS)}:DEMO-local-emulator-token"


@asynccontextmanager
async def polling_bot(
    services: Services, token: str
) -> AsyncIterator[tuple[BotApiEmulator, Application]]:
    """Run the production Application by long polling a fresh emulator; stop both on exit.
    `token` is the demo bot's (`demo_token`), the bot `services` were opened for."""
    # Each run is a new local Telegram; its update ids must not repeat ids an earlier run
    # left in the inbox, or the bot would drop them as re-deliveries.
    first_update_id = int(time.time() * 1000)
    async with BotApiEmulator(
        token,
        bot_username=DEMO_BOT_USERNAME,
        bot_first_name=DEMO_BOT_NAME,
        first_update_id=first_update_id,
    ) as emulator:
        application = build_application(services, token, polling=True, api_url=emulator.base_url)
        worker = inbox_worker(application)
        poller = InboxPoller(application.bot, worker, ALLOWED_UPDATES, timeout=10)
        async with application:
            await register_commands(application)
            await application.start()
            worker.start()
            try:
                await application.bot.delete_webhook()
                poller.start()
                try:
                    yield emulator, application
                finally:
                    await poller.stop()
            finally:
                await worker.stop()
                await application.stop()


@dataclass(frozen=True)
class Button:
    """One inline button as the learner sees it, with what pressing it does."""

    message_id: int
    number: int  # 1-based, row by row, as shown in the terminal
    label: str
    callback_data: str | None
    url: str | None


def buttons_of(message: ChatMessage) -> list[Button]:
    """The inline keyboard of a message, flattened row by row and numbered from 1."""
    flat = [button for row in message.inline_keyboard for button in row]
    return [
        Button(
            message_id=message.message_id,
            number=number,
            label=str(button.get("text", "")),
            callback_data=button.get("callback_data"),
            url=button.get("url"),
        )
        for number, button in enumerate(flat, 1)
    ]


VOTE = "vote"


def parse_vote(argument: str) -> tuple[int, ...]:
    """The option numbers of ``vote 2`` / ``vote 1 3`` (1-based, as the screen shows them;
    commas may separate them too). ValueError says what is wrong, in the learner's terms."""
    words = argument.replace(",", " ").split()
    if not words:
        raise ValueError(f"{VOTE} needs an option number: {VOTE} 2, or {VOTE} 1 3 for several")
    numbers: list[int] = []
    for word in words:
        if not word.isdigit() or int(word) == 0:
            raise ValueError(f"{VOTE} takes option numbers from 1 ({VOTE} 2), not {word!r}")
        if int(word) in numbers:
            raise ValueError(f"{VOTE} names option {int(word)} twice")
        numbers.append(int(word))
    return tuple(numbers)


def is_vote(text: str) -> bool:
    """``vote`` alone, with numbers, or with one word (``vote B``: a slip, told what vote
    takes): a vote, not a message. "vote for me" stays a message, so nothing a learner
    would ask the tutor is taken for a vote."""
    keyword, *rest = text.replace(",", " ").split() or [""]
    return keyword.casefold() == VOTE and (len(rest) <= 1 or all(w.isdigit() for w in rest))


class DemoChat:
    """One learner's private chat with the bot, driven through the emulator.

    Every action returns the bot's events that followed it (messages, edits, deletions,
    callback answers) once the bot is idle: it has fetched the update, no handler is
    running, and nothing new appeared in the chat for ``quiet`` seconds — or ``limit``
    seconds passed, so a hung handler cannot freeze the terminal.
    """

    def __init__(
        self,
        emulator: BotApiEmulator,
        application: Application,
        learner: Learner,
        *,
        quiet: float = 0.3,
        limit: float = 10.0,
    ) -> None:
        self._emulator = emulator
        self._application = application
        self.learner = learner
        self._quiet = quiet
        self._limit = limit
        self._calls_seen = len(emulator.calls)
        self._warnings_seen = len(emulator.warnings)
        self._notes: list[str] = []
        emulator.user(learner.user_id, learner.name, language_code="en")

    @property
    def chat_id(self) -> int:
        return self.learner.user_id

    @property
    def bot_name(self) -> str:
        return self._emulator.bot_user.first_name

    async def command_menu(self) -> list[str]:
        """The commands the bot published with setMyCommands (Telegram's "Menu" button)."""
        commands = await self._application.bot.get_my_commands()
        return [f"/{command.command}" for command in commands]

    # -- acting as the learner ---------------------------------------------------------------

    async def send(self, text: str) -> list[ChatEvent]:
        """Type ``text`` (a message or a /command) and wait for the bot's replies."""
        return await self._act(lambda: self._emulator.send_text(self.chat_id, text))

    async def press(self, button: Button) -> list[ChatEvent]:
        """Tap an inline button; a button without callback data cannot reach the bot."""
        if button.callback_data is None:
            raise EmulatorError(f"[{button.label}] is not a callback button")
        before = set(self._emulator.callback_queries)
        replies = await self._act(
            lambda: self._emulator.press_button(
                self.chat_id, button.message_id, str(button.callback_data)
            )
        )
        for query_id in set(self._emulator.callback_queries) - before:
            if not self._emulator.callback_queries[query_id].answered:
                self._notes.append(
                    f"the bot did not answer the press of [{button.label}] "
                    "(answerCallbackQuery); Telegram would keep the button spinning"
                )
        return replies

    async def vote(self, numbers: Sequence[int]) -> list[ChatEvent]:
        """Vote in the newest open poll for its options ``numbers`` (1-based, as shown).

        A vote no Telegram app would let the learner cast (a closed poll, an option that
        isn't there, a second answer to a quiz) is an EmulatorError saying why.
        """
        poll = self.newest_poll()
        if poll is None:
            raise EmulatorError("there is no poll in this chat to vote in")
        if poll.is_closed:
            raise EmulatorError("the newest poll is closed: nobody can vote in it any more")
        missing = [n for n in numbers if not 1 <= n <= len(poll.options)]
        if missing:
            raise EmulatorError(
                f"the poll has options 1-{len(poll.options)}; there is no option {missing[0]}"
            )
        if len(numbers) > 1 and not poll.allows_multiple_answers:
            raise EmulatorError("this poll takes one answer: vote with a single option number")
        if poll.votes.get(self.chat_id) and not poll.allows_revoting:
            kind = "quiz" if poll.type == "quiz" else "poll"
            raise EmulatorError(f"you answered this {kind} already; the answer can't be changed")
        chosen = [n - 1 for n in numbers]
        return await self._act(lambda: self._emulator.answer_poll(self.chat_id, poll, chosen))

    async def wait(self, seconds: float) -> list[ChatEvent]:
        """Let time pass (e.g. for slow replies or timers); returns what the bot did meanwhile."""
        mark = len(self._chat_events())
        await asyncio.sleep(seconds)
        await self._settle()
        return self._bot_events_since(mark)

    # -- reading the chat --------------------------------------------------------------------

    def buttons(self) -> list[Button]:
        """The buttons of the newest bot message that has any (what a number presses)."""
        for message in reversed(self._emulator.bot_messages(self.chat_id)):
            if message.inline_keyboard:
                return buttons_of(message)
        return []

    def newest_poll(self) -> EmulatedPoll | None:
        """The poll ``vote`` answers: the newest open one, else the newest (to say it's closed)."""
        polls = [
            p
            for p in reversed(self._emulator.polls(self.chat_id))
            if p.message is not None and not p.message.deleted
        ]
        return next((p for p in polls if not p.is_closed), polls[0] if polls else None)

    def poll(self, event: ChatEvent) -> EmulatedPoll | None:
        """The poll an event's message carries, if any."""
        if event.message_id is None:
            return None
        try:
            return self._emulator.message(event.chat_id, event.message_id).poll
        except EmulatorError:
            return None

    def messages_with_buttons(self) -> list[ChatMessage]:
        """Bot messages that still show inline buttons, newest first."""
        return [m for m in reversed(self._emulator.bot_messages(self.chat_id)) if m.inline_keyboard]

    def problems(self) -> list[str]:
        """What Telegram refused or warned about, and unanswered presses, since the last call.

        The demo is also a preview for course authors, so these are shown rather than hidden:
        a refused call is a message the learner would never have received.
        """
        calls = self._emulator.calls[self._calls_seen :]
        warnings = self._emulator.warnings[self._warnings_seen :]
        self._calls_seen += len(calls)
        self._warnings_seen += len(warnings)
        refused = [
            f"Telegram would refuse {call}" for call in calls if not call.ok and not call.abandoned
        ]
        notes, self._notes = self._notes, []
        return [*refused, *(f"Telegram would show: {w}" for w in warnings), *notes]

    # -- waiting for the bot -----------------------------------------------------------------

    async def _act(self, make_update: Callable[[], object]) -> list[ChatEvent]:
        mark = len(self._chat_events())
        make_update()
        await self._settle()
        return self._bot_events_since(mark)

    async def _settle(self) -> None:
        """Return once the bot has been idle for ``quiet`` seconds, or after ``limit``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._limit
        seen = len(self._chat_events())
        quiet_since = loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(_POLL_STEP)
            count = len(self._chat_events())
            if count != seen or self._busy():
                seen, quiet_since = count, loop.time()
            elif loop.time() - quiet_since >= self._quiet:
                return

    def _busy(self) -> bool:
        """An update is still on its way to a handler, or a handler is still running."""
        application = self._application
        return bool(self._emulator.pending_updates) or inbox_worker(application).busy

    def _chat_events(self) -> list[ChatEvent]:
        return self._emulator.events(self.chat_id)

    def _bot_events_since(self, mark: int) -> list[ChatEvent]:
        return [
            event
            for event in self._chat_events()[mark:]
            if event.from_bot and event.kind != "action"
        ]
