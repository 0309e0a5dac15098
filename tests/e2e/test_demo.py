"""`tutorbot demo`: the real bot in a terminal, through the Bot API emulator.

The command is run as a user runs it — a subprocess, with a script or in a real
pseudo-terminal — against a test database (DATABASE_URL), so no second embedded server
starts. How chat events look on screen is checked in-process against the emulator, with a
plain PTB ``Bot`` playing the bot so that keyboards, edits, toasts and files are covered
whatever the handlers currently send.
"""

from __future__ import annotations

import asyncio
import fcntl
import io
import os
import pty
import re
import signal
import struct
import sys
import termios
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import Services
from bot.demo.render import ChatScreen, Downloads, visible_text
from bot.demo.script import ScriptError, ScriptRunner, Step, parse_script, pick_button
from bot.demo.session import DemoChat, Learner, is_vote, parse_vote, polling_bot
from bot.emulator import BotApiEmulator, EmulatorError
from bot.transport.request import AiohttpRequest
from bot.views.refusals import NOT_ALLOWED
from tests.conftest import TOKEN
from tests.support.courses import TINY_PACK, editable_copy, import_pack

REPO = Path(__file__).resolve().parents[2]
DEMO_SCRIPT = REPO / "courses" / "ml-foundations.demo"
LEARNER = 42
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def demo_env(db_url: str, data_dir: Path) -> dict[str, str]:
    """The user's environment minus anything that would reach real Telegram or OpenAI."""
    dropped = ("TELEGRAM_", "WEBHOOK_", "OPENAI_", "DATABASE_URL", "NO_COLOR", "LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return {
        **env,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": db_url,
        "DATA_DIR": str(data_dir),
        "EMBEDDING_BACKEND": "local",
    }


