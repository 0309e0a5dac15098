"""Random and hostile updates through the whole pipeline: stored in the inbox, claimed and
handled by the real Application, answered through the Bot API emulator.

For every input, whatever it is:
  - no handler raises (the inbox marks an update `failed` when the error handler was
    reached, so that row is the witness; nothing of ours is patched to observe it);
  - every request the bot sends passes the emulator's checks (length, HTML, buttons, …);
  - every button press is answered exactly once;
  - an input the bot refuses changes nothing it stores (every table is compared before
    and after; staff attempts may only add their "denied" audit row).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from telegram.ext import Application

from bot.callbacks import ForgedCallback, action, decode, named
from bot.emulator import ApiCall, BotApiEmulator, EmulatorError
from bot.emulator.checks import detect_entities
from bot.handlers.buttons import STALE_BUTTON
from bot.timezones import Found, resolve
from bot.transport.inbox import BadUpdate
from domain.personas import Persona
from tests.conftest import ADMIN_ID
from tests.support import Dialogue
from tests.support.app import deliver_to
from tests.support.courses import TINY_PACK, import_as, import_pack
from tests.support.report import report
from tests.support.snapshot import (
    AuditRow,
    audit_since,
    changes,
    inbox_outcome,
    last_audit_id,
    snapshot,
    state_tables,
)

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout; a failure prints its example
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the world is built once per test, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# For tests whose every example sends one input of each of several kinds.
EACH_OF_MANY = settings(FUZZ, max_examples=10)

EVE, ADA, BOB, CAROL = 66, 42, 43, 44
GROUP, SUPERGROUP, CHANNEL = -4001, -1004002, -1004003
BOT_NAME = "tutorbot_test_bot"

# -- what hostile input is made of ----------------------------------------------------------


def _plane(number: int) -> st.SearchStrategy[str]:
    return st.characters(
        min_codepoint=number << 16,
        max_codepoint=(number << 16) | 0xFFFF,
        exclude_categories=("Cs",),
    )


# Every Unicode plane equally likely (no lone surrogates: Telegram sends valid UTF-8).
ANY_CHAR = st.one_of(*(_plane(n) for n in range(17)))

SPECIAL = [
    "<b>", "</b>", "</", "<", ">", "&", "&amp;", "&#0;", "&nbsp;", '<a href="tg://user?id=1">',
    "<pre>", "<code>", "<tg-spoiler>", "`", "```", "*", "**", "_", "__", "[", "]", "(", ")",
    "[x](javascript:alert(1))", "~", "||", "\\", "#", "\u202e", "\u202d", "\u200f", "\u200e",
    "\u061c", "\u2066", "\u2069", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u0301",
    "Z\u0336\u0321\u031b\u0334", "👩\u200d👩\u200d👧", "🏳️\u200d🌈", "\U0001f1fa\U0001f1f8",
    "שלום", "مرحبا", "\n", "\r\n", "\t", "\x1b[31m", "\x7f", "\u2028", "\u2029", "\x1c",
    "@tutorbot_test_bot", "#tag", "$USD", "https://example.com/?a=<b>", "/start", "%s", "{0}",
    "'; DROP TABLE users; --", "\\x00", "\ufffd", "\U000e0041", "\U0010fffd", "\U0001d573",
    "\x00", "a\x00b",  # U+0000, which PostgreSQL cannot store: the inbox replaces it
]  # fmt: skip

HOSTILE = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.text(ANY_CHAR, max_size=3)), max_size=30
).map("".join)

TEXTS = st.one_of(
    st.text(ANY_CHAR, max_size=200),
    HOSTILE,
    st.sampled_from(["", " ", "\n\n", "\u200b"]),
    # Telegram stops users at 4,096 characters; a forged client need not.
    st.builds(
        lambda unit, n: (unit * n)[:n],
        st.sampled_from(["a", "я", "😀", "<b>", "&", "e\u0301", " "]),
        st.sampled_from([4096, 4097, 100_000]),
    ),
)

# Names Telegram allows are 1-64 characters of anything.
NAMES = st.one_of(st.text(ANY_CHAR, min_size=1, max_size=64), HOSTILE.map(lambda s: s[:64] or "x"))

WORD = st.one_of(st.text(ANY_CHAR, min_size=1, max_size=40), HOSTILE, st.sampled_from(SPECIAL))
TIMEZONE_GARBAGE = [
    "Europe", "America", "Etc", "__pycache__", ".", "..", "../../etc/passwd", "/etc/localtime",
    "Europe/", "Europe//Berlin", "europe/berlin", "UTC+25", "GMT+99", "Mars/Olympus_Mons",
    "zone.tab", "tzdata.zi", "leapseconds", "Europe/__init__.py", "~", "*", "\u202eUTC",
]  # fmt: skip
LEARNER_COMMANDS = ["start", "help", "courses", "progress", "quiz", "timezone"]
STAFF_COMMANDS = [
    "admin", "learner", "promote", "demote", "grant_prompts", "grant_attempts",
    "reset_cooldown", "suspend", "unsuspend", "stats", "broadcast", "courses_admin", "export",
    "import", "reindex",
]  # fmt: skip
KNOWN_COMMANDS = {*LEARNER_COMMANDS, *STAFF_COMMANDS, "newchat", "mydata", "deleteme"}

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(ANY_CHAR, max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(ANY_CHAR, max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)
# Fields a future Bot API version might add (never colliding with today's names).
UNKNOWN_FIELDS = st.dictionaries(
    st.text(ANY_CHAR, max_size=12).map(lambda key: f"x_{key}"), JSON_VALUES, min_size=1, max_size=4
)

# -- the world the inputs land in -----------------------------------------------------------

WRONG = {"Which plant": "Peppermint", "What mainly makes": "Black tea is never dried"}


@dataclass
class World:
    """Learners in every interesting state, staff with buttons on screen, a deleted course.

    - Eve has never enrolled; Ada enrolled, failed the Module 1 quiz (a finished attempt
      whose buttons she still has) and had been in a course that was then deleted; Bob is
      in the middle of a quiz; Carol has used all her typed questions; the admin has a
      broadcast draft and the course visibility buttons on screen.
    """

    emulator: BotApiEmulator
    application: Application
    pool: asyncpg.Pool
    chats: dict[int, Dialogue]
    tables: list[str]
    finished: list[str] = field(default_factory=list)  # Ada's finished attempt
    foreign: list[str] = field(default_factory=list)  # Bob's running attempt, admin's buttons
    deleted: list[str] = field(default_factory=list)  # the deleted course's buttons
    real: list[str] = field(default_factory=list)  # every button the bot has shown
    topic: int = 0  # a forum topic of the supergroup

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints the arguments of a failing example; this one is the setup."""
        printer.text("World(Eve, Ada, Bob, Carol, admin)")

    async def deliver(self, update: dict[str, Any]) -> None:
        await deliver_to(self.application)(update)

    def last_message_id(self, user_id: int) -> int:
        return self.chats[user_id].last.message_id


