"""The emulator's HTTP core: the routes Telegram serves, request parsing and error answers.

Kept apart from the methods because this is the part that makes the emulator a real
server rather than a mocked ``Bot``: PTB's own HTTP client talks to it, so every request
goes through PTB's real serialisation (query strings, urlencoded and multipart forms, JSON
bodies, ``attach://`` uploads) and every answer through PTB's real parsing. Each call is
checked against the Bot API spec when one is given, handed to the method registered for
it, and recorded (``calls``) whatever the outcome; refusals are answered with Telegram's
status and wording. The faults facet may fail or hold a call before its method runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from typing import Any, Self

from aiohttp import web

from bot.emulator.core import TOKEN_SHAPE, EmulatorCore, Handler, clock
from bot.emulator.faults import InjectedError
from bot.emulator.methods import WithWarnings
from bot.emulator.spec import UploadedFile
from bot.emulator.state import ApiCall, ApiError, Json

log = logging.getLogger(__name__)

_MAX_UPLOAD = 50 * 1024 * 1024
# Without a spec the server still has to know which form values are plain strings.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_data",
        "url",
        "secret_token",
        "callback_query_id",
        "file_id",
        "document",
        "photo",
        "action",
        "language_code",
        "inline_message_id",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "question",
        "question_parse_mode",
        "type",
        "explanation",
        "explanation_parse_mode",
        "description",
        "description_parse_mode",
        "name",
        "icon_custom_emoji_id",
    }
)


class HttpServer(EmulatorCore):
    """Serves ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` on 127.0.0.1."""

    def _setup_http(self, host: str, port: int, methods: dict[str, Handler]) -> None:
        """`methods`: the Bot API method name -> the coroutine that performs it."""
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None
        self._handlers = methods
        self._handler_names = {name.lower(): name for name in self._handlers}

    async def start(self) -> str:
        """Bind the HTTP server and return its base URL, e.g. ``http://127.0.0.1:53117``."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        app = web.Application(client_max_size=_MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        # handler_cancellation: a long poll whose client went away stops waiting at once,
        # as on Telegram, instead of superseding the client's next poll.
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        port = runner.addresses[0][1]
        self.base_url = f"http://{self._host}:{port}"
        await self.queue.start()
        return self.base_url

    async def stop(self) -> None:
        """Stop serving; long polls in progress return an empty result."""
        await self.queue.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_base_url(self) -> str:
        """What to pass as PTB's ``base_url`` (the token is appended by PTB)."""
        return f"{self._require_started()}/bot"

    @property
    def file_base_url(self) -> str:
        """What to pass as PTB's ``base_file_url``."""
        return f"{self._require_started()}/file/bot"

    def _require_started(self) -> str:
        if self.base_url is None:
            raise RuntimeError("call await emulator.start() first")
        return self.base_url

    async def _handle_api(self, request: web.Request) -> web.Response:
        method_name = request.match_info["method"]
        params: Json = {}
        canonical = method_name
        warnings: tuple[str, ...] = ()
        try:
            token = request.match_info["token"]
            if token != self.token:
                if TOKEN_SHAPE.match(token):
                    raise ApiError(401, "Unauthorized")
                raise ApiError(404, "Not Found")
            found = self._canonical(method_name)
            if found is None:
                raise ApiError(404, "Not Found")
            canonical = found
            params = await self._read_params(request, canonical)
            if self.spec is not None:
                problems = self.spec.validate(canonical, params)
                if problems:
                    raise ApiError.bad_request("; ".join(problems))
            handler = self._handlers.get(canonical)
            if handler is None:
                raise ApiError.bad_request("method is not supported by the emulator")
            await self._strike_faults(canonical)
            try:
                result = await handler(params)
            except KeyError as missing:
                if self.spec is not None:  # the spec already checked required parameters
                    raise
                raise ApiError.bad_request(f'parameter "{missing.args[0]}" is required') from None
            if isinstance(result, WithWarnings):
                warnings, result = result.warnings, result.value
        except asyncio.CancelledError:  # the client disconnected mid-request
            self._record_call(ApiCall(canonical, params, True, at=clock(), abandoned=True))
            raise
        except ApiError as error:
            gone = request.transport is None or request.transport.is_closing()
            refused = ApiCall(
                canonical,
                params,
                False,
                error.description,
                error.code,
                at=clock(),
                abandoned=gone,
            )
            self._record_call(refused)
            if isinstance(error, InjectedError):
                self._expected.add(id(refused))
            log.debug("emulator refused %s: %s", canonical, error.description)
            return web.json_response(error.to_json(), status=error.code)
        except Exception as exc:  # an emulator bug: answer like a Telegram outage, loudly
            log.exception("emulator failed on %s", canonical)
            failure = ApiError(500, f"Internal Server Error: emulator bug: {exc!r}")
            self._record_call(
                ApiCall(canonical, params, False, failure.description, failure.code, at=clock())
            )
            return web.json_response(failure.to_json(), status=500)
        self._record_call(
            ApiCall(canonical, params, True, result=result, at=clock(), warnings=warnings)
        )
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").to_json(), status=401)
        for stored in self.files.values():
            if stored.file_path == path and stored.data is not None:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").to_json(), status=404)

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404, "Not Found").to_json(), status=404)

    def _canonical(self, method_name: str) -> str | None:
        """The Bot API's spelling of a method name (Telegram ignores case), None if unknown."""
        if self.spec is not None:
            return self.spec.canonical_name(method_name)
        return self._handler_names.get(method_name.lower())

    async def _read_params(self, request: web.Request, method: str) -> Json:
        """Collect query string + body into one dict of decoded values.

        Telegram accepts query strings, urlencoded and multipart forms, and JSON bodies.
        Form values are strings; clients JSON-encode every non-string value, so a value is
        JSON-decoded unless its parameter is declared as a plain String.
        """
        raw: dict[str, str | UploadedFile] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.read()
            if body.strip():
                try:
                    data = json.loads(body)
                except ValueError:
                    raise ApiError.bad_request("can't parse JSON object") from None
                if not isinstance(data, dict):
                    raise ApiError.bad_request("JSON object expected")
                for key, value in data.items():
                    if value is not None:
                        raw[key] = value if isinstance(value, str) else json.dumps(value)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(
                        filename=value.filename,
                        content_type=value.content_type,
                        data=value.file.read(),
                    )
                elif isinstance(value, bytes | bytearray):
                    raw[key] = bytes(value).decode("utf-8", "replace")
                else:
                    raw[key] = value
        return self._decode_params(method, raw)

    def _decode_params(self, method: str, raw: dict[str, str | UploadedFile]) -> Json:
        declared = self.spec.param_types(method) if self.spec is not None else {}
        params: Json = {}
        for name, value in raw.items():
            if isinstance(value, UploadedFile):
                params[name] = value
            else:
                params[name] = self._decode(value, declared.get(name), name)
        # Files sent as attach://<name> are parts of the request, not parameters.
        attached = {ref for value in params.values() for ref in _attach_refs(value)}
        for name in attached:
            part = params.get(name)
            if isinstance(part, UploadedFile):
                del params[name]
                for key, value in params.items():
                    if value == f"attach://{name}":
                        params[key] = part
        return params

    def _decode(self, value: str, types: tuple[str, ...] | None, name: str) -> Any:
        if types == ("String",) or (types is None and name in _STRING_PARAMS):
            return value
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if types is None or self.spec is None or self.spec.fits(decoded, types):
            return decoded
        return value if "String" in types else decoded

    def _record_call(self, call: ApiCall) -> None:
        self.calls.append(call)
        self._signal.notify()


def _attach_refs(value: Any) -> Iterable[str]:
    if isinstance(value, str) and value.startswith("attach://"):
        yield value[len("attach://") :]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _attach_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _attach_refs(item)
