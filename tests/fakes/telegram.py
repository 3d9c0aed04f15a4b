"""Fake Telegram Bot API server for tests.

Why: end-to-end tests must exercise the real aiogram client (form encoding,
multipart uploads, error mapping, long polling) without any network.  The fake
listens on 127.0.0.1, speaks the Bot API envelope, validates requests the way
the real server does (so a bot bug shows up as a recorded rejection instead of
passing silently), and records every call so tests can assert what was sent and
how fast.

aiogram points at it with::

    Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))

which makes every call go to ``{base_url}/bot{token}/{method}``.

The transport-independent machinery (server lifecycle, call recording,
failure injection, pacing measurements) lives in :class:`FakeBotServer`, which
the Zalo fake reuses.
"""

from __future__ import annotations

import asyncio
import copy
import html
import json
import math
import random
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import ClientSession, ClientTimeout, web

__all__ = [
    "ApiError",
    "Call",
    "Delivery",
    "FakeBotServer",
    "FakeTelegramServer",
    "UploadedFile",
    "Violation",
]

UNSET: Any = object()
"""Marker for "argument not given" where ``None`` has a meaning of its own."""

MAX_UPLOAD_BYTES = 60 * 1024 * 1024  # real limit is 50 MB; aiohttp's default is only 1 MB


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass
class UploadedFile:
    """A file received in a multipart request."""

    filename: str | None
    size: int
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass
class Call:
    """One API request as the server saw it.

    ``params`` are normalised (JSON-encoded form values such as ``reply_markup``
    decoded, numeric ids turned into ``int`` for Telegram) so tests can compare
    them with plain Python values.  ``status`` is the HTTP status answered
    (``None`` while the request is still pending, e.g. a long poll).
    """

    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int | None = None
    error: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        """The message text, or the caption for media."""
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    def button_texts(self) -> list[str]:
        """Texts of all inline or reply keyboard buttons, row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [b if isinstance(b, str) else str(b.get("text")) for row in rows for b in row]

    def button_data(self) -> list[str]:
        """``callback_data`` of all inline buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass
class Violation:
    """A send that arrived while a ``retry_after`` wait was still running."""

    method: str
    chat_id: Any
    at: float
    retry_at: float
    since_429: float
    """Seconds between the 429 that started the wait and this call (tiny = was in flight)."""

    @property
    def early_by(self) -> float:
        """How many seconds too early the call came."""
        return self.retry_at - self.at


@dataclass
class Delivery:
    """One webhook POST made by :meth:`FakeBotServer.deliver`."""

    update: dict[str, Any]
    status: int
    body: str
    at: float