async def demo(
    *args: str, db_url: str, tmp_path: Path, typed: str | None = None
) -> tuple[int, str, str]:
    """Run `tutorbot demo`; `typed`: lines piped in as the learner's input."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        *args,
        env=demo_env(db_url, tmp_path / "data"),
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL if typed is None else asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdin = typed.encode() if typed is not None else None
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout=60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out.decode(), err.decode()


# -- --script, as CI runs it -----------------------------------------------------------------


async def test_the_demo_course_script_passes(db_url: str, tmp_path: Path) -> None:
    code, out, err = await demo("--script", str(DEMO_SCRIPT), db_url=db_url, tmp_path=tmp_path)

    assert code == 0, out + err
    assert "imported ml-foundations" in err
    assert "> /start\nTutorbot: 👋 Hi Ada!" in out
    assert "> /help\nTutorbot: What I can do" in out
    assert "✓ expect Hi Ada" in out
    assert "✓ expect You're enrolled in Machine Learning Foundations" in out
    assert "✓ expect Module 2 is locked" in out
    assert "✓ expect Completed — 4/4 topics of Module 1" in out
    assert "✓ expect 33%" in out
    assert "✓ expect Persona set: 🍳 Cooking" in out
    assert "(you voted [1. Whether the loan was repaid])\nTutorbot (results): 📊 Quiz" in out
    assert "✓ expect All done for today: 1 card answered" in out
    assert "\x1b[" not in out  # not a terminal: no ANSI codes
    assert "failed" not in out
    assert "Traceback" not in err
    steps = parse_script(DEMO_SCRIPT.read_text(), "demo")
    checks = sum(step.kind in ("expect", "expect-not") for step in steps)
    assert out.rstrip().endswith(f"\n{len(steps)} steps, {checks} checks passed")


async def test_script_learners_leave_nothing_in_the_database(db_url: str, tmp_path: Path) -> None:
    """A script is a check, not a learner: it plays in a scratch database, so `/stats`,
    exports and broadcasts never count it, and each run starts from nothing."""
    script = tmp_path / "enroll.demo"  # enrolling is enough to leave a learner behind
    script.write_text(
        "/start\nexpect Hi Ada\n/courses\npress Machine Learning Foundations\n"
        "press Enroll for free\nexpect You're enrolled\n"
    )
    for _ in range(2):  # the second run starts from nothing: it enrolls afresh
        code, out, err = await demo("--script", str(script), db_url=db_url, tmp_path=tmp_path)
        assert code == 0, out + err

    conn = await asyncpg.connect(db_url)
    try:
        users = await conn.fetchval("SELECT count(*) FROM users")
        scratch = await conn.fetchval(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'tutorbot_scratch_%'"
        )
    finally:
        await conn.close()
    assert (users, scratch) == (0, 0), "no learner stayed, no scratch database was left"


async def test_as_admin_lasts_for_its_run_and_the_banner_says_so(
    db_url: str, tmp_path: Path
) -> None:
    code, out, err = await demo("--as-admin", db_url=db_url, tmp_path=tmp_path, typed="/admin\n")

    assert code == 0, out + err
    banner = out.split("\n> ")[0]
    assert (
        "You are Ada (user id 1001), an admin for this run; a plain `tutorbot demo` makes "
        "you a learner again" in banner
    )
    assert "Staff: /admin lists /promote /demote /grant_prompts" in banner
    assert "🛠 Staff commands" in out

    code, out, err = await demo(db_url=db_url, tmp_path=tmp_path, typed="/admin\n")

    assert code == 0, out + err
    banner = out.split("\n> ")[0]
    assert "You are Ada (user id 1001), chatting" in banner
    assert "/admin" not in banner and "Staff" not in banner
    assert NOT_ALLOWED in out, "a plain run is a plain learner again"


async def test_two_demos_side_by_side_each_talk_to_their_own_learner(
    db_url: str, tmp_path: Path
) -> None:
    """Two terminals on one DATA_DIR: each demo is its own local Telegram and bot, so
    neither takes the other's updates (no "Chat not found", no silent step)."""
    chats = [
        demo(
            "--name",
            name,
            "--user-id",
            user_id,
            db_url=db_url,
            tmp_path=tmp_path / name,
            typed="/start\n/help\n/progress\n/courses\n",
        )
        for name, user_id in (("Ada", "1001"), ("Bob", "1002"))
    ]
    (tmp_path / "Ada").mkdir()
    (tmp_path / "Bob").mkdir()

    (ada_code, ada, ada_err), (bob_code, bob, bob_err) = await asyncio.gather(*chats)

    for code, out, err, name in ((ada_code, ada, ada_err, "Ada"), (bob_code, bob, bob_err, "Bob")):
        assert code == 0, out + err
        assert f"Tutorbot: 👋 Hi {name}!" in out
        assert "Tutorbot: What I can do" in out
        assert "Chat not found" not in out + err and "Traceback" not in err
        assert "\n! " not in out, "Telegram refused nothing"


@pytest.mark.parametrize(
    ("script", "failure", "shown", "summary"),
    [
        (
            "/start\nexpect Hi\n\n# the greeting never says goodbye\nexpect Goodbye\n/help\n",
            "expect failed at line 5: the bot's replies don't contain \"Goodbye\"; "
            "since line 1 the bot said:\n  Tutorbot: 👋 Hi Ada!",
            "> /start",
            "FAILED at line 5 (step 3 of 4): 1 of 2 checks passed before it, 1 step not played",
        ),
        (
            "/help\npress Enroll for free\n",
            'press failed at line 2: no button "Enroll for free"',
            "> /help",
            "FAILED at line 2 (step 2 of 2): 0 of 0 checks passed before it, 0 steps not played",
        ),
        (
            "/start\ntype " + "x" * 5000 + "\n/help\n",
            "step failed at line 2: Telegram cannot send a message of 5000 characters: "
            "the limit is 4096",
            "> /start",
            "FAILED at line 2 (step 2 of 3): 0 of 0 checks passed before it, 1 step not played",
        ),
    ],
    ids=["expect", "press", "too long"],
)
async def test_a_failing_step_stops_the_script_with_exit_1(
    db_url: str, tmp_path: Path, script: str, failure: str, shown: str, summary: str
) -> None:
    path = tmp_path / "journey.demo"
    path.write_text(script)

    code, out, err = await demo(
        "--script", str(path), "--name", "Ada", db_url=db_url, tmp_path=tmp_path
    )

    assert code == 1, out + err
    assert failure in out
    assert shown in out
    assert "> /help" not in out.split(failure)[1]  # stopped at the failure
    assert out.rstrip().endswith("\n" + summary)
    assert "Traceback" not in err


