"""The public certificate verification page: `GET /verify/<code>` and `GET /verify` (a
form; `?code=` checks one).

Served by our webhook server (bot/transport/webhook.py) and, in polling mode, by a small
server of its own on VERIFY_PORT (off unless set). Whatever is asked, the answer is a page:
a code that cannot be one (too long, other characters, a path) is unknown without a look in
the database, and every answer takes at least `FLOOR_SECONDS`, so timing does not tell
known from unknown codes. One address gets `per_minute` answers a minute (a token bucket;
behind our nginx the client's address comes in X-Real-IP), then 429.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import OrderedDict

from aiohttp import web

from bot.context import Services
from bot.views import certificates as views
from domain.certificates import Status
from storage.database import is_unavailable

FLOOR_SECONDS = 0.02
MAX_CODE = 64  # characters read from a request; longer is unknown
_TRACKED = 10_000  # addresses the rate limit remembers (least recently seen dropped)
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Cache-Control": "no-store",
}


class RateLimit:
    """Per-address token buckets: `per_minute` sustained, as a burst too (0: no limit)."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self._rate = per_minute / 60
        self._burst = float(per_minute)
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, address: str) -> bool:
        if self._rate == 0:
            return True
        now = self._clock()
        tokens, seen = self._buckets.pop(address, (self._burst, now))
        tokens = min(self._burst, tokens + (now - seen) * self._rate)
        allowed = tokens >= 1
        self._buckets[address] = (tokens - 1 if allowed else tokens, now)
        while len(self._buckets) > _TRACKED:
            self._buckets.popitem(last=False)
        return allowed


def client_address(request: web.Request) -> str:
    """The peer, or the X-Real-IP our nginx sets when the peer is a private address."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Real-IP", "").strip()
    try:
        private = ipaddress.ip_address(peer).is_private
    except ValueError:
        private = False
    return forwarded[:64] if forwarded and private else peer


def add_verify_routes(app: web.Application, services: Services) -> None:
    limit = RateLimit(services.settings.verify_per_minute)

    async def answer(request: web.Request, code: str | None) -> web.Response:
        started = time.perf_counter()
        if not limit.allow(client_address(request)):
            return web.Response(
                text="Too many checks from your address; try again in a minute.",
                status=429,
                headers={**_HEADERS, "Retry-After": "60"},
            )
        if code is None:
            html, status = views.page(None), 200
        else:
            try:
                found = await services.certificates.verify(code[: MAX_CODE + 1])
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                return web.Response(
                    text="Certificates cannot be checked right now; try again in a minute.",
                    status=503,
                    headers={**_HEADERS, "Retry-After": "30"},
                )
            html = views.page(found, code)
            status = 404 if found.status is Status.UNKNOWN else 200
        left = FLOOR_SECONDS - (time.perf_counter() - started)
        if left > 0:
            await asyncio.sleep(left)
        return web.Response(
            text=html, status=status, content_type="text/html", charset="utf-8", headers=_HEADERS
        )

    async def by_path(request: web.Request) -> web.Response:
        return await answer(request, request.match_info.get("code", ""))

    async def form(request: web.Request) -> web.Response:
        code = request.query.get("code")
        return await answer(request, code.strip() if code is not None else None)

    app.router.add_get("/verify", form)
    app.router.add_get("/verify/", form)
    app.router.add_get("/verify/{code:.+}", by_path)  # slashes too: a forged path is unknown


def build_verify_app(services: Services) -> web.Application:
    """The page on its own, for polling mode (VERIFY_PORT)."""
    app = web.Application(client_max_size=16 * 1024)
    add_verify_routes(app, services)
    return app
