"""What one learner does: real update JSON, and the scripts the load generator plays.

`TutorLearner` walks the demo course the way `courses/ml-foundations.demo` does, choosing
buttons by their callback-data action code (see `bot/callbacks.py`) and label on the screen
it is looking at (see `bot/views/learning.py` and `bot/views/quiz.py`):

    /start -> [📘 course] (or first [📚 All courses] -> [course]) -> [✅ Enroll] ->
    [persona] -> [▶ Continue: 1.1] or [module 1] -> topics of module 1: page through long
    ones, [✅ Mark complete], [Next ➡] (now and then [⬅ Previous], [⬅ Module] and back, a
    [💡 suggestion]) -> [📝 Module 1 quiz] -> [▶ Start the quiz] -> answer every question
    (tap an option; multiple choice: tick one or two, then submit) -> the result ->
    /progress -> [▶ course] -> [▶ Continue] -> [Next ➡] / [⬅ Previous] a few times.

Then the session ends and the slot starts again as a new learner (a new user id, so each
session enrolls and takes the quiz afresh). A returning learner (prepared by
`benchmarks/load/seed.py`: enrolled, persona chosen, module 1's topics done) skips the
enrolment: /start -> [▶ course] -> [▶ Continue] or [module 1] -> the quiz -> the rest.
Before any step, once a topic has been opened and no quiz is running, the learner types a
question instead with probability 1/ask_every.
A missing button raises `UnexpectedScreen`. `EchoLearner` (the baselines) sends text
messages, one reply each.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

Json = dict[str, Any]

THINKING = "💭 Looking through the course material…"  # bot.views.tutor.THINKING
SORRY = "Sorry, something went wrong on our side."  # bot.views.common.SORRY (start)
QUESTIONS_FILE = Path(__file__).resolve().parents[2] / "tests" / "data" / "retrieval_questions.yaml"

# Action codes (bot/callbacks.py) -> the names the report uses.
ACTIONS = {
    "h": "home",
    "cat": "catalog",
    "pr": "progress button",
    "c": "course card",
    "e": "enroll",
    "m": "course menu",
    "pm": "persona menu",
    "p": "persona",
    "md": "module",
    "t": "topic",
    "tc": "mark complete",
    "qi": "quiz intro",
    "qb": "quiz start",
    "qa": "quiz answer",
    "qt": "quiz tick",
    "qs": "quiz submit",
    "ak": "ask hint",
    "sg": "suggestion",
}
QUIZ_ACTIONS = frozenset({"quiz intro", "quiz start", "quiz answer", "quiz tick", "quiz submit"})
SESSION_STEP_LIMIT = 200  # a loop in the script must not run forever


def learner_name(user_id: int) -> str:
    """The first name a learner sends (and the seeded returning learners have)."""
    return f"Learner{user_id % 100_000}"


class UnexpectedScreen(Exception):
    def __init__(self, wanted: str, screen: Json | None) -> None:
        self.wanted = wanted
        self.screen = screen
        text = (screen or {}).get("text", "(no message)")
        first = text.splitlines()[0][:80] if text else ""
        labels = [b.get("text", "") for b in buttons(screen)][:8]
        super().__init__(f"wanted {wanted}; screen {first!r} buttons {labels}")


# -- update JSON -------------------------------------------------------------------------------


@dataclass
class Identity:
    user_id: int
    name: str
    _next_message: int = -1  # the learners' messages take odd ids (the fake API's are even)
    _next_query: int = 0

    @property
    def user(self) -> Json:
        return {"id": self.user_id, "is_bot": False, "first_name": self.name, "language_code": "en"}

    @property
    def chat(self) -> Json:
        return {"id": self.user_id, "type": "private", "first_name": self.name}

    def message(self, update_id: int, text: str, date: int) -> Json:
        self._next_message += 2
        message: Json = {
            "message_id": self._next_message,
            "from": self.user,
            "chat": self.chat,
            "date": date,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": update_id, "message": message}

    def callback(self, update_id: int, message: Json, data: str) -> tuple[Json, str]:
        self._next_query += 1
        query_id = f"{self.user_id}{self._next_query:06d}"
        query = {
            "id": query_id,
            "from": self.user,
            "message": message,
            "chat_instance": str(-abs(self.user_id) * 7919 - 17),
            "data": data,
        }
        return {"update_id": update_id, "callback_query": query}, query_id


def buttons(message: Json | None) -> list[Json]:
    rows = ((message or {}).get("reply_markup") or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row if "callback_data" in button]


def code_of(button: Json) -> str:
    return str(button["callback_data"]).split(":", 1)[0]


def find(message: Json | None, code: str, label: str | None = None) -> list[Json]:
    """Buttons of one action code, optionally whose label contains `label`."""
    return [
        b
        for b in buttons(message)
        if code_of(b) == code and (label is None or label in str(b.get("text", "")))
    ]


def action_name(data: str) -> str:
    return ACTIONS.get(data.split(":", 1)[0], data.split(":", 1)[0])


def load_questions() -> list[str]:
    with QUESTIONS_FILE.open(encoding="utf-8") as handle:
        return [str(item["question"]) for item in yaml.safe_load(handle)]


# -- the scripts -------------------------------------------------------------------------------


@dataclass
class Reply:
    """What the bot did in answer to one step: messages sent, messages edited."""

    sent: list[Json] = field(default_factory=list)
    edited: list[Json] = field(default_factory=list)

    def newest_sent_with_buttons(self) -> Json | None:
        return next((m for m in reversed(self.sent) if buttons(m)), None)

    def version_of(self, message_id: int) -> Json | None:
        return next((m for m in reversed(self.edited) if m["message_id"] == message_id), None)


class Client(Protocol):
    """The load generator's side of a learner: each call is one update, posted, answered."""

    async def command(self, identity: Identity, text: str) -> Reply: ...

    async def press(self, identity: Identity, message: Json, button: Json) -> Reply: ...

    async def ask(self, identity: Identity, question: str) -> Reply: ...


