"""Process lifecycle: the database (embedded or given), then the bot in polling or webhook mode."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

import asyncpg
from aiohttp import web
from telegram.ext import Application

from bot.app import (
    ALLOWED_UPDATES,
    build_application,
    inbox_worker,
    open_services,
    register_commands,
)
from bot.broadcasts import stop_sending
from bot.context import Services
from bot.inbox import InboxWorker
from bot.polling import InboxPoller
from bot.settings import ConfigError, Settings
from bot.webhook import WebhookState, build_web_app
from bot.webhook_setup import register_webhook
from storage.bots import adopt_unowned
from storage.embedded import EmbeddedPostgres, drop_stale_databases
from storage.embedded import scratch_database as embedded_scratch_database
from storage.migrations import migrate

log = logging.getLogger(__name__)


def event_loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when asked for or available: its transports write to sockets in C,
    and socket writes were the largest single cost in the load benchmark's profile."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise ConfigError("EVENT_LOOP=uvloop, but uvloop is not installed") from None
        return None
    return uvloop.new_event_loop


@asynccontextmanager
async def database(settings: Settings, *, apply_migrations: bool = True) -> AsyncIterator[str]:
    """Yield a database URL: DATABASE_URL as given, or a private embedded server."""
    embedded: EmbeddedPostgres | None = None
    if settings.database_url:
        url = settings.database_url
    else:
        embedded = EmbeddedPostgres(settings.data_dir)
        url = await embedded.start()
    try:
        if apply_migrations:
            applied = await migrate(url)
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
        yield url
    finally:
        if embedded is not None:
            await embedded.stop()


SCRATCH_PREFIX = "tutorbot_scratch_"


@asynccontextmanager
async def scratch_database(settings: Settings) -> AsyncIterator[str]:
    """A migrated throwaway database on the usual server (the embedded one under DATA_DIR,
    or DATABASE_URL's), dropped on exit: what `demo --script` plays in, so that a
    scripted learner never lands in anyone's statistics, exports, broadcast audiences or
    audit log, and every run starts from the same empty state."""
    async with database(settings, apply_migrations=False) as url:
        await drop_stale_databases(url, SCRATCH_PREFIX, older_than=24 * 3600)
        name = f"{SCRATCH_PREFIX}{int(time.time())}_{secrets.token_hex(4)}"
        try:
            async with embedded_scratch_database(name, url) as scratch:
                await migrate(scratch)
                yield scratch
        except asyncpg.InsufficientPrivilegeError:
            raise ConfigError(
                "demo --script plays in a scratch database it creates next to DATABASE_URL's "
                "and drops after, but this database user may not create databases "
                "(ALTER ROLE … CREATEDB, or run the demo on the embedded database)"
            ) from None


async def wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


async def run_bot(settings: Settings) -> None:
    log.debug("event loop: %s", type(asyncio.get_running_loop()).__module__)
    token = settings.require_token()
    secret = settings.require_webhook_secret() if settings.webhook_url else None
    async with database(settings) as url, open_services(settings, url) as services:
        adopted = await adopt_unowned(services.pool, services.bot_id)
        if adopted:
            rows = ", ".join(f"{n} {table}" for table, n in adopted.items())
            log.info("rows from before bots were told apart are now this bot's: %s", rows)
        application = build_application(services, token, polling=secret is None)
        worker = inbox_worker(application)
        async with application:
            await register_commands(application)
            await application.start()
            worker.start()
            try:
                if secret is None:
                    await _serve_polling(application, worker)
                else:
                    await _serve_webhook(application, services, worker, secret)
            finally:
                # Nothing new is accepted by now; finish what runs, hand back the rest.
                await worker.stop(settings.shutdown_grace_seconds)
                await stop_sending(application)
            await application.stop()
    log.info("stopped")


async def _serve_polling(application: Application, worker: InboxWorker) -> None:
    await application.bot.delete_webhook()
    poller = InboxPoller(application.bot, worker, ALLOWED_UPDATES)
    poller.start()
    log.info("polling as @%s; press Ctrl+C to stop", application.bot.username)
    try:
        await wait_for_stop_signal()
    finally:
        await poller.stop()


async def _serve_webhook(
    application: Application, services: Services, worker: InboxWorker, secret: str
) -> None:
    settings = services.settings
    state = WebhookState()
    web_app = build_web_app(
        worker, services, path=settings.webhook_path, secret=secret, state=state
    )
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    try:
        await register_webhook(application.bot, settings)
        log.info(
            "webhook server on %s:%s%s",
            settings.webhook_host,
            settings.webhook_port,
            settings.webhook_path,
        )
        await wait_for_stop_signal()
        log.info("stopping: no new updates accepted")
        state.draining = True
    finally:
        await runner.cleanup()
