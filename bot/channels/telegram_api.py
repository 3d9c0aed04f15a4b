"""The Telegram Bot API client: python-telegram-bot's `Bot`, carried over the aiohttp the app already runs.

Why python-telegram-bot rather than aiogram, by measurement (docs/performance.md): importing
aiogram builds some 300 pydantic models and costs about 155 MB of memory, python-telegram-bot
about 27 MB. From the library we keep what is worth not rewriting: its error types
(`RetryAfter`, `Forbidden`, `InvalidToken` …) read from Telegram's answers, `retry_after`
parsing, method signatures and file uploads (`InputFile`, multipart). Its HTTP transport is
replaced by `AiohttpRequest`, so one HTTP client (aiohttp) serves the web app, Zalo and
Telegram, with a connection pool sized for the paced sender rather than httpx's default of one.

The busiest calls (sendMessage, getUpdates) go through `call`, which asks for the raw JSON
result: the sender never reads the `Message` Telegram sends back, and `getUpdates` hands back
the raw updates so the adapter can parse them one by one (a library would refuse a whole batch
for one update it cannot read, and fetch that batch again forever).
"""

from __future__ import annotations

import json
import os
import re
import warnings
from datetime import timedelta
from typing import Any

import aiohttp
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

from bot.config import SettingsError

os.environ.setdefault("PTB_TIMEDELTA", "true")  # durations as timedelta: the library's announced default, no warnings
# `call` asks for raw results on purpose (see above); the library suggests its typed method instead.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)
TOKEN_FORMAT = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,80}$")
"""A BotFather token, "123456:ABC…"; anything else is refused at start, before any call."""
POOL = 64
"""Connections to the Bot API: the paced sender talks to many chats at once."""
JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's transport on aiohttp: the library builds the request and reads the answer
    (its errors), this only moves the bytes. Calls without files go as a JSON body."""

    def __init__(self, *, read_timeout: float = 10.0, connect_timeout: float = 5.0, pool: int = POOL) -> None:
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool = pool
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool),
                                                  json_serialize=json.dumps)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        await self.initialize()
        assert self._session is not None
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = self._connect_timeout if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        body: Any = None
        headers: dict[str, str] = {}
        if request_data is not None and request_data.contains_files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            body = form
        elif request_data is not None:
            body = json.dumps(request_data.parameters, ensure_ascii=False, separators=(",", ":")).encode()
            headers = JSON
        try:
            async with self._session.request(method, url, data=body, headers=headers, timeout=timeout) as resp:
                status, payload = resp.status, await resp.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
        if status == 413:  # the library reads 413 as a network error, which a retry cannot fix
            raise BadRequest("Request Entity Too Large")
        return status, payload


def make_bot(token: str, api_url: str, *, read_timeout: float = 10.0) -> Bot:
    """A `Bot` for `token` on the Bot API server at `api_url` ("https://api.telegram.org" or a local one)."""
    if not TOKEN_FORMAT.match(token):
        raise SettingsError("Setting TELEGRAM_BOT_TOKEN is invalid: expected the 123456:ABC… token from BotFather")
    base = api_url.rstrip("/")
    return Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
               request=AiohttpRequest(read_timeout=read_timeout), get_updates_request=AiohttpRequest(read_timeout=60))


async def call(bot: Bot, method: str, payload: dict[str, Any], timeout: float | None = None) -> Any:
    """The raw JSON `result` of Bot API `method` ("sendMessage") called with `payload`; raises the library's errors."""
    return await bot.do_api_request(method, api_kwargs=payload, read_timeout=timeout)


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait, in seconds."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def close(bot: Bot) -> None:
    """Both transports closed, whether or not the bot was initialised (`Bot.shutdown` skips them if not)."""
    await bot.request.shutdown()
    await bot._request[0].shutdown()  # the getUpdates transport has no public accessor