def buttons_sent(emulator: BotApiEmulator, chat_id: int | None = None) -> list[str]:
    """The callback data of every button the bot has sent or edited in (a chat)."""
    found: list[str] = []
    for call in emulator.calls:
        if chat_id is not None and str(call.params.get("chat_id")) != str(chat_id):
            continue
        markup = call.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            found += [b["callback_data"] for b in row if "callback_data" in b]
    return list(dict.fromkeys(found))


def encoded(uuid: Any) -> str:
    """A UUID the way buttons carry it (see bot.callbacks)."""
    return action("course", course=uuid).split(":")[1]


@pytest.fixture
async def world(
    talk, emulator: BotApiEmulator, application: Application, pool: asyncpg.Pool, tmp_path
) -> World:
    await import_pack(pool, TINY_PACK)
    await import_as(pool, TINY_PACK, tmp_path, "gone", name="Gone tea")
    await pool.execute("UPDATE courses SET quiz_requires_topics = false")

    chats = {
        EVE: talk(EVE, "Eve"),
        ADA: talk(ADA, "Ada", username="ada"),
        BOB: talk(BOB, "Bob"),
        CAROL: talk(CAROL, "Carol"),
        ADMIN_ID: talk(ADMIN_ID, "Grace"),
    }
    await chats[EVE].send("/start")

    ada = chats[ADA]
    await ada.send("/start gone")
    await ada.press("📘 Normal")
    await ada.press("1. Kinds of tea")
    await ada.press("1. The tea plant")
    gone_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'gone'")
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("1. Kinds of tea")
    await ada.press("📝 Take the Module 1 quiz")
    await ada.press("▶ Start the quiz")
    attempt = await pool.fetchval("SELECT id FROM quiz_attempts WHERE user_id = $1", ADA)
    for _ in range(2):
        question = ada.last.text
        await ada.press(next(bad for start, bad in WRONG.items() if start in question))
    assert "Not passed this time" in ada.last.text

    bob = chats[BOB]
    await bob.send("/start tiny")
    await bob.press("📘 Normal")
    await bob.press("1. Kinds of tea")
    await bob.press("📝 Take the Module 1 quiz")
    await bob.press("▶ Start the quiz")
    running = await pool.fetchval("SELECT id FROM quiz_attempts WHERE user_id = $1", BOB)

    carol = chats[CAROL]
    await carol.send("/start tiny")
    await carol.press("📘 Normal")
    await carol.press("▶ Continue: 1.1")
    for n in range(5):
        await carol.send(f"Where does tea come from? ({n})")
    await carol.send("And black tea?")
    assert "You've used all 5 typed questions" in carol.last.text

    admin = chats[ADMIN_ID]
    await admin.send("/broadcast tiny Tea time")
    await admin.send("/courses_admin")

    emulator.group(GROUP, "Study group")
    emulator.group(SUPERGROUP, "Tea lovers", supergroup=True, forum=True)
    topic = emulator.create_topic(ADMIN_ID, SUPERGROUP, "Brewing", deliver=False)
    emulator.channel(CHANNEL, "Tea news")

    await pool.execute("DELETE FROM courses WHERE id = $1", gone_id)
    world = World(emulator, application, pool, chats, await state_tables(pool))
    world.real = buttons_sent(emulator)
    world.topic = topic
    world.finished = [d for d in buttons_sent(emulator, ADA) if encoded(attempt) in d]
    world.deleted = [d for d in world.real if encoded(gone_id) in d]
    world.foreign = [d for d in buttons_sent(emulator, BOB) if encoded(running) in d] + [
        d for d in buttons_sent(emulator, ADMIN_ID) if d.split(":")[0] in ("bc", "bx", "ca")
    ]
    assert world.finished and world.deleted and world.foreign
    emulator.assert_no_rejections()
    return world