async def test_an_admins_broadcast_reaches_the_admin_enrolled_in_the_course(
    db_url: str, tmp_path: Path
) -> None:
    """Staff enrolled in a course are learners of it; the audience is the people this
    demo's bot can message (its own run's), so nothing is refused as "chat not found"."""
    (tmp_path / "admin.demo").write_text(
        "/start\npress Tea basics\npress Enroll for free\npress Normal\n"
        "/broadcast tiny Tea tasting on Friday\n"
        "expect Broadcast to 1 learner of Tea basics\n"
        "press Send to 1\n"
        "wait 3\n"
        "expect Tea tasting on Friday\n"
        "expect 1 delivered · 0 blocked the bot · 0 failed\n"
        "expect-not refuse\n"
        "/broadcast all Tea for everyone\n"
        "expect Broadcast to everyone: 1 learner\n"
    )

    code, out, err = await demo(
        "--course",
        str(TINY_PACK),
        "--as-admin",
        "--script",
        str(tmp_path / "admin.demo"),
        db_url=db_url,
        tmp_path=tmp_path,
    )

    assert code == 0, out + err
    assert "Chat not found" not in err and "would refuse" not in out


async def test_a_broken_script_or_pack_is_refused_with_file_and_line(
    db_url: str, tmp_path: Path
) -> None:
    script = tmp_path / "bad.demo"
    script.write_text("/start\nexpect\nclick Enroll\n")
    pack = editable_copy(TINY_PACK, tmp_path)
    (pack / "course.yaml").write_text("slug: tiny\nname: [unclosed\n")

    (script_code, _, script_err), (pack_code, pack_out, pack_err) = await asyncio.gather(
        demo("--script", str(script), db_url=db_url, tmp_path=tmp_path),
        demo("--course", str(pack), db_url=db_url, tmp_path=tmp_path),
    )

    assert script_code == 1
    assert f"{script}:2: expect needs a text" in script_err
    assert f"{script}:3: unknown step 'click'" in script_err
    assert "tutorbot: the script was refused (2 problems)" in script_err
    assert pack_code == 1
    assert re.search(r"^course\.yaml:\d+: ", pack_err, re.MULTILINE), pack_err
    assert "tutorbot: the course pack was refused" in pack_err
    assert pack_out == ""
    assert "Traceback" not in script_err + pack_err


