"""The base both fake platform servers (Telegram, Zalo) share.

Why: end-to-end tests must exercise the real clients (aiogram's form encoding,
multipart uploads, error mapping, long polling; our own thin Zalo client)
without any network. A fake listens on 127.0.0.1, speaks the platform's
``/bot{token}/{method}`` envelope, validates requests the way the real server
does (so a bot bug shows up as a recorded rejection instead of passing
silently), and records every call so tests can assert what was sent and how
fast.

:class:`FakeBotServer` is the transport-independent part: server lifecycle,
request plumbing, call recording, the getUpdates queue, webhook delivery,
pacing measurements; the failure injection comes from
:class:`~tests.fakes.failures.FailureInjection`.
Subclasses register their methods and say how their envelope, chat ids and
webhook header look.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any, ClassVar, Self

from aiohttp import ClientSession, ClientTimeout, web

from .failures import FailureInjection
from .records import UNSET, ApiError, Call, Delivery, UploadedFile, Violation, bad_request

__all__ = ["FakeBotServer"]

MAX_UPLOAD_BYTES = 60 * 1024 * 1024  # real limit is 50 MB; aiohttp's default is only 1 MB

Handler = Callable[[Call, web.Request], Any]


class FakeBotServer(FailureInjection):
    """Lifecycle, recording, failure injection and pacing shared by the fakes.

    Subclasses provide ``_handlers`` (lower-case method name -> coroutine),
    the envelope format, the chat-id normalisation and the webhook header.
    """

    WEBHOOK_SECRET_HEADER: ClassVar[str] = ""
    EXECUTES_WEBHOOK_REPLIES: ClassVar[bool] = False
    """Whether a webhook answer carrying ``method`` is executed as an API call."""

    def __init__(self, token: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__()
        self.token = token
        self.host = host
        self.port = port
        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.injected: list[Call] = []
        self.violations: list[Violation] = []
        self.deliveries: list[Delivery] = []
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self._updates: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._changed = asyncio.Event()
        self._closing = False
        self._handlers: dict[str, Handler] = {}
        self._method_names: dict[str, str] = {}

    # ---- lifecycle -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port (``port=0``) and start serving."""
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_post("/_fake/webhook-reply", self._webhook_reply)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        # handler_cancellation: a client that hangs up ends its long poll, so a
        # restarted poller is not mistaken for a second bot instance.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._client = ClientSession()

    async def stop(self) -> None:
        """Wake pending long polls, then shut the listener down."""
        self._closing = True
        self._notify()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- request plumbing ------------------------------------------------------------

    def _register(self, name: str, handler: Handler) -> None:
        self._handlers[name.lower()] = handler
        self._method_names[name.lower()] = name

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._error_response(ApiError(404, "Not Found"))

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        """Query string + JSON, urlencoded or multipart body, like the real servers accept."""
        params: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.method != "POST" or not request.can_read_body:
            return params, files
        if request.content_type == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise bad_request("can't parse JSON encoded request body") from exc
                if not isinstance(body, dict):
                    raise bad_request("JSON object expected as request body")
                params.update(body)
            return params, files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                files[key] = UploadedFile(value.filename, len(data), value.content_type, data)
            else:
                params[key] = value
        return params, files

    def _normalize(self, params: dict[str, Any]) -> dict[str, Any]:
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        return await self._serve(request, request.match_info["token"], request.match_info["method"])

    async def _webhook_reply(self, request: web.Request) -> web.Response:
        """Execute an API call a webhook answered with (Telegram allows one per update)."""
        at = time.monotonic()
        params, files = await self._read_params(request)
        method = params.pop("method", None)
        if not method:
            return web.Response(status=204)
        return await self._serve(request, self.token, str(method), preread=(params, files), at=at)

    async def _serve(
        self,
        request: web.Request,
        token: str,
        raw_method: str,
        *,
        preread: tuple[dict[str, Any], dict[str, UploadedFile]] | None = None,
        at: float | None = None,
    ) -> web.Response:
        method = self._method_names.get(raw_method.lower(), raw_method)
        call = Call(method=method, params={}, at=at if at is not None else time.monotonic())
        self.calls.append(call)
        try:
            params, files = preread if preread is not None else await self._read_params(request)
            call.params = self._normalize(params)
            call.files = files
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._handlers.get(raw_method.lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            self._check_flood(call)
            result = await handler(call, request)
        except ApiError as exc:
            call.status, call.error = exc.code, exc.description
            {"rejected": self.rejected, "injected": self.injected}.get(exc.kind or "", []).append(call)
            self._notify()
            return self._error_response(exc)
        except asyncio.CancelledError:
            call.error = "client disconnected"
            self._notify()
            raise
        call.status, call.result = 200, result
        self._notify()
        return self._ok_response(call, result)

    def _ok_response(self, call: Call, result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    def _error_response(self, exc: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        return web.json_response(body, status=exc.code)

    def _notify(self) -> None:
        """Wake everything waiting for "something changed" (polls, wait_* helpers)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _wait_changed(self, timeout: float) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    # ---- updates for getUpdates ------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; returns it as queued."""
        self._updates.append(update)
        self._notify()
        return update

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates not yet taken (Zalo) or confirmed by a getUpdates offset (Telegram)."""
        return list(self._updates)

    # ---- webhook delivery ------------------------------------------------------------

    def _webhook_body(self, update: dict[str, Any], envelope: bool | None = None) -> Any:
        return update

    async def deliver(
        self,
        update: dict[str, Any],
        secret: str | None = UNSET,
        *,
        url: str | None = None,
        timeout: float = 10.0,
        **body_options: Any,
    ) -> tuple[int, str]:
        """POST ``update`` to the webhook URL like the platform does.

        ``secret`` defaults to the one given to setWebhook; ``None`` omits the
        header.  Returns ``(HTTP status, response body)``.  On Telegram a 2xx
        answer that names a ``method`` (aiogram's ``handle_in_background=False``)
        is executed and recorded like any other call.
        """
        target = url or self.webhook_url
        if not target:
            raise RuntimeError("no webhook set: call setWebhook first or pass url=")
        if self._client is None:
            raise RuntimeError("server not started")
        if secret is UNSET:
            secret = self.webhook_secret
        headers = {self.WEBHOOK_SECRET_HEADER: secret} if secret is not None else {}
        body = self._webhook_body(update, **body_options)
        async with self._client.post(
            target, json=body, headers=headers, timeout=ClientTimeout(total=timeout)
        ) as resp:
            raw = await resp.read()
            content_type = resp.headers.get("Content-Type", "")
        text = raw.decode("utf-8", "replace")
        self.deliveries.append(Delivery(update, resp.status, text, time.monotonic()))
        is_form = content_type.startswith(("multipart/form-data", "application/json"))
        if self.EXECUTES_WEBHOOK_REPLIES and 200 <= resp.status < 300 and raw.strip() and is_form:
            async with self._client.post(
                f"{self.base_url}/_fake/webhook-reply", data=raw, headers={"Content-Type": content_type}
            ) as reply:
                await reply.read()
        return resp.status, text

    # ---- inspection ------------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent_to(self, chat_id: Any) -> list[Call]:
        """Successful message sends to ``chat_id``, in arrival order."""
        chat = self._norm_chat(chat_id)
        return [c for c in self._message_sends() if c.chat_id == chat]

    def texts_to(self, chat_id: Any) -> list[str]:
        """Texts (or captions) of the successful sends to ``chat_id``."""
        return [c.text for c in self.sent_to(chat_id) if c.text is not None]

    def _message_sends(self) -> list[Call]:
        return [c for c in self.calls if c.ok and c.method in self.MESSAGE_METHODS]

    def min_interval_per_chat(self) -> float | None:
        """Smallest gap in seconds between two successful sends to the same chat."""
        last: dict[Any, float] = {}
        best: float | None = None
        for call in sorted(self._message_sends(), key=lambda c: c.at):
            if call.chat_id in last:
                gap = call.at - last[call.chat_id]
                best = gap if best is None else min(best, gap)
            last[call.chat_id] = call.at
        return best

    def max_rate(self, window: float = 1.0, chat_id: Any = UNSET) -> int:
        """Most successful sends inside any sliding window of ``window`` seconds."""
        calls = self._message_sends() if chat_id is UNSET else self.sent_to(chat_id)
        times = sorted(c.at for c in calls)
        best = start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def reset_records(self) -> None:
        """Forget recorded calls, rejections, violations and deliveries."""
        self.calls.clear()
        self.rejected.clear()
        self.injected.clear()
        self.violations.clear()
        self.deliveries.clear()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every call); return it."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            await self._wait_changed(remaining)

    async def wait_sent(self, chat_id: Any, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until at least ``count`` successful sends reached ``chat_id``."""
        await self.wait_for(lambda: len(self.sent_to(chat_id)) >= count, timeout)
        return self.sent_to(chat_id)