# -- observing one input --------------------------------------------------------------------

TRIED: Counter[str] = Counter()
FAILED: Counter[str] = Counter()


@dataclass
class Effects:
    """What one update did: the Bot API calls it caused, the stored state it changed and
    the audit rows it added."""

    calls: list[ApiCall]
    changed: dict[str, dict[str, list[str]]]
    audit: list[AuditRow]

    def sent_or_edited(self, chat_id: int) -> list[ApiCall]:
        return [
            c
            for c in self.calls
            if c.method in ("sendMessage", "editMessageText")
            and str(c.params.get("chat_id")) == str(chat_id)
        ]

    def sent_to(self, chat_id: int) -> list[ApiCall]:
        return [
            c
            for c in self.calls
            if c.method in ("sendMessage", "sendPhoto", "sendDocument")
            and str(c.params.get("chat_id")) == str(chat_id)
        ]


@pytest.fixture(scope="module", autouse=True)
def fuzz_figures() -> Iterator[None]:
    yield
    if TRIED:
        report(
            "fuzz: hostile updates",
            inputs=sum(TRIED.values()),
            failures=sum(FAILED.values()),
            **dict(sorted(TRIED.items())),
        )


@contextmanager
def tried(category: str) -> Iterator[None]:
    """Count one input of `category` for the report, and whether a check on it failed."""
    TRIED[category] += 1
    try:
        yield
    except BaseException:
        FAILED[category] += 1
        raise