async def test_with_a_token_the_demo_runs_the_real_bot(
    emulator: BotApiEmulator, db_url: str, tmp_path: Path
) -> None:
    """TELEGRAM_BOT_TOKEN set: the same command serves Telegram (here: the emulator)."""
    env = {
        **demo_env(db_url, tmp_path / "data"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": str(emulator.base_url),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # deleteWebhook comes just before the first long poll (calls are recorded when done)
        await emulator.wait_for(lambda: bool(emulator.calls_to("deleteWebhook")), within=30)
        emulator.user(LEARNER, "Ada")
        emulator.send_text(LEARNER, "/start")
        await emulator.wait_for(lambda: bool(emulator.bot_messages(LEARNER)), within=15)
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    assert proc.returncode == 0, err.decode()
    assert "Hi Ada" in emulator.bot_messages(LEARNER)[0].text
    assert "imported ml-foundations" in err.decode()
    assert "running the real bot" in err.decode()
    assert out.decode() == ""  # no terminal chat


def test_script_syntax() -> None:
    steps = parse_script(
        "# comment\n\n/start deep-link\ntype  hello there \npress Enroll\n"
        "expect Hi\nexpect-not Sorry\nwait 0.5\nvote 1 3\n",
        "s.demo",
    )
    assert steps == [
        Step(3, "send", "/start deep-link"),
        Step(4, "send", "hello there"),
        Step(5, "press", "Enroll"),
        Step(6, "expect", "Hi"),
        Step(7, "expect-not", "Sorry"),
        Step(8, "wait", "0.5"),
        Step(9, "vote", "1 3"),
    ]
    with pytest.raises(ScriptError) as refused:
        parse_script("wait soon\nwait 0\npress\nvote\nvote B\nvote 0\nvote 2 2\n", "s.demo")
    assert refused.value.problems == [
        "s.demo:1: wait needs a number of seconds, not 'soon'",
        "s.demo:2: wait takes 0 to 300 seconds",
        "s.demo:3: press needs a text",
        "s.demo:4: vote needs an option number: vote 2, or vote 1 3 for several",
        "s.demo:5: vote takes option numbers from 1 (vote 2), not 'B'",
        "s.demo:6: vote takes option numbers from 1 (vote 2), not '0'",
        "s.demo:7: vote names option 2 twice",
    ]
    with pytest.raises(ScriptError, match="no steps"):
        parse_script("# nothing\n", "s.demo")


def test_a_typed_vote_is_told_from_a_message() -> None:
    """`vote` with option numbers, or with none or one word (to be told how), is a vote;
    anything else a learner types, "vote" or not, is a message to the bot."""
    votes = ("vote 2", "vote 1 3", "Vote 1,3", "vote\t2", "vote", "vote B")
    messages = ("vote for the best model", "vote 2 please", "2", "how do I vote?", "voter 1")
    assert [is_vote(text) for text in votes] == [True] * len(votes)
    assert [is_vote(text) for text in messages] == [False] * len(messages)
    assert parse_vote("1, 3") == (1, 3)
    with pytest.raises(ValueError, match=r"vote needs an option number: vote 2, or vote 1 3"):
        parse_vote("")


# -- what the screen shows -------------------------------------------------------------------


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    emulator.user(LEARNER, "Ada")
    async with Bot(
        TOKEN,
        base_url=emulator.api_base_url,
        base_file_url=emulator.file_base_url,
        request=AiohttpRequest(),
    ) as bot:
        yield bot


def on_screen(
    emulator: BotApiEmulator,
    *,
    ansi: bool = False,
    echo_learner: bool = False,
    downloads: Path = Path("unused"),
) -> tuple[ChatScreen, io.StringIO]:
    """A screen printing the learner's chat into a string, as the demo prints it."""
    out = io.StringIO()
    screen = ChatScreen(
        emulator,
        LEARNER,
        out,
        ansi=ansi,
        downloads=Downloads(emulator, downloads),
        echo_learner=echo_learner,
    )
    emulator.add_listener(screen)
    return screen, out


async def test_the_screen_shows_what_a_learner_sees(
    emulator: BotApiEmulator, bot: Bot, tmp_path: Path
) -> None:
    downloads = tmp_path / "demo-downloads"
    _, out = on_screen(emulator, echo_learner=True, downloads=downloads)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Enroll", callback_data="enroll"),
                InlineKeyboardButton("Catalog", callback_data="catalog"),
            ],
            [InlineKeyboardButton("Site", url="https://example.com/")],
        ]
    )

    emulator.send_text(LEARNER, "/start")
    menu = await bot.send_message(
        LEARNER,
        '<b>Welcome</b>, see the <a href="https://example.com/guide">guide</a>.\n\nPick one:',
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    press = emulator.press_button(LEARNER, menu.message_id, "enroll")
    await bot.answer_callback_query(press["callback_query"]["id"], "Enrolled!")
    await bot.edit_message_text(
        "You're <i>enrolled</i>.", LEARNER, menu.message_id, parse_mode="HTML"
    )
    document = await bot.send_document(LEARNER, b"my notes", filename="notes.txt", caption="Notes")
    photo = await bot.send_photo(LEARNER, _TINY_PNG)

    saved_document = downloads / f"{document.message_id}-notes.txt"
    assert saved_document.read_bytes() == b"my notes"
    (saved_photo,) = downloads.glob(f"{photo.message_id}-*")
    assert saved_photo.read_bytes() == _TINY_PNG
    assert out.getvalue() == (
        "> /start\n"
        "Tutorbot: Welcome, see the guide (https://example.com/guide).\n"
        "\n"
        "  Pick one:\n"
        "  [1] Enroll  [2] Catalog\n"
        "  [3] Site (https://example.com/)\n"
        "\n"
        "(you pressed [Enroll])\n"
        "[notice] Enrolled!\n"
        "Tutorbot (edited): You're enrolled.\n"
        "\n"
        f"Tutorbot: [document saved to {saved_document}]\n"
        "  Notes\n"
        "\n"
        f"Tutorbot: [photo saved to {saved_photo}]\n"
        "\n"
    )


async def test_ansi_styles_only_on_a_terminal(emulator: BotApiEmulator, bot: Bot) -> None:
    _, out = on_screen(emulator, ansi=True)

    await bot.send_message(LEARNER, "Hi <b>Ada</b> <i>and</i> <u>you</u>", parse_mode="HTML")

    assert "\x1b[1mAda\x1b[22m" in out.getvalue()
    assert "\x1b[3mand\x1b[23m" in out.getvalue()
    assert "\x1b[4myou\x1b[24m" in out.getvalue()
    assert _ANSI.sub("", out.getvalue()) == "Tutorbot: Hi Ada and you\n\n"


async def test_a_quiz_poll_on_screen_before_and_after_a_wrong_vote_and_closed(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    _, out = on_screen(emulator)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("⏭ Later", callback_data="later")]])
    sent = await bot.send_poll(
        LEARNER,
        "What is the label?",
        ["Whether the loan was repaid", "The applicant's income", "The applicant's age"],
        is_anonymous=False,
        type="quiz",
        correct_option_ids=[0],
        explanation="The label is the answer the model learns to predict.",
        reply_markup=keyboard,
    )
    (asked,) = [e for e in emulator.events(LEARNER) if e.kind == "message"]
    poll = emulator.polls(LEARNER)[-1]
    shown = visible_text(asked, poll)

    assert out.getvalue() == (
        "Tutorbot: 📊 Quiz\n"
        "  What is the label?\n"
        "  1. Whether the loan was repaid\n"
        "  2. The applicant's income\n"
        "  3. The applicant's age\n"
        "  (answer with vote N, e.g. vote 2)\n"
        "  [1] ⏭ Later\n"
        "\n"
    )
    assert "What is the label?\n1. Whether the loan was repaid\n2. The applicant's income" in shown
    assert "⏭ Later" in shown
    assert "✓" not in shown and "right answer" not in shown, "what the learner cannot see yet"

    emulator.answer_poll(LEARNER, poll, [1], deliver=False)
    voted = out.getvalue().split("\n\n", 1)[1]
    assert voted == (
        "(you voted [2. The applicant's income])\n"
        "Tutorbot (results): 📊 Quiz · answered\n"
        "  What is the label?\n"
        "     1. Whether the loan was repaid — 0%, right answer\n"
        "  ❌ 2. The applicant's income — 100%, your answer\n"
        "     3. The applicant's age — 0%\n"
        "  💡 The label is the answer the model learns to predict.\n"
        "  [1] ⏭ Later\n"
        "\n"
    )

    await bot.stop_poll(LEARNER, sent.message_id)
    closed = out.getvalue().split("\n\n")[2]
    assert closed.startswith("Tutorbot (edited): 📊 Quiz · closed\n  What is the label?\n")
    assert "❌ 2. The applicant's income — 100%, your answer" in closed
    assert "vote N" not in closed


