"""An aiohttp transport for PTB, plugged in through `telegram.request.BaseRequest`.

PTB's default httpx transport slows to a crawl when many updates are handled at once
(httpcore's pool bookkeeping grows quadratically with waiting requests); aiohttp's
connector does not, and we already run aiohttp for the webhook server.
`benchmarks/updates_throughput.py` measures both side by side.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
from collections.abc import Callable

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

# `observe(method, seconds, error)`: e.g. ("sendMessage", 0.12, None), ("getChat", 5.0, "timeout")
Observe = Callable[[str, float, str | None], None]

_METHOD = re.compile(r"[A-Za-z]{1,40}")


class AiohttpRequest(BaseRequest):
    """One aiohttp session per instance; PTB uses one for API calls and one for getUpdates."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        observe: Observe | None = None,
    ) -> None:
        """`observe`, when given, is called once per request with the Bot API method name
        (never the URL, which holds the token), the seconds it took and None on HTTP 2xx or
        an error kind: `http_<status>`, `timeout`, `network`, `cancelled`."""
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._observe = observe

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            # The Bot API sets no cookies: a dummy jar skips matching and storing them on
            # every request and response.
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        has_files = bool(request_data and request_data.contains_files)
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if has_files else self._write_timeout
        # aiohttp has no separate write timeout; the body is sent within sock_read's budget
        # at worst, so the larger of the two bounds one request.
        sock_read = None if read is None else max(read, write_timeout or 0)
        timeout = _timeout(None if connect is None else connect + (pool or 0), connect, sock_read)
        if self._observe is None:
            return await self._send(self._session, url, method, request_data, timeout)
        started = time.perf_counter()
        error: str | None = "error"
        try:
            status, body = await self._send(self._session, url, method, request_data, timeout)
            error = None if 200 <= status < 300 else f"http_{status}"
            return status, body
        except TimedOut:
            error = "timeout"
            raise
        except NetworkError:
            error = "network"
            raise
        except asyncio.CancelledError:
            error = "cancelled"
            raise
        finally:
            self._report(method_name(url), time.perf_counter() - started, error)

    @staticmethod
    async def _send(
        session: aiohttp.ClientSession,
        url: str,
        method: str,
        request_data: RequestData | None,
        limits: aiohttp.ClientTimeout,
    ) -> tuple[int, bytes]:
        try:
            body, headers = _body(request_data)
            async with session.request(
                method, url, data=body, headers=headers, timeout=limits
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc

    def _report(self, method: str, seconds: float, error: str | None) -> None:
        try:
            self._observe(method, seconds, error)  # type: ignore[misc]
        except Exception:  # a broken metric must not fail the Bot API call
            log.exception("observing a Bot API call failed")


@functools.lru_cache(maxsize=64)
def _timeout(
    connect: float | None, sock_connect: float | None, sock_read: float | None
) -> aiohttp.ClientTimeout:
    """Every call uses one of a handful of limits: made once each, not per request."""
    return aiohttp.ClientTimeout(
        total=None, connect=connect, sock_connect=sock_connect, sock_read=sock_read
    )


def method_name(url: str) -> str:
    """The Bot API method a request URL calls (`.../bot<token>/sendMessage` → `sendMessage`);
    file downloads (`.../file/bot<token>/photos/file_1.jpg`) are `download`. Never returns
    any other part of the URL, so the token cannot leak into a metric label."""
    if "/file/bot" in url:
        return "download"
    last = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return last if _METHOD.fullmatch(last) else "other"


_JSON = {"Content-Type": "application/json"}


def _body(
    request_data: RequestData | None,
) -> tuple[aiohttp.FormData | bytes | None, dict[str, str] | None]:
    """A JSON body (the Bot API accepts one), or a multipart form when files go along.

    JSON is cheaper to build than a URL-encoded form (under load, aiohttp's form encoding
    showed up in profiles) and keeps nested values (a keyboard) as real JSON objects."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return json.dumps(request_data.parameters).encode(), _JSON
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