async def observe(world: World, update: dict[str, Any]) -> Effects:
    """Deliver one update through the inbox and check what holds for every input."""
    pool = world.pool
    before, audit_from = await snapshot(pool, world.tables), await last_audit_id(pool)
    first_call = len(world.emulator.calls)
    await world.deliver(update)
    outcome = await inbox_outcome(pool, update["update_id"])
    assert outcome is not None and outcome.processed, f"update not handled: {outcome}"
    assert not outcome.failed, f"a handler raised {outcome.error} (see the log above)"
    assert not world.emulator.rejections, world.emulator.rejections
    return Effects(
        world.emulator.calls[first_call:],
        changes(before, await snapshot(pool, world.tables)),
        await audit_since(pool, audit_from),
    )


def refused_quietly(effects: Effects, sender: int, *, staff: bool = False) -> None:
    """Nothing stored changed; a staff command tried by someone else left exactly its
    "denied" audit row (staff: "invalid") and nothing more."""
    assert effects.changed == {}, f"a refused input changed stored state: {effects.changed}"
    refusals = ("denied", "invalid") if staff else ("denied",)
    assert all(r.actor_id == sender and r.outcome in refusals for r in effects.audit), effects.audit
    assert len(effects.audit) <= 1, effects.audit


_raw_ids = itertools.count(3_000_000_000)


def from_user(world: World, user_id: int, text: str, **profile: str) -> dict[str, Any]:
    """The update Telegram would send for `text` typed by the user in their private chat,
    with the user's profile as given (names are anything Telegram allows). A text no
    Telegram app can send (empty, over 4096 characters) is forged into an update the
    emulator built: the bot must survive whatever reaches it."""
    try:
        update = world.emulator.send_text(user_id, text, deliver=False)
    except EmulatorError:
        update = world.emulator.send_text(user_id, "(forged)", deliver=False)
        assert update is not None
        update["message"].update(text=text, entities=detect_entities(text))
    assert update is not None
    update["message"]["from"].update(profile)
    return update


# -- the properties -------------------------------------------------------------------------

PLAIN_SENDERS = st.sampled_from([EVE, BOB, CAROL])  # no staff, nothing a text would change


@FUZZ
@given(sender=PLAIN_SENDERS, text=TEXTS.filter(lambda t: not t.startswith("/")), name=NAMES)
@example(sender=EVE, text="", name="Eve")
@example(sender=CAROL, text="x" * 100_000, name="<b>Carol</b> &amp;")
@example(sender=BOB, text="\u202e\u200b\U0010fffd e\u0301 *_[]()` </", name="\u202eboB")
async def test_any_text_in_a_private_chat_gets_an_answer_and_changes_nothing(
    world: World, sender: int, text: str, name: str
) -> None:
    """Eve has no course (pointed to one), Bob's quiz is running (the tutor waits), Carol's
    questions are used up (offered the free suggestions): nothing typed changes anything."""
    update = from_user(world, sender, text, first_name=name)

    with tried("texts"):
        effects = await observe(world, update)

        assert effects.sent_to(sender), "every private message gets an answer"
        refused_quietly(effects, sender)


LEARNER_COMMAND_NAMES = st.one_of(
    st.sampled_from(LEARNER_COMMANDS),
    st.from_regex(r"[A-Za-z0-9_]{1,32}", fullmatch=True).filter(
        lambda name: name.lower() not in KNOWN_COMMANDS
    ),
)
ADDRESSED = st.sampled_from(["", f"@{BOT_NAME}", "@other_bot", "@"])


