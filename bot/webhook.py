"""Our own aiohttp server for webhook mode: the Telegram endpoint plus health probes.

Telegram proves itself with the secret token it echoes in a header; anything else is
refused before the body is even parsed, and compared in constant time.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.context import Services
from storage.database import ping

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def build_web_app(
    application: Application, services: Services, *, path: str, secret: str
) -> web.Application:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            services.metrics.inc("tutorbot_webhook_rejected_total")
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        try:
            payload = await request.json(loads=json.loads)
            update = Update.de_json(payload, application.bot)
        except (ValueError, TypeError, KeyError):
            services.metrics.inc("tutorbot_webhook_rejected_total")
            return web.json_response({"ok": False, "error": "bad update"}, status=400)
        if update is None:
            return web.json_response({"ok": False, "error": "bad update"}, status=400)
        services.metrics.inc("tutorbot_updates_received_total")
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        if await ping(services.pool):
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "database unavailable"}, status=503)

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text=services.metrics.render(), content_type="text/plain")

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
