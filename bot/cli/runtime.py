"""Process lifecycle: the database (embedded or given, bot/app.py), then the bot in polling or
webhook mode."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

from aiohttp import web
from telegram.ext import Application

from bot.app import (
    ALLOWED_UPDATES,
    build_application,
    database,
    inbox_worker,
    open_services,
    register_commands,
)
from bot.context import Services
from bot.jobs.broadcast import stop_sending
from bot.settings import ConfigError, Settings
from bot.transport.inbox import InboxWorker
from bot.transport.polling import InboxPoller
from bot.transport.verify_page import build_verify_app
from bot.transport.webhook import WebhookState, build_web_app
from bot.transport.webhook_setup import register_webhook

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
    async with (
        database(settings) as url,
        open_services(settings, url, adopt_unowned_rows=True) as services,
    ):
        application = build_application(services, token, polling=secret is None)
        worker = inbox_worker(application)
        async with application:
            await register_commands(application)
            await application.start()
            worker.start()
            try:
                if secret is None:
                    async with verify_server(services):
                        await _serve_polling(application, worker)
                else:
                    await _serve_webhook(application, services, worker, secret)
            finally:
                # Nothing new is accepted by now; finish what runs, hand back the rest.
                await worker.stop(settings.shutdown_grace_seconds)
                await stop_sending(application)
            await application.stop()
    log.info("stopped")


@asynccontextmanager
async def verify_server(services: Services) -> AsyncIterator[None]:
    """Polling mode's certificate page on VERIFY_PORT; nothing when it is not set."""
    settings = services.settings
    if settings.verify_port is None:
        yield
        return
    runner = web.AppRunner(build_verify_app(services), access_log=None, shutdown_timeout=5)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_host, settings.verify_port).start()
    log.info("certificate page on %s:%s/verify", settings.webhook_host, settings.verify_port)
    try:
        yield
    finally:
        await runner.cleanup()


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