@st.composite
def learner_commands(draw: st.DrawFn) -> str:
    name = draw(LEARNER_COMMAND_NAMES)
    garbage = st.one_of(WORD, st.sampled_from(TIMEZONE_GARBAGE)) if name == "timezone" else WORD
    args = draw(st.lists(garbage, max_size=4))
    return " ".join([f"/{name}{draw(ADDRESSED)}", *args])


@st.composite
def staff_commands(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(STAFF_COMMANDS))
    args = draw(
        st.lists(st.one_of(WORD, st.sampled_from(["tiny", "gone", "1", "42", "@ada"])), max_size=5)
    )
    to = draw(st.sampled_from(["", f"@{BOT_NAME}"]))
    return " ".join([f"/{name}{to}", *args])


def names_something(text: str) -> bool:
    """A deep link to a real course enrolls, a time zone the bot understands is set, and
    /quiz shows a running quiz's question (its live copy moves there): not garbage."""
    command, *words = text.split() or [""]  # what the bot reads as the arguments
    if command.startswith("/start") and words:
        return words[0].strip().lower()[:64] == "tiny"
    if command.startswith("/timezone") and words:
        return isinstance(resolve(" ".join(words)), Found)
    return command in ("/quiz", f"/quiz@{BOT_NAME}")


@FUZZ
@given(sender=PLAIN_SENDERS, text=learner_commands(), name=NAMES)
@example(sender=EVE, text="/timezone Europe", name="Eve")
@example(sender=BOB, text="/start " + "<b>" * 30, name="Bob")
@example(sender=CAROL, text="/timezone " + "x" * 100_000, name="Carol")
async def test_deep_links_and_timezones_that_name_nothing_are_refused_and_change_nothing(
    world: World, sender: int, text: str, name: str
) -> None:
    """`/start <deep-link garbage>`, `/timezone <garbage>`, unknown commands and commands
    addressed to another bot, from learners in every state."""
    assume(not names_something(text))
    update = from_user(world, sender, text, first_name=name)

    with tried("learner commands"):
        effects = await observe(world, update)

        assert effects.sent_to(sender), "every command gets an answer"
        refused_quietly(effects, sender)


@FUZZ
@given(sender=PLAIN_SENDERS, text=staff_commands(), name=NAMES)
@example(sender=EVE, text="/grant_prompts @ada tiny 1 1000", name="Eve")
@example(sender=BOB, text="/promote 43 admin", name="Bob")
async def test_staff_commands_from_learners_are_denied_once_and_change_nothing(
    world: World, sender: int, text: str, name: str
) -> None:
    update = from_user(world, sender, text, first_name=name)

    with tried("staff commands"):
        effects = await observe(world, update)

        assert effects.sent_to(sender), "every command gets an answer"
        refused_quietly(effects, sender)
        assert [row.outcome for row in effects.audit] == ["denied"], effects.audit


SILENT_SHAPES = ["edited", "channel post", "no sender", "unknown type", "my_chat_member"]
SHAPES = [*SILENT_SHAPES, "group", "supergroup", "forum topic", "unknown fields"]


def shaped(world: World, shape: str, sender: int, text: str, extra: dict[str, Any]) -> dict:
    """An update of the given shape carrying `text` (and `extra` unknown fields)."""
    emulator = world.emulator
    if shape == "channel post":
        try:
            return emulator.channel_post(CHANNEL, text, deliver=False)
        except EmulatorError:  # no app sends it: forged, as in `from_user`
            update = emulator.channel_post(CHANNEL, "(forged)", deliver=False)
            update["channel_post"].update(text=text, entities=detect_entities(text))
            return update
    if shape == "unknown type":
        return {"update_id": next(_raw_ids), f"future_{len(extra)}": {"text": text, **extra}}
    if shape in ("group", "supergroup", "forum topic"):
        group = GROUP if shape == "group" else SUPERGROUP
        try:
            emulator.send_text(sender, text, chat=group, deliver=False)  # None: privacy mode
            message = emulator.chat(group)[-1].to_api()  # delivered anyway, as without privacy
        except EmulatorError:  # no app sends it: forged, as in `from_user`
            emulator.send_text(sender, "(forged)", chat=group, deliver=False)
            message = emulator.chat(group)[-1].to_api()
            message.update(text=text, entities=detect_entities(text))
        if shape == "forum topic":
            message.update(message_thread_id=world.topic, is_topic_message=True)
        return {"update_id": next(_raw_ids), "message": message}
    update = from_user(world, sender, text)
    message = update["message"]
    if shape == "edited":
        message["edit_date"] = message["date"] + 1
        return {"update_id": update["update_id"], "edited_message": message}
    if shape == "no sender":
        del message["from"]
    elif shape == "my_chat_member":
        bot = emulator.bot_user.to_api()
        return {
            "update_id": update["update_id"],
            "my_chat_member": {
                "chat": message["chat"],
                "from": message["from"],
                "date": message["date"],
                "old_chat_member": {"status": "member", "user": bot},
                "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0},
            },
        }
    elif shape == "unknown fields":
        message.update(extra)
        message["from"].update(extra)
        message["chat"].update(extra)
    return update


