"""`tutorbot` command line. Every failure a user can cause ends in one clear line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from telegram import Bot
from telegram.error import BadRequest, InvalidToken, NetworkError

from bot.app import ALLOWED_UPDATES, database
from bot.cli import course as course_cli
from bot.cli.logs import configure_logging
from bot.cli.runtime import event_loop_factory, run_bot
from bot.demo import command as demo_command
from bot.settings import ConfigError, Settings, load_settings
from bot.transport.request import AiohttpRequest
from bot.transport.webhook_setup import register_webhook, require_webhook_url
from domain.retrieval import EmbeddingModelMismatch, UnknownCourse
from storage.migrations import MigrationError, migrate


async def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    async with database(settings, apply_migrations=False) as url:
        applied = await migrate(url)
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
    return 0


async def _run(settings: Settings, _: argparse.Namespace) -> int:
    await run_bot(settings)
    return 0


def _bot(settings: Settings) -> Bot:
    api = settings.telegram_api_url
    return Bot(
        settings.require_token(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=AiohttpRequest(),
    )


async def _set_webhook(settings: Settings, args: argparse.Namespace) -> int:
    url = require_webhook_url(settings)
    settings.require_webhook_secret()  # both checked before the token: one line for each
    limit = args.max_connections or settings.webhook_max_connections
    async with _bot(settings) as bot:
        await register_webhook(
            bot, settings, drop_pending=args.drop_pending_updates, max_connections=limit
        )
    print(f"webhook set to {url}")
    print("secret token: WEBHOOK_SECRET (not shown)")
    print(f"max connections: {limit}")
    print(f"allowed updates: {', '.join(ALLOWED_UPDATES)}")
    print(f"pending updates: {'dropped' if args.drop_pending_updates else 'kept'}")
    return 0


async def _delete_webhook(settings: Settings, args: argparse.Namespace) -> int:
    async with _bot(settings) as bot:
        await bot.delete_webhook(drop_pending_updates=args.drop_pending_updates)
    dropped = "; pending updates dropped" if args.drop_pending_updates else ""
    print(f"webhook removed{dropped}; the bot can poll again")
    return 0


def _utc(moment: datetime | None) -> str:
    if moment is None:
        return "none"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _webhook_info(settings: Settings, args: argparse.Namespace) -> int:
    async with _bot(settings) as bot:
        info = await bot.get_webhook_info()
    if args.json:
        print(json.dumps(info.to_dict(), indent=2, sort_keys=True, ensure_ascii=False))
        return 0
    if not info.url:
        print("no webhook is set: the bot can poll (getUpdates)")
        print(f"pending updates: {info.pending_update_count}")
        return 0
    allowed = ", ".join(info.allowed_updates or ()) or (
        "(Telegram's default: all except chat_member, message_reaction, message_reaction_count)"
    )
    last_error = _utc(info.last_error_date)
    if info.last_error_date is not None:
        last_error += f" {info.last_error_message or ''}".rstrip()
    print(f"url: {info.url}")
    print(f"pending updates: {info.pending_update_count}")
    print(f"max connections: {info.max_connections or 'not reported'}")
    print(f"allowed updates: {allowed}")
    print(f"ip address: {info.ip_address or 'not reported'}")
    print(f"custom certificate: {'yes' if info.has_custom_certificate else 'no'}")
    print(f"last error: {last_error}")
    print(f"last synchronization error: {_utc(info.last_synchronization_error_date)}")
    return 0


def _max_connections(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 100, not {text!r}")
    return value


Command = Callable[[Settings, argparse.Namespace], Awaitable[int]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tutorbot",
        description="Tutorbot, an AI tutor in Telegram. Configuration comes from the "
        "environment and .env (see .env.example).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands: list[tuple[str, str, Command]] = [
        ("run", "run the bot: long polling, or a webhook server when WEBHOOK_URL is set", _run),
        ("migrate", "apply pending database migrations and exit", _migrate),
        ("set-webhook", "register WEBHOOK_URL (with WEBHOOK_SECRET) with Telegram", _set_webhook),
        ("delete-webhook", "remove the webhook so the bot can poll", _delete_webhook),
        ("webhook-info", "show what Telegram knows about the webhook", _webhook_info),
    ]
    parsers: dict[str, argparse.ArgumentParser] = {}
    for name, help_text, func in commands:
        parsers[name] = sub.add_parser(name, help=help_text, description=help_text)
        parsers[name].set_defaults(func=func)
    for name in ("set-webhook", "delete-webhook"):
        parsers[name].add_argument(
            "--drop-pending-updates",
            action="store_true",
            help="discard the updates Telegram has queued for the bot",
        )
    parsers["set-webhook"].add_argument(
        "--max-connections",
        type=_max_connections,
        metavar="N",
        help="simultaneous connections Telegram opens to deliver updates, 1-100 "
        "(default: WEBHOOK_MAX_CONNECTIONS, 40)",
    )
    parsers["webhook-info"].add_argument(
        "--json", action="store_true", help="print Telegram's WebhookInfo object as JSON"
    )
    course_cli.add_commands(sub)
    demo_command.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        # One-shot commands print results, not a log; `run` logs at LOG_LEVEL.
        explicit = "LOG_LEVEL" in os.environ or args.func is _run
        configure_logging(
            settings.log_level if explicit else logging.WARNING,
            settings.log_format,
            secrets=settings.secrets(),
        )
        with asyncio.Runner(loop_factory=event_loop_factory(settings.event_loop)) as runner:
            return runner.run(args.func(settings, args))
    except ConfigError as exc:
        return _fail(str(exc))
    except (UnknownCourse, EmbeddingModelMismatch) as exc:
        return _fail(str(exc))
    except MigrationError as exc:
        return _fail(f"migrations: {exc}")
    except InvalidToken:
        return _fail("TELEGRAM_BOT_TOKEN was rejected by Telegram: check it with @BotFather")
    except BadRequest as exc:  # a subclass of NetworkError, but Telegram did answer
        return _fail(f"Telegram refused the request: {exc.message}")
    except NetworkError as exc:
        return _fail(f"cannot reach the Telegram Bot API: {exc}")
    except (OSError, asyncpg.PostgresError) as exc:
        return _fail(f"database: {exc}")
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> int:
    print(f"tutorbot: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
