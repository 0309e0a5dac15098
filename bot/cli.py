"""`tutorbot` command line. Every failure a user can cause ends in one clear line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable

import asyncpg
from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot import course_cli
from bot.app import ALLOWED_UPDATES
from bot.demo import command as demo_command
from bot.request import AiohttpRequest
from bot.runtime import database, run_bot
from bot.settings import ConfigError, Settings, load_settings
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


async def _set_webhook(settings: Settings, _: argparse.Namespace) -> int:
    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL is not set: it is the public https URL Telegram posts to")
    secret = settings.require_webhook_secret()
    async with _bot(settings) as bot:
        await bot.set_webhook(
            settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )
    print(f"webhook set to {settings.webhook_url}")
    return 0


async def _delete_webhook(settings: Settings, _: argparse.Namespace) -> int:
    async with _bot(settings) as bot:
        await bot.delete_webhook()
    print("webhook removed; the bot can poll again")
    return 0


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
    ]
    for name, help_text, func in commands:
        sub.add_parser(name, help=help_text, description=help_text).set_defaults(func=func)
    course_cli.add_commands(sub)
    demo_command.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        # One-shot commands print results, not a log; `run` logs at LOG_LEVEL.
        explicit = "LOG_LEVEL" in os.environ or args.func is _run
        logging.basicConfig(
            level=settings.log_level if explicit else logging.WARNING,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        logging.getLogger("httpx").setLevel(logging.WARNING)
        return asyncio.run(args.func(settings, args))
    except ConfigError as exc:
        return _fail(str(exc))
    except (UnknownCourse, EmbeddingModelMismatch) as exc:
        return _fail(str(exc))
    except MigrationError as exc:
        return _fail(f"migrations: {exc}")
    except InvalidToken:
        return _fail("TELEGRAM_BOT_TOKEN was rejected by Telegram: check it with @BotFather")
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