@EACH_OF_MANY
@given(sender=PLAIN_SENDERS, text=st.one_of(TEXTS, learner_commands()), extra=UNKNOWN_FIELDS)
@example(sender=EVE, text="/start", extra={"x_": None})
@example(sender=CAROL, text="/progress", extra={"x_new": {"a": [1]}})
async def test_updates_of_every_shape_are_handled_without_error_and_change_nothing(
    world: World, sender: int, text: str, extra: dict[str, Any]
) -> None:
    """The same text as an edited message, a channel post, in a group, a supergroup and a
    forum topic, without a sender, inside an update type or with fields newer than the bot."""
    for shape in SHAPES:
        if shape == "unknown fields" and names_something(text):
            continue  # a real deep link or time zone does what it says
        update = shaped(world, shape, sender, text, extra)

        with tried(f"shape: {shape}"):
            effects = await observe(world, update)

            refused_quietly(effects, sender)
            assert effects.audit == []
            if shape in SILENT_SHAPES:
                assert effects.calls == [], f"{shape}: nothing to answer, nobody to answer to"
            if shape == "unknown fields":
                assert effects.sent_to(sender), "fields the bot doesn't know change nothing"


# -- button presses -------------------------------------------------------------------------

PRESS_KINDS = ["random", "random bytes", "truncated", "foreign", "finished", "deleted", "never"]
# Who presses what: another user's buttons are pressed by everyone but their owner.
PRESSERS = {
    "foreign": [EVE, ADA, CAROL],
    "finished": [ADA],
    "deleted": [ADA, EVE, ADMIN_ID],
}
EVERYONE = [EVE, ADA, BOB, CAROL, ADMIN_ID]
# Actions that name a course or an attempt, with the fields they need besides it.
BY_COURSE = ["course", "enroll", "course_menu", "persona_menu", "module", "topic", "complete",
             "quiz", "quiz_start", "ask", "course_visibility", "persona"]  # fmt: skip
BY_ATTEMPT = ["quiz_answer", "quiz_toggle", "quiz_submit", "quiz_resume", "quiz_abandon",
              "quiz_abandon_confirm"]  # fmt: skip


NEVER = BY_COURSE + BY_ATTEMPT + ["suggestion", "broadcast_send", "broadcast_cancel"]


def _never_existed(pick: int) -> str:
    """A well-formed press naming a course, attempt, suggestion or broadcast that never
    existed (each action's data carries only the fields of its layout)."""
    n = pick % 3 + 1
    values = {
        "course": uuid4(),
        "attempt": uuid4(),
        "suggestion": uuid4(),
        "broadcast": uuid4(),
        "module": n,
        "topic": n,
        "page": 0,
        "question": n,
        "option": n,
        "mask": n,
        "persona": Persona.SPORTS,
        "op": "pua"[n - 1],
    }
    kind = named(NEVER[pick % len(NEVER)])
    return action(kind.NAME, **{field: values[field] for field, _ in kind.LAYOUT})