class TutorLearner:
    def __init__(
        self, client: Client, identity: Identity, rng: random.Random, *, ask_every: int
    ) -> None:
        self._client = client
        self.me = identity
        self._rng = rng
        self._ask_every = ask_every
        self._can_ask = False  # a topic was opened: the chat has a course context
        self._in_quiz = False
        self._steps = 0
        self._ticks: dict[int, int] = {}  # quiz question message id -> options to tick

    async def session(self, questions: Iterator[str], *, returning: bool = False) -> None:
        self._questions = questions
        screen = await self._command("/start")
        if returning:
            self._can_ask = True  # seeded with topic 1.4 open in the chat
            screen = await self._press(screen, "m")  # [▶ course] under "Your courses"
        else:
            if self._rng.random() < 0.3:
                screen = await self._press(screen, "cat")
            screen = await self._press(screen, "c")
            screen = await self._press(screen, "e")
            screen = await self._press(screen, "p", pick=True)
        if self._rng.random() < 0.5:
            screen = await self._press(screen, "t", "Continue")
        else:
            screen = await self._press(screen, "md", " 1. ")
        screen = await self._study(screen)
        await self._wander()

    # -- phases ----------------------------------------------------------------------------

    async def _study(self, screen: Json) -> Json:
        """Module 1: its topics, then its quiz; returns the last screen (the quiz result,
        or the module screen when the quiz can't be taken)."""
        while True:
            text = str(screen.get("text", ""))
            if find(screen, "qa") or find(screen, "qt"):
                screen = await self._answer(screen)
            elif find(screen, "ak"):
                screen = await self._read(screen)
            elif find(screen, "qb"):
                self._in_quiz = True
                screen = await self._press(screen, "qb")
            elif " correct." in text and "By topic" in text:
                self._in_quiz = False
                return screen
            elif text.startswith("📝 Module"):
                return screen  # the quiz intro without a start button: not open now
            elif text.startswith("Module ") and find(screen, "m"):
                next_screen = await self._module(screen)
                if next_screen is None:
                    return screen
                screen = next_screen
            else:
                raise UnexpectedScreen("a module 1 topic, quiz or result", screen)

    async def _read(self, topic: Json) -> Json:
        """One step on a topic screen."""
        self._can_ask = True
        pages = _page_of(topic)
        roll = self._rng.random()
        if find(topic, "sg") and roll < 0.04:
            await self._press(topic, "sg", pick=True)
            return topic
        if roll < 0.08:
            return await self._press(topic, "md", "Module")
        if pages is not None and pages[0] < pages[1] and roll < 0.8:
            return await self._press(topic, "t", "Page ▶")
        if find(topic, "tc"):
            return await self._press(topic, "tc")
        if find(topic, "qi"):
            return await self._press(topic, "qi")
        if find(topic, "t", "Next") and roll < 0.9:
            return await self._press(topic, "t", "Next")
        if find(topic, "t", "Previous"):
            return await self._press(topic, "t", "Previous")
        return await self._press(topic, "md", "Module")

    async def _module(self, module: Json) -> Json | None:
        if find(module, "qi", "Take the"):
            return await self._press(module, "qi", "Take the")
        unread = [b for b in find(module, "t") if str(b.get("text", "")).startswith("▫")]
        if unread:
            return await self._tap(module, unread[0])
        return None  # every topic done and no quiz to take (cooldown, passed)

    async def _answer(self, question: Json) -> Json:
        single = find(question, "qa")
        if single:
            return await self._tap(question, self._rng.choice(single))
        wanted = self._ticks.setdefault(question["message_id"], self._rng.choice((1, 2)))
        ticked = [b for b in find(question, "qt") if str(b.get("text", "")).startswith("☑")]
        unticked = [b for b in find(question, "qt") if str(b.get("text", "")).startswith("☐")]
        if len(ticked) < wanted and unticked:
            return await self._tap(question, self._rng.choice(unticked))
        return await self._press(question, "qs")

    async def _wander(self) -> None:
        """After the quiz: progress, back into the course, a few topics."""
        screen = await self._command("/progress")
        screen = await self._press(screen, "m")
        screen = await self._press(screen, "t", "Continue")
        for _ in range(self._rng.randint(2, 4)):
            moves = find(screen, "t", "Next") + find(screen, "t", "Previous")
            if not moves:
                raise UnexpectedScreen("[Next ➡] or [⬅ Previous]", screen)
            screen = await self._tap(screen, self._rng.choice(moves))

    # -- steps -----------------------------------------------------------------------------

    async def _maybe_ask(self) -> None:
        if self._can_ask and not self._in_quiz and self._rng.random() * self._ask_every < 1:
            self._count_step()
            await self._client.ask(self.me, next(self._questions))

    async def _command(self, text: str) -> Json:
        await self._maybe_ask()
        self._count_step()
        reply = await self._client.command(self.me, text)
        if not reply.sent:
            raise UnexpectedScreen(f"a reply to {text}", None)
        return reply.sent[-1]

    async def _press(
        self, screen: Json, code: str, label: str | None = None, *, pick: bool = False
    ) -> Json:
        found = find(screen, code, label)
        if not found:
            name = ACTIONS.get(code, code)
            raise UnexpectedScreen(f"a {name} button" + (f" {label!r}" if label else ""), screen)
        return await self._tap(screen, self._rng.choice(found) if pick else found[0])

    async def _tap(self, screen: Json, button: Json) -> Json:
        await self._maybe_ask()
        self._count_step()
        reply = await self._client.press(self.me, screen, button)
        code = code_of(button)
        if code in ("qa", "qs"):  # the answered question stays; the next one is new
            following = reply.newest_sent_with_buttons()
            if following is None:
                raise UnexpectedScreen("the next question or the result", screen)
            return following
        if code == "sg":  # the answer is a new message; the learner stays on the topic
            return screen
        return reply.version_of(screen["message_id"]) or screen

    def _count_step(self) -> None:
        self._steps += 1
        if self._steps > SESSION_STEP_LIMIT:
            raise UnexpectedScreen(f"the session to end within {SESSION_STEP_LIMIT} steps", None)


def _page_of(topic: Json) -> tuple[int, int] | None:
    """(page, pages) from the page counter button `k/n` of a long topic."""
    for button in find(topic, "x"):
        left, _, right = str(button.get("text", "")).partition("/")
        if left.isdigit() and right.isdigit():
            return int(left), int(right)
    return None


class EchoLearner:
    """The baselines' learner: a text message, wait for the one reply, again."""

    def __init__(self, client: Client, identity: Identity) -> None:
        self._client = client
        self.me = identity

    async def session(self, questions: Iterator[str], *, returning: bool = False) -> None:
        for n in range(SESSION_STEP_LIMIT):
            reply = await self._client.command(self.me, f"hello {n}")
            if not reply.sent:
                raise UnexpectedScreen("a reply", None)
