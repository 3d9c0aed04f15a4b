"""Zalo Bot Platform adapter: a thin aiohttp client, long polling or a webhook, numbered choices.

Why our own thin client instead of a PyPI SDK: the SDKs for this platform
(python-zalo-bot 0.1.x, zalobot-python 0.2.x, …) are young and pre-1.0,
so their APIs may still change under us, and each brings its own request and
polling machinery. We need every outbound call to pass through our sender
(rate, 429 pauses, 403 → unreachable), updates fed to our engine (dedupe,
order), the token kept out of logs, and both error styles of the platform
handled (HTTP 200 with `ok: false`, and HTTP error statuses). The surface we
use is seven methods with one JSON envelope: about a hundred lines on the
aiohttp we already ship.

Zalo has no keyboards: options become a numbered list under the text; the
engine reads "2", "số 2", "hai" or the words back. A photo must be a public
URL, so without PUBLIC_BASE_URL the text says so instead. The platform has no voice
or file method (getMe … sendChatAction, see shared/channels.md), so a read-aloud
reply is its audio's public link, which opens in the phone's player.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot.channels.backoff import Backoff
from bot.channels.host import Host
from bot.channels.http_body import NOT_JSON, read_json
from bot.channels.push import POLL_BACKOFF, PushChannel
from bot.channels.render import channel_text, explain_text_only, join_turn, split_text, with_numbered_options
from bot.channels.sender import PER_CHAT_INTERVAL, REPLY, Failure, Outcome
from bot.channels.typing import TYPING_DELAY
from bot.config import Settings
from bot.core.messages import Incoming, Reply
from bot.logs import mask

log = logging.getLogger(__name__)

CHANNEL = "zalo"
WEBHOOK_PATH = "/zalo/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_LIMIT = 2000
TEXT_EVENT = "message.text.received"
POLL_TIMEOUT = 30
DEFAULT_RETRY_AFTER = 5.0
"""A 429 without retry_after: the platform documents no rate limits, so wait a conservative while."""


class ZaloApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


class ZaloNetworkError(Exception):
    """The platform could not be reached or did not answer in time."""


class ZaloClient:
    """`POST {api_url}/bot{token}/{method}` with a JSON body; answers `{"ok", "result" | "error_code"}`."""

    def __init__(self, token: str, api_url: str, *, timeout: float = 30.0) -> None:
        self._base = f"{api_url}/bot{token}/"
        self._timeout = timeout
        self._session: ClientSession | None = None

    async def call(self, method: str, params: dict[str, Any] | None = None, *, wait: float | None = None) -> Any:
        if self._session is None or self._session.closed:
            self._session = ClientSession()
        try:
            async with self._session.post(
                self._base + method, json=params or {}, timeout=ClientTimeout(total=wait or self._timeout)
            ) as resp:
                status, raw = resp.status, await resp.read()
        except (ClientError, TimeoutError) as exc:
            raise ZaloNetworkError(f"{method}: {type(exc).__name__}") from None
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise ZaloApiError(status if status >= 400 else 502, f"{method}: not a JSON answer (HTTP {status})")
        if status == 200 and body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code")
        given = body.get("parameters")
        parameters: dict[str, Any] = given if isinstance(given, dict) else {}
        retry_after = parameters.get("retry_after")
        raise ZaloApiError(
            code if isinstance(code, int) else status,
            str(body.get("description") or f"HTTP {status}"),
            float(retry_after) if isinstance(retry_after, (int, float)) else None,
        )

    async def get_me(self) -> dict[str, Any]:
        return await self.call("getMe")

    async def get_updates(self, timeout: int = POLL_TIMEOUT) -> dict[str, Any] | None:
        """The next update, or None when none came within `timeout` seconds (408)."""
        try:
            return await self.call("getUpdates", {"timeout": timeout}, wait=timeout + 10)
        except ZaloApiError as exc:
            if exc.code == 408:
                return None
            raise

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        return await self.call("deleteWebhook")

    async def send_message(self, chat_id: str, text: str) -> Any:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo: str, caption: str | None = None) -> Any:
        params = {"chat_id": chat_id, "photo": photo}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", params)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        return await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Photo:
    url: str


def render(reply: Reply, settings: Settings, lang: str = "vi") -> list[Text | Photo]:
    """The photo first (when Zalo can fetch it), then the text with the numbered choices, in parts of ≤ 2000."""
    public = settings.public_base_url is not None
    notes: list[str] = []
    parts: list[Text | Photo] = []
    if reply.image is not None:
        if public:
            parts.append(Photo(settings.file_url(reply.image.url_path)))
        else:
            notes.append(channel_text("channel.photo_unavailable", lang))
    if reply.document is not None:
        name = reply.document.filename
        url = settings.file_url(reply.document.url_path)
        notes.append(
            channel_text("channel.document_link", lang, filename=name, url=url) if public
            else channel_text("channel.document_unavailable", lang, filename=name)
        )
    shown = reply.text.strip()
    if reply.audio is not None:  # no voice method on Zalo: the line says to tap the link instead of ▶
        shown = (channel_text("channel.audio_link", lang, url=settings.file_url(reply.audio.url_path)) if public
                 else channel_text("channel.audio_unavailable", lang))
    text = "\n\n".join(part for part in [shown, *notes] if part)
    parts.extend(Text(part) for part in split_text(with_numbered_options(text, reply.options), TEXT_LIMIT))
    return parts


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, ZaloApiError):
        if exc.code == 429:
            return Failure("retry_after", exc.retry_after or DEFAULT_RETRY_AFTER)
        if exc.code == 403:
            return Failure("unreachable")
        if exc.code >= 500 or exc.code == 408:
            return Failure("transient")
        return Failure("permanent")
    if isinstance(exc, (ZaloNetworkError, ClientError, TimeoutError)):
        return Failure("transient")
    return Failure("permanent")


def to_incoming(update: Any) -> tuple[str, Incoming] | None:
    """(chat id, Incoming) for a usable update; None for anything else."""
    if not isinstance(update, dict) or not isinstance(update.get("event_name"), str):
        return None
    message = update.get("message")
    sender = message.get("from") if isinstance(message, dict) else None
    if not isinstance(sender, dict) or not sender.get("id"):
        return None
    assert isinstance(message, dict)  # a sender was found in it
    given = message.get("chat")
    chat: dict[str, Any] = given if isinstance(given, dict) else {}
    key = "text" if update["event_name"] == TEXT_EVENT else "caption"
    text = message.get(key) if isinstance(message.get(key), str) else None
    message_id = message.get("message_id")
    if not message_id:  # a redelivery must still be recognised: the update's own content names it
        message_id = "sha256:" + hashlib.sha256(json.dumps(update, sort_keys=True, default=str).encode()).hexdigest()
    name = sender.get("display_name")
    incoming = Incoming(
        channel=CHANNEL,
        external_id=str(sender["id"]),
        update_id=str(message_id),
        text=text,
        display_name=name if isinstance(name, str) else None,
    )
    return str(chat.get("id") or sender["id"]), incoming


class ZaloChannel(PushChannel):
    name = CHANNEL
    webhook_path = WEBHOOK_PATH
    secret_setting = "zalo_webhook_secret"

    def __init__(
        self,
        runtime: Host,
        *,
        client: ZaloClient | None = None,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        typing_delay: float = TYPING_DELAY,
        polling_timeout: int = POLL_TIMEOUT,
    ) -> None:
        settings = runtime.settings
        token = settings.zalo_bot_token.get_secret_value() if settings.zalo_bot_token else ""
        self.client = client or ZaloClient(token, settings.zalo_api_url)
        super().__init__(runtime, rate=settings.zalo_rate, classify=classify, polling_timeout=polling_timeout,
                         per_chat_interval=per_chat_interval, typing_delay=typing_delay)

    def _token_refused(self, exc: Exception) -> str | None:
        if isinstance(exc, ZaloApiError) and exc.code in (401, 404):
            return f"Setting ZALO_BOT_TOKEN is invalid: Zalo answered {exc.code}"
        return None

    async def _setup_remote(self) -> None:
        """Checks the token, and sets the webhook (webhook mode) or removes it (getUpdates is off while one is set)."""
        await self.client.get_me()
        if self.webhook_mode:
            await self.client.set_webhook(f"{self.runtime.settings.public_base_url}{WEBHOOK_PATH}", self._secret)
        else:
            await self.client.delete_webhook()

    async def _closed(self) -> None:
        await self.client.close()

    def send(self, chat_id: str, reply: Reply, priority: int = REPLY) -> asyncio.Future[Outcome]:
        return self.sender.submit(chat_id, render(reply, self.runtime.settings, self._lang), priority)

    # ---- updates in --------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret.encode()):
            return web.Response(status=401, text="unauthorized")
        body = await read_json(request)
        if body is NOT_JSON:
            return web.Response(status=400, text="bad json")
        if isinstance(body, dict) and body.get("ok") is True and "result" in body:
            body = body["result"]  # some deliveries come wrapped in the API envelope
        if not self._accept(body):
            log.info("zalo: ignored an update without a sender")
        return web.Response(status=200)

    async def _poll(self) -> None:
        backoff = Backoff(POLL_BACKOFF)
        while True:
            try:
                update = await self.client.get_updates(self.polling_timeout)
            except Exception as exc:
                delay = next(backoff)
                log.warning("zalo: getUpdates failed (%s); again in %.0f s", mask(repr(exc)), delay)
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            if update is not None:
                self._accept(update)
            await self._room.wait()

    def _accept(self, update: Any) -> bool:
        """Takes a usable update in (False for anything else)."""
        parsed = to_incoming(update)
        if parsed is None:
            return False
        chat_id, incoming = parsed
        self._receive(chat_id, incoming, lambda: self.handle(chat_id, incoming))
        return True

    async def handle(self, chat_id: str, incoming: Incoming) -> None:
        """One update: the engine's replies (first await, so one person's updates keep their order), sent."""
        replies = await self._turn(chat_id, incoming)
        if incoming.text is None:
            replies = explain_text_only(replies, channel_text("channel.text_only.numbers", self._lang))
        for reply in join_turn(replies, TEXT_LIMIT, numbered_options=True):
            self.send(chat_id, reply)

    # ---- replies out -------------------------------------------------------------------

    async def _typing(self, chat_id: str) -> None:
        await self.client.send_chat_action(chat_id)

    async def _deliver(self, chat_id: str, part: Text | Photo) -> None:
        if isinstance(part, Photo):
            await self.client.send_photo(chat_id, part.url)
        else:
            await self.client.send_message(chat_id, part.text)