def callback_data(world: World, kind: str, pick: int, cut: int, noise: str) -> str:
    if kind == "random":
        return noise
    if kind == "random bytes":
        return noise.encode("utf-8", "replace")[:64].decode("utf-8", "replace").replace("\0", "")
    if kind == "never":
        return _never_existed(pick)
    known = {"truncated": world.real, "foreign": world.foreign}.get(kind)
    known = known or {"finished": world.finished, "deleted": world.deleted}[kind]
    data = known[pick % len(known)]
    return data[: cut % len(data)] if kind == "truncated" else data


def is_forged(data: str) -> bool:
    try:
        decode(data)
    except ForgedCallback:
        return True
    return False


@EACH_OF_MANY
@given(
    pick=st.integers(0, 10_000),
    cut=st.integers(0, 64),
    noise=st.one_of(st.text(ANY_CHAR, min_size=1, max_size=80), HOSTILE),
)
@example(pick=3, cut=5, noise="q" * 65)
@example(pick=NEVER.index("suggestion"), cut=0, noise="0")
async def test_forged_stale_and_foreign_button_presses_are_answered_once_and_change_nothing(
    world: World, pick: int, cut: int, noise: str
) -> None:
    """Random data, random bytes, truncated real data, another user's quiz or broadcast,
    an old finished quiz attempt, a deleted course, ids that never existed."""
    for kind in PRESS_KINDS:
        data = callback_data(world, kind, pick, cut, noise)
        if kind == "truncated" and not is_forged(data):
            continue  # a cut that still parses is an ordinary (valid) press
        pressers = PRESSERS.get(kind, EVERYONE)
        presser = pressers[pick % len(pressers)]
        update = world.emulator.press_button(
            presser, world.last_message_id(presser), data, deliver=False, forged=True
        )
        query_id = update["callback_query"]["id"]

        with tried(f"press: {kind}"):
            effects = await observe(world, update)

            answers = [
                c
                for c in effects.calls
                if c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == query_id
            ]
            assert len(answers) == 1, f"{kind} {data!r}: answered {len(answers)} times"
            query = world.emulator.callback_queries[query_id]
            if is_forged(data):
                assert (query.answer_text, query.show_alert) == (STALE_BUTTON, True)
            elif kind in ("foreign", "finished", "deleted", "never"):
                shown = query.answer_text or effects.sent_or_edited(presser)
                assert shown, f"{kind} {data!r}: a refused press says why"
            refused_quietly(effects, presser, staff=presser == ADMIN_ID)


# -- bodies that are no update --------------------------------------------------------------

NOT_UPDATES = st.one_of(
    JSON_VALUES.filter(lambda value: not isinstance(value, dict)),
    st.fixed_dictionaries({"update_id": st.one_of(st.none(), st.text(), st.booleans())}),
    st.fixed_dictionaries({"update_id": st.integers(max_value=-1)}),
    # two objects in one update, or a kind that is not an object
    st.fixed_dictionaries(
        {"update_id": st.integers(4_000_000_000, 2**40), "message": st.just({"text": "hi"})},
        optional={"edited_message": st.just({}), "x_extra": JSON_VALUES},
    ).filter(lambda body: len(body) != 2),
    st.fixed_dictionaries(
        {"update_id": st.integers(4_000_000_000, 2**40), "message": JSON_VALUES}
    ).filter(lambda body: not isinstance(body["message"], dict)),
)


@FUZZ
@given(body=NOT_UPDATES)
async def test_bodies_that_are_no_update_are_refused_at_the_door(
    application: Application, pool: asyncpg.Pool, body: object
) -> None:
    """The webhook answers 400 for these (BadUpdate); nothing is stored or handled."""
    with tried("not an update"):
        stored = await pool.fetchval("SELECT count(*) FROM update_inbox")
        with pytest.raises(BadUpdate):
            await deliver_to(application)(body)  # type: ignore[arg-type]
        assert await pool.fetchval("SELECT count(*) FROM update_inbox") == stored
