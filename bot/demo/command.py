"""``tutorbot demo``: the database, the demo course, then a chat with the bot.

Without ``TELEGRAM_BOT_TOKEN`` the bot runs against a local Bot API emulator and the chat
happens in this terminal (or follows ``--script``). With a token it is the real bot on
Telegram, on the same embedded database with the same course imported, so a newcomer
can go from the terminal to their phone without changing anything else.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from bot.app import database, open_services, scratch_database
from bot.cli.course import ProgressBar, summary_line
from bot.cli.runtime import run_bot
from bot.context import Services
from bot.demo.render import ChatScreen, Downloads, wants_ansi
from bot.demo.script import SCRIPT_SYNTAX, ScriptError, ScriptRunner, Step, load_script
from bot.demo.session import VOTE, DemoChat, Learner, demo_token, polling_bot
from bot.demo.terminal import QUIT, chat_in_terminal
from bot.emulator import BotApiEmulator
from bot.pack_files import load_pack
from bot.settings import Settings, bot_id_of
from bot.views.admin import USAGE as STAFF_USAGE
from domain.course_pack import CoursePack, PackError
from domain.users import Role

DEFAULT_COURSE = Path(__file__).resolve().parents[2] / "courses" / "ml-foundations"
DOWNLOADS_FOLDER = "demo-downloads"
CHAT_USER_ID = 1001
# Script learners get ids far above any Telegram user id handed out so far, so a script
# can never act as a real person sharing the database.
_SCRIPT_USER_IDS = (10**12, 2 * 10**12)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="chat with the bot in this terminal; no Telegram token needed",
        description="Chat with the bot in this terminal; no Telegram token needed.\n\n"
        "Starts the embedded database (unless DATABASE_URL is set), imports the demo course\n"
        "and talks to the real bot through a local Telegram Bot API emulator. With\n"
        "TELEGRAM_BOT_TOKEN set, runs the real bot on Telegram instead (not with --script).",
        epilog=SCRIPT_SYNTAX,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--course",
        type=Path,
        default=DEFAULT_COURSE,
        metavar="PATH",
        help="course pack folder or .zip to import first (default: courses/ml-foundations)",
    )
    p.add_argument(
        "--as-admin",
        action="store_true",
        help="make the demo user an admin for this run (a plain run makes them a learner again)",
    )
    p.add_argument(
        "--script",
        type=Path,
        metavar="FILE",
        help="play a script of learner inputs and expectations instead of chatting, in a "
        "scratch database dropped afterwards; exits 1 when an expectation fails",
    )
    p.add_argument(
        "--user-id",
        type=_user_id,
        default=None,
        metavar="N",
        help=f"the learner's Telegram user id (default {CHAT_USER_ID}, whose progress is kept "
        "between chats; with --script a new learner each run)",
    )
    p.add_argument("--name", default="Ada", help="the learner's first name (default Ada)")
    p.set_defaults(func=demo_command)


def _user_id(value: str) -> int:
    if not value.isdigit() or int(value) == 0:
        raise argparse.ArgumentTypeError("expected a positive Telegram user id")
    return int(value)


async def demo_command(settings: Settings, args: argparse.Namespace) -> int:
    """`--as-admin` holds for the run it is given to: the chat learner (whose progress is
    kept between runs) is an admin for that run and a plain learner again on the next
    plain one, unless ADMIN_TELEGRAM_IDS names them."""
    learner = Learner(_learner_id(args), args.name)
    just_this_run = args.as_admin and learner.user_id not in settings.admin_telegram_ids
    if args.as_admin:
        admins = settings.admin_telegram_ids | {learner.user_id}
        settings = settings.model_copy(update={"admin_telegram_ids": admins})
    try:
        steps = load_script(args.script) if args.script else None
        pack = load_pack(args.course)
    except ScriptError as exc:
        return _refused(exc.problems, "the script was refused")
    except PackError as exc:
        return _refused([str(p) for p in exc.problems], "the course pack was refused")
    if settings.telegram_bot_token is not None and steps is None:
        return await _real_bot(settings, pack)
    return await _local_chat(settings, pack, learner, steps, just_this_run=just_this_run)


def _learner_id(args: argparse.Namespace) -> int:
    """A script describes a journey from the very start, so by default it gets a new learner;
    the interactive chat keeps one learner so that progress survives restarts."""
    if args.user_id is not None:
        return int(args.user_id)
    return random.randrange(*_SCRIPT_USER_IDS) if args.script else CHAT_USER_ID


def _refused(problems: list[str], what: str) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(f"tutorbot: {what} ({count} problem{'s' * (count != 1)})", file=sys.stderr)
    return 1


async def _import_course(services: Services, pack: CoursePack) -> None:
    """The same import as ``tutorbot import``: idempotent, so restarts are quick."""
    started = time.perf_counter()
    summary = await services.course_import.import_pack(pack, ProgressBar("embedding"))
    _status(summary_line(summary, time.perf_counter() - started))


async def _real_bot(settings: Settings, pack: CoursePack) -> int:
    _status_database(settings)
    async with database(settings) as url:
        async with open_services(settings, url) as services:
            await _import_course(services, pack)
        _status("TELEGRAM_BOT_TOKEN is set: running the real bot on Telegram; Ctrl+C stops it")
        # Hand the running database over, so it isn't stopped and started again.
        await run_bot(settings.model_copy(update={"database_url": url}))
    return 0


async def _local_chat(
    settings: Settings,
    pack: CoursePack,
    learner: Learner,
    steps: list[Step] | None,
    *,
    just_this_run: bool,
) -> int:
    _status_database(settings)
    token = demo_token()
    # A script plays in a scratch database: its learner is a check, not a person.
    async with (
        database(settings) if steps is None else scratch_database(settings) as url,
        open_services(settings, url, bot_id=bot_id_of(token)) as services,
    ):
        await _import_course(services, pack)
        admin = learner.user_id in settings.admin_telegram_ids
        await services.users.set_role(learner.user_id, Role.ADMIN if admin else Role.LEARNER)
        async with polling_bot(services, token) as (emulator, application):
            chat = DemoChat(emulator, application, learner)
            # The learner's own lines are echoed unless a terminal already shows them.
            screen = _screen(emulator, chat, settings, echo=steps is not None or not _typing())
            if steps is not None:
                passed = await ScriptRunner(chat, screen).run(steps)
                return 0 if passed else 1
            await _introduce(chat, screen, admin=admin, flag=just_this_run)
            await chat_in_terminal(chat, screen, show_prompt=_typing())
    return 0


def _typing() -> bool:
    """Someone types at a terminal (rather than input being piped in)."""
    return sys.stdin.isatty()


def _screen(
    emulator: BotApiEmulator, chat: DemoChat, settings: Settings, *, echo: bool
) -> ChatScreen:
    """Stdout shows the chat from now on: every event the emulator records is printed."""
    screen = ChatScreen(
        emulator,
        chat.chat_id,
        sys.stdout,
        ansi=wants_ansi(sys.stdout),
        downloads=Downloads(emulator, settings.data_dir / DOWNLOADS_FOLDER),
        echo_learner=echo,
    )
    emulator.add_listener(screen)
    return screen


async def _introduce(chat: DemoChat, screen: ChatScreen, *, admin: bool, flag: bool) -> None:
    """Who the user is to the bot, and what they can type. An admin is told so, with the
    staff commands, and how that ends (`flag`: it came from --as-admin, not the config)."""
    who = f"{chat.learner.name} (user id {chat.learner.user_id})"
    role = ""
    if admin:
        until = (
            "for this run; a plain `tutorbot demo` makes you a learner again"
            if flag
            else "(ADMIN_TELEGRAM_IDS)"
        )
        role = f", an admin {until}"
    menu = " ".join(await chat.command_menu())
    staff = ""
    if admin:
        commands = " ".join(f"/{name}" for name in STAFF_USAGE if name != "import")
        staff = f"Staff: /admin lists {commands}, and a pack .zip sent with /import.\n"
    screen.notice(
        f"You are {who}{role}, chatting with the real bot through a local Telegram.\n"
        f"Commands: {menu}. {staff}Type a message, or a number to press that button; "
        f"{VOTE} 2 (or {VOTE} 1 3) answers the newest poll; {QUIT} or Ctrl-D leaves.\n"
    )


def _status_database(settings: Settings) -> None:
    if not settings.database_url:
        _status(f"starting the embedded PostgreSQL in {settings.data_dir / 'pg'} …")


def _status(line: str) -> None:
    """Progress goes to stderr so that stdout is only the chat (a script's transcript)."""
    print(line, file=sys.stderr, flush=True)