async def test_a_select_all_quiz_says_so_and_marks_each_choice(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    _, out = on_screen(emulator)
    await bot.send_poll(
        LEARNER,
        "Which are features?",
        ["Income", "Repaid or not", "Age"],
        is_anonymous=False,
        type="quiz",
        allows_multiple_answers=True,
        correct_option_ids=[0, 2],
    )
    assert out.getvalue().startswith("Tutorbot: 📊 Quiz · select all that apply\n")
    assert "(answer with vote N, e.g. vote 1 2)" in out.getvalue()

    emulator.answer_poll(LEARNER, emulator.polls(LEARNER)[-1], [0, 1], deliver=False)

    results = out.getvalue().split("\n\n", 1)[1]
    assert results.startswith(
        "(you voted [1. Income, 2. Repaid or not])\n"
        "Tutorbot (results): 📊 Quiz · select all that apply · answered\n"
        "  Which are features?\n"
        "  ✅ 1. Income — 100%, right answer, your answer\n"
        "  ❌ 2. Repaid or not — 100%, your answer\n"
        "     3. Age — 0%, right answer\n"
    )
    assert "💡" not in results, "no explanation was given"


@pytest.fixture
async def demo_chat(
    services: Services, pool: asyncpg.Pool
) -> AsyncIterator[tuple[DemoChat, ChatScreen, io.StringIO]]:
    """The demo's own bot and chat, in-process: the tiny course (two author cards in
    Module 1: one asked with buttons, then one as a quiz poll), the screen to a string."""
    await import_pack(pool, TINY_PACK)
    async with polling_bot(services, TOKEN) as (emulator, application):
        chat = DemoChat(emulator, application, Learner(LEARNER, "Ada"))
        screen, out = on_screen(emulator, echo_learner=True)
        yield chat, screen, out


async def press(chat: DemoChat, label: str) -> None:
    await chat.press(pick_button(chat.messages_with_buttons(), label))


async def test_a_vote_no_app_would_allow_is_refused_with_a_reason(
    demo_chat: tuple[DemoChat, ChatScreen, io.StringIO],
) -> None:
    chat, _, _ = demo_chat
    with pytest.raises(EmulatorError, match=r"^there is no poll in this chat to vote in$"):
        await chat.vote([1])
    await chat.send("/start tiny")
    await press(chat, "📘 Normal")
    await chat.send("/review")
    await press(chat, "⏭ Later")  # the card asked with buttons; the poll follows
    poll = chat.newest_poll()
    assert poll is not None and not poll.is_closed

    for numbers, reason in [
        ((4,), "the poll has options 1-3; there is no option 4"),
        ((1, 2), "this poll takes one answer: vote with a single option number"),
    ]:
        with pytest.raises(EmulatorError, match=f"^{re.escape(reason)}$"):
            await chat.vote(numbers)
    assert poll.votes == {}

    await press(chat, "⏭ Later")  # the bot stops the poll it put off
    with pytest.raises(EmulatorError, match=r"^the newest poll is closed: nobody can vote"):
        await chat.vote([1])


async def test_a_script_votes_in_the_poll_and_checks_what_follows(
    demo_chat: tuple[DemoChat, ChatScreen, io.StringIO],
) -> None:
    chat, screen, out = demo_chat
    steps = parse_script(
        "/start tiny\npress 📘 Normal\n/review\npress The plant they come from\n"
        "expect Which plant gives us green, oolong and black tea?\n"
        "expect 2. Chamomile\n"
        "vote 1\nexpect All done for today: 2 cards answered\n",
        "review.demo",
    )

    assert await ScriptRunner(chat, screen).run(steps), out.getvalue()

    assert "(you voted [1. Camellia sinensis])\nTutorbot (results): 📊 Quiz · answered\n" in (
        out.getvalue()
    )
    assert "✅ 1. Camellia sinensis — 100%, right answer, your answer" in out.getvalue()
    assert "💡 One plant, Camellia sinensis; only the processing differs." in out.getvalue()
    assert out.getvalue().rstrip().endswith("\n8 steps, 3 checks passed")
    again = r"^you answered this quiz already; the answer can't be changed$"
    with pytest.raises(EmulatorError, match=again):
        await chat.vote([2])


async def test_press_picks_the_newest_exact_or_only_matching_button(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    def buttons(*labels: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=label) for label in labels]]
        )

    await bot.send_message(LEARNER, "old", reply_markup=buttons("Enroll", "Home"))
    await bot.send_message(LEARNER, "new", reply_markup=buttons("Next", "Next module", "▶ 1.2"))
    newest_first = list(reversed(emulator.bot_messages(LEARNER)))

    assert pick_button(newest_first, "enroll").message_id == 1
    assert pick_button(newest_first, "next").label == "Next"  # exact beats partial
    assert pick_button(newest_first, "1.2").label == "▶ 1.2"
    with pytest.raises(LookupError, match=r"several buttons: \[Next\] \[Next module\]"):
        pick_button(newest_first, "Nex")
    with pytest.raises(
        LookupError, match=r'no button "Quiz"; visible buttons: message #2: \[Next\]'
    ):
        pick_button(newest_first, "Quiz")


