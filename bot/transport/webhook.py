"""Our own aiohttp server for webhook mode: the Telegram endpoint, probes and metrics.

Telegram stops re-delivering an update once we answer 2xx, so we answer 200 only after the
update is stored in the inbox; when the database cannot take it we answer 503 and Telegram
tries again later. The secret token Telegram echoes in a header is checked (in constant
time) before the body is even read.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.context import Services
from bot.transport.inbox import BadUpdate, InboxWorker
from bot.transport.verify_page import add_verify_routes
from storage.database import is_unavailable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


class WebhookState:
    """Readiness as the load balancer sees it: not ready while draining for shutdown."""

    def __init__(self) -> None:
        self.draining = False


def build_web_app(
    worker: InboxWorker,
    services: Services,
    *,
    path: str,
    secret: str,
    state: WebhookState | None = None,
) -> web.Application:
    expected = secret.encode()
    state = state or WebhookState()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            services.metrics.inc("tutorbot_webhook_rejected_total")
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        if state.draining:
            return _unavailable("shutting down")
        try:
            payload = json.loads(await request.read())
            await worker.receive(payload)
        except (ValueError, BadUpdate):
            services.metrics.inc("tutorbot_webhook_rejected_total")
            return web.json_response({"ok": False, "error": "bad update"}, status=400)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("update not stored, database unavailable: %s", type(exc).__name__)
            return _unavailable("database unavailable")
        return web.json_response({"ok": True})

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        if state.draining:
            return web.json_response({"status": "shutting down"}, status=503)
        if await services.database.ping():
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "database unavailable"}, status=503)

    async def metrics(_: web.Request) -> web.Response:
        try:
            depth = await services.inbox.depth()
            services.metrics.inbox(depth.pending, depth.oldest_age_seconds)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
        response = web.Response(body=services.metrics.render())
        response.headers["Content-Type"] = services.metrics.CONTENT_TYPE
        return response

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    add_verify_routes(app, services)  # the public certificate page
    return app


def _unavailable(why: str) -> web.Response:
    return web.json_response({"ok": False, "error": why}, status=503, headers={"Retry-After": "1"})