class ApiError(Exception):
    """Raised inside handlers; turned into an error envelope.

    ``kind`` decides where the call is listed: ``"rejected"`` (the bot sent
    something the real server refuses), ``"injected"`` (a failure the test asked
    for), ``"violation"`` (ignored ``retry_after``) or ``None`` (a normal,
    expected error such as a Zalo long-poll timeout).
    """

    def __init__(
        self,
        code: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
        kind: str | None = "rejected",
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters
        self.kind = kind


@dataclass
class _FailRule:
    method: str
    code: int
    description: str | None
    retry_after: int | None
    chat_id: Any
    times: int | None  # None = forever


@dataclass
class _RandomFailures:
    rate_429: float
    rate_403: float
    retry_after: int
    rng: random.Random


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------------------
# Shared base
# --------------------------------------------------------------------------------------


Handler = Callable[[Call, web.Request], Any]


class FakeBotServer:
    """Lifecycle, recording, failure injection and pacing shared by the fakes.

    Subclasses provide ``_handlers`` (lower-case method name -> coroutine),
    the envelope format, the chat-id normalisation and the webhook header.
    """

    MESSAGE_METHODS: ClassVar[frozenset[str]] = frozenset()
    """Methods that put a message in a chat: counted by sent_to and pacing."""
    FLOOD_METHODS: ClassVar[frozenset[str]] = frozenset()
    """Methods refused (and recorded as violations) during a retry_after wait."""
    WEBHOOK_SECRET_HEADER: ClassVar[str] = ""
    EXECUTES_WEBHOOK_REPLIES: ClassVar[bool] = False
    """Whether a webhook answer carrying ``method`` is executed as an API call."""
    BLOCKED_DESCRIPTION: ClassVar[str] = "Forbidden: bot was blocked by the user"

    def __init__(self, token: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
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
        self._fail_rules: list[_FailRule] = []
        self._blocked: dict[Any, str] = {}
        self._random: _RandomFailures | None = None
        self._flood_until: float = 0.0
        self._flood_started: float = 0.0
        self.violation_grace: float = 0.0
        """Calls arriving this soon after a 429 still get 429 but are not violations
        (raise it when the bot sends concurrently and requests were already in flight)."""
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

    async def __aenter__(self) -> FakeBotServer:
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
                    raise _bad_request("can't parse JSON encoded request body") from exc
                if not isinstance(body, dict):
                    raise _bad_request("JSON object expected as request body")
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

    def _norm_chat(self, chat_id: Any) -> Any:
        return chat_id

    def _notify(self) -> None:
        """Wake everything waiting for "something changed" (polls, wait_* helpers)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _wait_changed(self, timeout: float) -> None:
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    # ---- failure injection -----------------------------------------------------------

    def fail(
        self,
        method: str,
        code: int,
        *,
        retry_after: int | None = None,
        chat_id: Any = None,
        times: int | None = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` valid calls of ``method`` with error ``code``.

        ``method="*"`` matches every sending method.  ``chat_id`` narrows the rule
        to one chat; ``times=None`` keeps it forever.  A 429 also starts a
        ``retry_after`` wait for the whole token (default 1 s).
        """
        if code == 429 and retry_after is None:
            retry_after = 1
        self._fail_rules.append(
            _FailRule(
                method=method,
                code=code,
                description=description,
                retry_after=retry_after,
                chat_id=self._norm_chat(chat_id) if chat_id is not None else None,
                times=times,
            )
        )

    def block(self, chat_id: Any, description: str | None = None) -> None:
        """Every later send to ``chat_id`` answers 403 (the user blocked the bot)."""
        self._blocked[self._norm_chat(chat_id)] = description or self.BLOCKED_DESCRIPTION

    def unblock(self, chat_id: Any) -> None:
        self._blocked.pop(self._norm_chat(chat_id), None)

    @property
    def blocked_chats(self) -> set[Any]:
        return set(self._blocked)

    def random_failures(
        self,
        rate_429: float = 0.05,
        rate_403: float = 0.02,
        retry_after: int = 1,
        seed: int | None = None,
    ) -> None:
        """Fail message sends at random: 429 (with a token-wide wait) or 403.

        A chat that drew a 403 stays blocked, like a real user who blocked the bot.
        Pass ``seed`` for repeatable runs; ``rate_429=rate_403=0`` turns it off.
        """
        if rate_429 <= 0 and rate_403 <= 0:
            self._random = None
            return
        self._random = _RandomFailures(rate_429, rate_403, retry_after, random.Random(seed))

    def clear_failures(self) -> None:
        """Drop fail rules, blocks, random failures and any running retry_after wait."""
        self._fail_rules.clear()
        self._blocked.clear()
        self._random = None
        self._flood_until = 0.0

    def _default_description(self, code: int, retry_after: int | None) -> str:
        return {
            400: "Bad Request: injected failure",
            401: "Unauthorized",
            403: self.BLOCKED_DESCRIPTION,
            404: "Not Found",
            409: "Conflict: injected failure",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }.get(code, f"Error {code}")

    def _injected_error(self, code: int, description: str | None, retry_after: int | None) -> ApiError:
        parameters = None
        if code == 429 and retry_after is not None:
            now = time.monotonic()
            if now >= self._flood_until:
                self._flood_started = now
            self._flood_until = max(self._flood_until, now + retry_after)
            parameters = {"retry_after": retry_after}
        return ApiError(
            code,
            description or self._default_description(code, retry_after),
            parameters=parameters,
            kind="injected",
        )

    def _check_flood(self, call: Call) -> None:
        """A send during a retry_after wait is a violation and gets 429 again."""
        if call.method not in self.FLOOD_METHODS or call.at >= self._flood_until:
            return
        since = call.at - self._flood_started
        in_flight = since < self.violation_grace
        if not in_flight:
            self.violations.append(Violation(call.method, call.chat_id, call.at, self._flood_until, since))
        remaining = max(1, math.ceil(self._flood_until - call.at))
        raise ApiError(
            429,
            f"Too Many Requests: retry after {remaining}",
            parameters={"retry_after": remaining},
            kind="injected" if in_flight else "violation",
        )

    def _gate(self, call: Call) -> None:
        """Apply injected failures to a call that passed validation."""
        chat = call.chat_id
        for rule in self._fail_rules:
            if rule.method == "*":
                matches = call.method in self.MESSAGE_METHODS | self.FLOOD_METHODS
            else:
                matches = rule.method.lower() == call.method.lower()
            if matches and (rule.chat_id is None or rule.chat_id == chat):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._fail_rules.remove(rule)
                raise self._injected_error(rule.code, rule.description, rule.retry_after)
        if chat is None or call.method not in self.MESSAGE_METHODS | self.FLOOD_METHODS:
            return
        if chat in self._blocked:
            raise ApiError(403, self._blocked[chat], kind="injected")
        if self._random is not None and call.method in self.MESSAGE_METHODS:
            roll = self._random.rng.random()
            if roll < self._random.rate_403:
                self._blocked[chat] = self.BLOCKED_DESCRIPTION
                raise ApiError(403, self.BLOCKED_DESCRIPTION, kind="injected")
            if roll < self._random.rate_403 + self._random.rate_429:
                raise self._injected_error(429, None, self._random.retry_after)

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
                raise asyncio.TimeoutError(f"condition not met within {timeout} s")
            await self._wait_changed(remaining)

    async def wait_sent(self, chat_id: Any, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until at least ``count`` successful sends reached ``chat_id``."""
        await self.wait_for(lambda: len(self.sent_to(chat_id)) >= count, timeout)
        return self.sent_to(chat_id)


# --------------------------------------------------------------------------------------
# Telegram text parsing (parse_mode) – enough to catch the usual escaping bugs
# --------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
     "a", "code", "pre", "blockquote", "tg-emoji"}
)
_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_KINDS = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler"}


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _entities_error(detail: str) -> ApiError:
    return _bad_request(f"can't parse entities: {detail}")


def parse_html(text: str) -> str:
    """Return the plain text of Telegram-HTML ``text`` or raise the server's 400."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&":
            m = _HTML_ENTITY_RE.match(text, i)
            # Only numeric entities and &lt; &gt; &amp; &quot; are decoded; the rest stay literal.
            decoded = html.unescape(m.group(0)) if m else None
            named_ok = m is not None and (m.group(1).startswith("#") or m.group(1) in ("lt", "gt", "amp", "quot"))
            if m and named_ok and decoded != m.group(0):
                out.append(decoded)
                i = m.end()
                continue
            out.append(char)
            i += 1
            continue
        if char == "<":
            m = _HTML_TAG_RE.match(text, i)
            if m is None:
                if text.startswith("</", i):
                    raise _entities_error(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
                name = re.match(r"<([^\s<>/]*)", text[i:])
                raise _entities_error(
                    f'Unsupported start tag "{name.group(1) if name else ""}" at byte offset {_byte_offset(text, i)}'
                )
            closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3) or ""
            if closing:
                if not stack:
                    raise _entities_error(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
                if stack[-1] != name:
                    raise _entities_error(
                        f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                        f'expected "</{stack[-1]}>", found "</{name}>"'
                    )
                stack.pop()
            else:
                if name not in _HTML_TAGS:
                    raise _entities_error(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}')
                if name == "span" and "tg-spoiler" not in attrs:
                    raise _entities_error(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, i)}'
                    )
                stack.append(name)
            i = m.end()
            continue
        out.append(char)
        i += 1
    if stack:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def parse_markdown_v2(text: str) -> str:
    """Return the plain text of MarkdownV2 ``text`` or raise the server's 400.

    Covers escaping, reserved characters, bold/italic/underline/strike/spoiler,
    inline code, pre blocks, links and blockquotes: the cases bots get wrong.
    """
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # (marker, index where it opened)
    i, n = 0, len(text)
    line_start = True
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.append(text[i + 1])
            i += 2
            line_start = False
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            j = i + len(fence)
            body: list[str] = []
            while j < n and not text.startswith(fence, j):
                if text[j] == "\\" and j + 1 < n and text[j + 1] in "`\\":
                    j += 1
                body.append(text[j])
                j += 1
            if j >= n:
                kind = "Pre" if fence == "```" else "Code"
                raise _entities_error(f"Can't find end of {kind} entity at byte offset {_byte_offset(text, i)}")
            content = "".join(body)
            if fence == "```" and "\n" in content:
                first, rest = content.split("\n", 1)
                if first and " " not in first:  # language name line
                    content = rest
            out.append(content)
            i = j + len(fence)
            line_start = False
            continue
        marker = None
        if text.startswith("||", i):
            marker = "||"
        elif text.startswith("__", i):
            marker = "__"
        elif char in "*_~":
            marker = char
        if marker is not None:
            if stack and stack[-1][0] == marker:
                stack.pop()
            else:
                stack.append((marker, i))
            i += len(marker)
            line_start = False
            continue
        if char == "[":
            stack.append(("[", i))
            i += 1
            continue
        if char == "]" and stack and stack[-1][0] == "[":
            stack.pop()
            i += 1
            if i < n and text[i] == "(":
                j = i + 1
                while j < n and text[j] != ")":
                    j += 2 if text[j] == "\\" else 1
                if j >= n:
                    raise _entities_error(f"Can't find end of a url at byte offset {_byte_offset(text, i)}")
                i = j + 1
            continue
        if char == ">" and line_start:
            i += 1
            continue
        if char == "!" and text.startswith("![", i):  # custom emoji: ![👍](tg://emoji?id=...)
            i += 1
            continue
        if char in _MDV2_RESERVED:
            raise _entities_error(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        out.append(char)
        line_start = char == "\n"
        i += 1
    if stack:
        marker, start = stack[-1]
        kind = "TextUrl" if marker == "[" else _MDV2_KINDS[marker]
        raise _entities_error(f"Can't find end of {kind} entity at byte offset {_byte_offset(text, start)}")
    return "".join(out)


def render_text(text: str, parse_mode: Any) -> str:
    """Plain text the user would see (length limits apply to this)."""
    mode = str(parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    return text


# --------------------------------------------------------------------------------------
# Telegram fake
# --------------------------------------------------------------------------------------

_JSON_FIELDS = frozenset(
    {"reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
     "link_preview_options", "reply_parameters", "media"}
)
_INT_FIELDS = frozenset(
    {"message_id", "offset", "limit", "timeout", "max_connections", "cache_time",
     "message_thread_id", "reply_to_message_id"}
)
_BOOL_FIELDS = frozenset(
    {"disable_notification", "protect_content", "drop_pending_updates", "show_alert",
     "allow_paid_broadcast", "disable_web_page_preview", "allow_sending_without_reply",
     "disable_content_type_detection", "has_spoiler", "show_caption_above_media"}
)
_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
)
_INLINE_ACTIONS = frozenset(
    {"url", "callback_data", "web_app", "login_url", "switch_inline_query",
     "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
     "callback_game", "pay"}
)
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF", b"BM")
_DEFAULT_UPDATE_TYPES = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "inline_query",
     "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query", "poll",
     "poll_answer", "my_chat_member", "chat_join_request", "business_message"}
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_WRONG_FILE = "wrong file identifier/HTTP URL specified"


def _to_int(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return value


class FakeTelegramServer(FakeBotServer):
    """Local stand-in for ``api.telegram.org`` that aiogram can talk to.

    Options:
      * ``strict_chats`` – a send to a chat that never wrote to the bot (see
        :meth:`add_chat`, :meth:`push_message`) answers 403 "bot can't initiate
        conversation with a user", as for real users who never pressed Start.
      * ``max_inline_buttons`` / ``max_row_buttons`` – the unofficial keyboard
        limits (None disables the check).
    """

    MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
    FLOOD_METHODS = frozenset(
        {"sendMessage", "sendPhoto", "sendDocument", "sendChatAction", "editMessageText",
         "editMessageReplyMarkup"}
    )
    WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
    EXECUTES_WEBHOOK_REPLIES = True

    def __init__(
        self,
        token: str = "123456789:TEST-fake-telegram-token",
        *,
        bot_username: str = "test_bot",
        bot_name: str = "Test Bot",
        strict_chats: bool = False,
        max_inline_buttons: int | None = 100,
        max_row_buttons: int | None = 8,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(token, host=host, port=port)
        bot_id = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.strict_chats = strict_chats
        self.max_inline_buttons = max_inline_buttons
        self.max_row_buttons = max_row_buttons
        self.webhook_max_connections = 40
        self.allowed_updates: list[str] | None = None
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._callbacks: dict[str, bool] = {}  # id -> answered
        self._file_ids: dict[str, UploadedFile | str] = {}
        self._poller: tuple[asyncio.Future[None], web.Request] | None = None
        for name, handler in {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "close": self._close,
            "logOut": self._log_out,
        }.items():
            self._register(name, handler)

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    # ---- normalisation ---------------------------------------------------------------

    def _normalize(self, params: dict[str, Any]) -> dict[str, Any]:
        """Decode aiogram's form encoding (JSON strings, "true", numeric strings)."""
        out: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, str):
                if key in _JSON_FIELDS:
                    try:
                        value = json.loads(value)
                    except ValueError:
                        pass  # left as str: the handler reports it like the real server
                elif key in _INT_FIELDS or key == "chat_id":
                    value = _to_int(value)
                elif key in _BOOL_FIELDS and value.lower() in ("true", "false"):
                    value = value.lower() == "true"
            out[key] = value
        return out

    def _norm_chat(self, chat_id: Any) -> Any:
        return _to_int(chat_id)

    # ---- chats, users, messages ------------------------------------------------------

    def add_chat(self, user_id: int, first_name: str = "Bà Lan", **user_fields: Any) -> dict[str, Any]:
        """Register a private chat (the user pressed Start).  Returns the chat dict."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi", **user_fields}
        self._users[user_id] = user
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        for key in ("last_name", "username"):
            if key in user_fields:
                chat[key] = user_fields[key]
        self._chats[user_id] = chat
        return chat

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self._chats:
            return dict(self._chats[chat_id])
        if chat_id < 0:
            return {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
        return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The stored message (as last sent or edited), or None if deleted/unknown."""
        return self._messages.get((self._norm_chat(chat_id), message_id))

    def last_bot_message(self, chat_id: int) -> dict[str, Any] | None:
        chat = self._norm_chat(chat_id)
        mine = [m for (c, _), m in self._messages.items() if c == chat and m.get("from", {}).get("is_bot")]
        return max(mine, key=lambda m: m["message_id"]) if mine else None

    # ---- update injection ------------------------------------------------------------

    def _take_update_id(self, update_id: int | None = None) -> int:
        if update_id is None:
            update_id = self._next_update_id
        self._next_update_id = max(self._next_update_id, update_id + 1)
        return update_id

    def make_message_update(
        self,
        user_id: int,
        text: str,
        first_name: str = "Bà Lan",
        *,
        update_id: int | None = None,
        message_id: int | None = None,
        date: int | None = None,
        **user_fields: Any,
    ) -> dict[str, Any]:
        """Build (not queue) a private text message update from ``user_id``.

        Takes the next update_id and message_id, so building the same message
        twice gives two distinct updates; re-send the returned dict to simulate
        a redelivery.
        """
        chat = self.add_chat(user_id, first_name, **user_fields)
        message_id = message_id if message_id is not None else self._new_message_id(user_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": dict(self._users[user_id]),
            "chat": chat,
            "date": date if date is not None else int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._messages[(user_id, message_id)] = message
        return {"update_id": self._take_update_id(update_id), "message": message}

    def make_callback_update(
        self,
        user_id: int,
        data: str,
        message_id: int | None = None,
        *,
        first_name: str | None = None,
        update_id: int | None = None,
        query_id: str | None = None,
    ) -> dict[str, Any]:
        """Build (not queue) a button press on the bot's message ``message_id``.

        Default message: the latest message the bot sent to that chat.
        """
        if user_id not in self._users or first_name is not None:
            self.add_chat(user_id, first_name or "Bà Lan")
        message = self.message(user_id, message_id) if message_id is not None else self.last_bot_message(user_id)
        if message is None:
            message = {
                "message_id": message_id if message_id is not None else self._new_message_id(user_id),
                "from": dict(self.bot_user),
                "chat": self._chat(user_id),
                "date": int(time.time()),
                "text": "(message not recorded by the fake)",
            }
        query_id = query_id or str(secrets.randbits(63))
        self._callbacks[query_id] = False
        return {
            "update_id": self._take_update_id(update_id),
            "callback_query": {
                "id": query_id,
                "from": dict(self._users[user_id]),
                "message": copy.deepcopy(message),
                "chat_instance": str(abs(hash((self.token, user_id)))),
                "data": data,
            },
        }

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update for getUpdates (update_id assigned if missing)."""
        update = dict(update)
        update["update_id"] = self._take_update_id(update.get("update_id"))
        cq = update.get("callback_query")
        if isinstance(cq, dict) and "id" in cq:
            self._callbacks.setdefault(str(cq["id"]), False)
        self._updates.append(update)
        self._notify()
        return update

    def push_message(self, user_id: int, text: str, first_name: str = "Bà Lan", **kwargs: Any) -> dict[str, Any]:
        """Queue a text message from ``user_id`` for getUpdates; returns the update."""
        return self.push_update(self.make_message_update(user_id, text, first_name, **kwargs))

    def push_callback(self, user_id: int, data: str, message_id: int | None = None, **kwargs: Any) -> dict[str, Any]:
        """Queue a button press for getUpdates; returns the update."""
        return self.push_update(self.make_callback_update(user_id, data, message_id, **kwargs))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    # ---- validation helpers ----------------------------------------------------------

    def _require_chat(self, call: Call) -> int:
        chat_id = call.params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise _bad_request("chat not found")
        if self.strict_chats and chat_id > 0 and chat_id not in self._chats:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat_id

    def _check_text(self, text: Any, parse_mode: Any, limit: int, what: str) -> str:
        """Return the rendered text or raise like the real server."""
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty" if what == "text" else "caption is empty")
        plain = render_text(text, parse_mode).strip()
        if not plain:
            raise _bad_request("message text is empty")
        if len(plain) > limit:
            raise _bad_request("message is too long" if what == "text" else "message caption is too long")
        return plain

    def _check_markup(self, call: Call, *, inline_only: bool = False) -> dict[str, Any] | None:
        markup = call.params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            self._check_inline_keyboard(markup["inline_keyboard"])
        elif inline_only:
            raise _bad_request("inline keyboard expected")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request('field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays')
            for row in rows:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(text, str) or not text:
                        raise _bad_request("can't parse keyboard button: Text must be non-empty")
        elif "remove_keyboard" in markup:
            if markup["remove_keyboard"] is not True:
                raise _bad_request('field "remove_keyboard" of the ReplyKeyboardRemove must be true')
        elif "force_reply" in markup:
            if markup["force_reply"] is not True:
                raise _bad_request('field "force_reply" of the ForceReply must be true')
        else:
            raise _bad_request("can't parse reply keyboard markup JSON object")
        return markup

    def _check_inline_keyboard(self, rows: Any) -> None:
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays')
        total = 0
        for row in rows:
            if self.max_row_buttons is not None and len(row) > self.max_row_buttons:
                raise _bad_request("REPLY_MARKUP_TOO_LONG")
            for button in row:
                total += 1
                if not isinstance(button, dict):
                    raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
                if not isinstance(button.get("text"), str) or not button["text"]:
                    raise _bad_request("can't parse inline keyboard button: Text must be non-empty")
                actions = [k for k in button if k in _INLINE_ACTIONS]
                if not actions:
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                        raise _bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
                        raise _bad_request("BUTTON_URL_INVALID")
        if self.max_inline_buttons is not None and total > self.max_inline_buttons:
            raise _bad_request("REPLY_MARKUP_TOO_LONG")

    def _input_file(self, call: Call, name: str) -> tuple[UploadedFile | None, str | None]:
        """Resolve an InputFile param: upload (direct or attach://) or URL/file_id string."""
        if name in call.files and not isinstance(call.params.get(name), str):
            return call.files[name], None
        value = call.params.get(name)
        if not isinstance(value, str) or not value:
            if name in call.files:
                return call.files[name], None
            raise _bad_request(f"there is no {name} in the request")
        if value.startswith("attach://"):
            key = value[len("attach://"):]
            upload = call.files.pop(key, None)
            if upload is None:
                raise _bad_request(_WRONG_FILE)
            call.files[name] = upload
            return upload, None
        if re.match(r"^https?://\S+$", value) or value in self._file_ids:
            return None, value
        raise _bad_request(_WRONG_FILE)

    def add_file_id(self, file_id: str) -> None:
        """Make a file_id known (e.g. one cached by the bot from an earlier run)."""
        self._file_ids[file_id] = file_id

    def _new_file_id(self, prefix: str, source: UploadedFile | str) -> tuple[str, str]:
        file_id = prefix + secrets.token_urlsafe(24)
        self._file_ids[file_id] = source
        return file_id, secrets.token_urlsafe(8)

    # ---- sending ---------------------------------------------------------------------

    def _store_sent(
        self, call: Call, chat_id: int, body: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **body,
        }
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        self._messages[(chat_id, message["message_id"])] = message
        return message

    async def _send_message(self, call: Call, request: web.Request) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        plain = self._check_text(call.params.get("text"), call.params.get("parse_mode"), 4096, "text")
        markup = self._check_markup(call)
        self._gate(call)
        return self._store_sent(call, chat_id, {"text": plain}, markup)

    def _caption(self, call: Call) -> dict[str, Any]:
        caption = call.params.get("caption")
        if caption is None or (isinstance(caption, str) and not caption.strip()):
            return {}
        return {"caption": self._check_text(caption, call.params.get("parse_mode"), 1024, "caption")}

    async def _send_photo(self, call: Call, request: web.Request) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        upload, ref = self._input_file(call, "photo")
        if upload is not None:
            if upload.size == 0:
                raise _bad_request("file must be non-empty")
            if not upload.data.startswith(_IMAGE_MAGIC):
                raise _bad_request("IMAGE_PROCESS_FAILED")
        caption = self._caption(call)
        markup = self._check_markup(call)
        self._gate(call)
        source: UploadedFile | str = upload if upload is not None else str(ref)
        file_id, unique = self._new_file_id("AgAC", source)
        size = upload.size if upload is not None else None
        photo = [
            {"file_id": f"{file_id}{suffix}", "file_unique_id": f"{unique}{suffix}", "width": w, "height": w,
             **({"file_size": size} if size is not None and suffix == "" else {})}
            for suffix, w in (("_s", 90), ("_m", 320), ("", 800))
        ]
        for p in photo:
            self._file_ids[p["file_id"]] = source
        return self._store_sent(call, chat_id, {"photo": photo, **caption}, markup)

    async def _send_document(self, call: Call, request: web.Request) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        upload, ref = self._input_file(call, "document")
        if upload is not None and upload.size == 0:
            raise _bad_request("file must be non-empty")
        caption = self._caption(call)
        markup = self._check_markup(call)
        self._gate(call)
        if upload is not None:
            file_id, unique = self._new_file_id("BQAC", upload)
            document: dict[str, Any] = {
                "file_id": file_id,
                "file_unique_id": unique,
                "file_name": upload.filename or "document",
                "mime_type": upload.content_type or "application/octet-stream",
                "file_size": upload.size,
            }
        else:
            source = self._file_ids.get(str(ref), str(ref))
            file_id, unique = self._new_file_id("BQAC", source)
            name = source.filename if isinstance(source, UploadedFile) else str(ref).rstrip("/").rsplit("/", 1)[-1]
            document = {"file_id": file_id, "file_unique_id": unique, "file_name": name or "document"}
            if isinstance(source, UploadedFile):
                document["file_size"] = source.size
        return self._store_sent(call, chat_id, {"document": document, **caption}, markup)

    async def _send_chat_action(self, call: Call, request: web.Request) -> bool:
        self._require_chat(call)
        action = call.params.get("action")
        if not action:
            raise _bad_request('parameter "action" is required')
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self._gate(call)
        return True

    # ---- editing ---------------------------------------------------------------------

    def _editable(self, call: Call, *, what: str = "edit") -> tuple[int, int, dict[str, Any]]:
        chat_id = self._require_chat(call)
        message_id = call.params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad_request(f"message to {what} not found")
        if what == "edit" and not message.get("from", {}).get("is_bot"):
            raise _bad_request("message can't be edited")
        return chat_id, message_id, message

    async def _edit_message_text(self, call: Call, request: web.Request) -> dict[str, Any] | bool:
        if call.params.get("inline_message_id"):
            self._check_text(call.params.get("text"), call.params.get("parse_mode"), 4096, "text")
            self._check_markup(call, inline_only=True)
            self._gate(call)
            return True
        chat_id, message_id, message = self._editable(call)
        plain = self._check_text(call.params.get("text"), call.params.get("parse_mode"), 4096, "text")
        markup = self._check_markup(call, inline_only=True)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        new_markup = {"inline_keyboard": markup["inline_keyboard"]} if markup else None
        if message.get("text") == plain and message.get("reply_markup") == new_markup:
            raise _bad_request(_NOT_MODIFIED)
        self._gate(call)
        message["text"] = plain
        message["edit_date"] = int(time.time())
        if new_markup:
            message["reply_markup"] = new_markup
        else:
            message.pop("reply_markup", None)
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, call: Call, request: web.Request) -> dict[str, Any] | bool:
        if call.params.get("inline_message_id"):
            self._check_markup(call, inline_only=True)
            self._gate(call)
            return True
        _, _, message = self._editable(call)
        markup = self._check_markup(call, inline_only=True)
        new_markup = {"inline_keyboard": markup["inline_keyboard"]} if markup else None
        if message.get("reply_markup") == new_markup:
            raise _bad_request(_NOT_MODIFIED)
        self._gate(call)
        message["edit_date"] = int(time.time())
        if new_markup:
            message["reply_markup"] = new_markup
        else:
            message.pop("reply_markup", None)
        return copy.deepcopy(message)

    async def _delete_message(self, call: Call, request: web.Request) -> bool:
        chat_id, message_id, _ = self._editable(call, what="delete")
        self._gate(call)
        del self._messages[(chat_id, message_id)]
        return True

    async def _answer_callback_query(self, call: Call, request: web.Request) -> bool:
        query_id = str(call.params.get("callback_query_id") or "")
        if not query_id:
            raise _bad_request('parameter "callback_query_id" is required')
        if self._callbacks.get(query_id, True):  # unknown or already answered
            raise _bad_request(_QUERY_INVALID)
        text = call.params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._gate(call)
        self._callbacks[query_id] = True
        self.answered_callbacks[query_id] = dict(call.params)
        return True

    # ---- bot settings ----------------------------------------------------------------

    async def _get_me(self, call: Call, request: web.Request) -> dict[str, Any]:
        self._gate(call)
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    @staticmethod
    def _commands_key(call: Call) -> tuple[str, str]:
        scope = call.params.get("scope")
        scope_key = json.dumps(scope, sort_keys=True) if isinstance(scope, dict) else '{"type": "default"}'
        return scope_key, str(call.params.get("language_code") or "")

    async def _set_my_commands(self, call: Call, request: web.Request) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._gate(call)
        self.commands[self._commands_key(call)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, call: Call, request: web.Request) -> list[dict[str, str]]:
        self._gate(call)
        return self.commands.get(self._commands_key(call), [])

    async def _delete_my_commands(self, call: Call, request: web.Request) -> bool:
        self._gate(call)
        self.commands.pop(self._commands_key(call), None)
        return True

    async def _close(self, call: Call, request: web.Request) -> bool:
        self._gate(call)
        return True

    async def _log_out(self, call: Call, request: web.Request) -> bool:
        self._gate(call)
        return True

    # ---- webhook ---------------------------------------------------------------------

    async def _set_webhook(self, call: Call, request: web.Request) -> bool:
        url = call.params.get("url") or ""
        if url and not re.match(r"^https?://[^\s/]+", str(url)):
            raise _bad_request("bad webhook: Wrong URL host")
        secret = call.params.get("secret_token")
        if secret not in (None, "") and not _SECRET_RE.match(str(secret)):
            raise _bad_request("secret token contains unallowed characters or is too long")
        max_connections = call.params.get("max_connections")
        if max_connections is not None and (not isinstance(max_connections, int) or not 1 <= max_connections <= 100):
            raise _bad_request("bad webhook: max_connections must be between 1 and 100")
        self._gate(call)
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = str(url) or None
        self.webhook_secret = str(secret) if secret not in (None, "") else None
        self.webhook_max_connections = max_connections or 40
        if isinstance(call.params.get("allowed_updates"), list):
            self.allowed_updates = call.params["allowed_updates"]
        self._notify()
        return True

    async def _delete_webhook(self, call: Call, request: web.Request) -> bool:
        self._gate(call)
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = None
        self.webhook_secret = None
        return True

    async def _get_webhook_info(self, call: Call, request: web.Request) -> dict[str, Any]:
        self._gate(call)
        info: dict[str, Any] = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = self.webhook_max_connections
            info["ip_address"] = "127.0.0.1"
            if self.allowed_updates:
                info["allowed_updates"] = list(self.allowed_updates)
        return info

    # ---- long polling ----------------------------------------------------------------

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        allowed = set(self.allowed_updates) if self.allowed_updates else _DEFAULT_UPDATE_TYPES
        kept: list[dict[str, Any]] = []
        for update in self._updates:
            kind = next((k for k in update if k != "update_id"), None)
            if kind in allowed:
                kept.append(update)
        self._updates = kept  # the real server drops updates of types not asked for
        return kept[:limit]

    async def _get_updates(self, call: Call, request: web.Request) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._gate(call)
        offset = call.params.get("offset")
        limit = call.params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = call.params.get("timeout")
        timeout = float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else 0.0
        if isinstance(call.params.get("allowed_updates"), list):
            self.allowed_updates = call.params["allowed_updates"] or None
        if isinstance(offset, int) and offset != 0:
            self._confirm(offset)

        # A newer getUpdates ends the older one with 409, like two bot instances.
        if self._poller is not None:
            old_future, old_request = self._poller
            transport = old_request.transport
            if not old_future.done() and transport is not None and not transport.is_closing():
                old_future.set_result(None)
        me: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._poller = (me, request)
        try:
            deadline = call.at + timeout
            while True:
                batch = self._deliverable(limit)
                if batch or self._closing:
                    return copy.deepcopy(batch)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                waiter = asyncio.ensure_future(self._changed.wait())
                try:
                    await asyncio.wait({waiter, me}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
                if me.done():
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                if self.webhook_url:
                    return []
        finally:
            if self._poller is not None and self._poller[0] is me:
                self._poller = None