# -- the interactive chat in a real terminal ---------------------------------------------------


class PseudoTerminal:
    """A pty that `tutorbot demo` runs in; `screen` is what it printed, minus ANSI codes."""

    def __init__(self, rows: int = 40, columns: int = 120) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        os.set_blocking(self.master, False)
        self.raw = ""

    @property
    def screen(self) -> str:
        return _ANSI.sub("", self.raw).replace("\r\n", "\n")

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def read(self) -> None:
        try:
            while data := os.read(self.master, 65536):
                self.raw += data.decode("utf-8", "replace")
        except (BlockingIOError, OSError):  # nothing more for now, or the child has gone
            pass

    async def wait_for(self, text: str, *, after: int = 0, within: float = 30.0) -> int:
        """Wait until ``text`` appears on screen past position ``after``; return its end."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (found := self.screen.find(text, after)) < 0:
            if loop.time() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen}")
            await asyncio.sleep(0.05)
            self.read()
        return found + len(text)

    def close(self) -> None:
        os.close(self.master)


async def test_interactive_chat_in_a_terminal(db_url: str, tmp_path: Path) -> None:
    terminal = PseudoTerminal()
    env = {**demo_env(db_url, tmp_path / "data"), "TERM": "xterm-256color"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--name",
        "Ada",
        stdin=terminal.slave,
        stdout=terminal.slave,
        stderr=terminal.slave,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(terminal.slave)
    try:
        seen = await terminal.wait_for("Commands: /start")
        seen = await terminal.wait_for("vote 2 (or vote 1 3) answers the newest poll", after=seen)
        seen = await terminal.wait_for("> ", after=seen)
        terminal.type("vote 1\n")
        seen = await terminal.wait_for("there is no poll in this chat to vote in", after=seen)
        seen = await terminal.wait_for("\n> ", after=seen)
        terminal.type("vote B\n")
        seen = await terminal.wait_for("vote takes option numbers from 1 (vote 2), not 'B'")
        seen = await terminal.wait_for("\n> ", after=seen)
        terminal.type("/start\n")
        seen = await terminal.wait_for("Tutorbot: 👋 Hi Ada!", after=seen)
        seen = await terminal.wait_for("\n> ", after=seen)
        terminal.type("/help\n")
        seen = await terminal.wait_for("Tutorbot: What I can do", after=seen)
        await terminal.wait_for("\n> ", after=seen)
        terminal.type("/quit\n")
        code = await _exit_code(proc, terminal, within=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        terminal.close()

    assert code == 0, terminal.screen
    assert "\x1b[1mAda\x1b[22m" in terminal.raw  # <b>Ada</b> rendered bold on a terminal
    assert "> /start\n" in terminal.screen  # the terminal echoed the input once
    assert terminal.screen.count("/start\n") == 1
    assert "Traceback" not in terminal.screen


async def _exit_code(
    proc: asyncio.subprocess.Process, terminal: PseudoTerminal, within: float
) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (code := proc.returncode) is None:
        if loop.time() > deadline:
            raise AssertionError(f"the demo did not exit; the screen:\n{terminal.screen}")
        await asyncio.sleep(0.05)
        terminal.read()
    terminal.read()
    return code
