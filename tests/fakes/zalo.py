"""Fake Zalo Bot Platform server for tests.

Why: the Zalo bot client is a thin aiohttp client of our own, so its tests need
a server that speaks the platform's contract (``/bot{token}/{method}``, POST
JSON, ``{"ok": ..., "result"/"error_code"/"description"}``) and is as strict as
the documented limits, while recording what the bot did.

Documented facts it follows (shared/channels.md): one update per getUpdates
call, no offset, 408 "Request timeout" when nothing arrived, getUpdates disabled
while a webhook is set, secret 8–256 chars sent back in ``X-Bot-Api-Secret-Token``,
text and captions 1–2000 chars, string ids, ``date`` in milliseconds.

Assumptions where the platform documents nothing (all switchable):
  * errors answer HTTP 200 with ``ok: false`` (the client must read ``ok``);
    ``mirror_error_status=True`` answers HTTP status = ``error_code`` instead;
  * ``chat_id`` must be a JSON string (ids are 18–19 digit strings; a number
    would lose precision in many stacks), otherwise 400;
  * a 429 carries ``parameters.retry_after`` only when the test gives one;
  * block / 403 wording is invented (``BLOCKED_DESCRIPTION``);
  * webhook bodies are the bare update as in channels.md; one public reference
    shows them wrapped as ``{"ok": true, "result": update}``:
    ``webhook_envelope=True`` (or ``deliver(..., envelope=True)``) sends that.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from aiohttp import web

from .base import FakeBotServer
from .records import ApiError, Call, bad_request

__all__ = ["FakeZaloServer"]

NO_RESULT: Any = object()
"""Handler return value meaning: answer ``{"ok": true}`` without a result key."""

_EVENT_TEXT = "message.text.received"
_EVENT_IMAGE = "message.image.received"
_EVENT_STICKER = "message.sticker.received"
_EVENT_UNSUPPORTED = "message.unsupported.received"


def _now_ms() -> int:
    return int(time.time() * 1000)


class FakeZaloServer(FakeBotServer):
    """Local stand-in for ``bot-api.zaloplatforms.com``."""

    MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker"})
    FLOOD_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker", "sendChatAction"})
    WEBHOOK_SECRET_HEADER = "X-Bot-Api-Secret-Token"
    BLOCKED_DESCRIPTION = "Forbidden: the user has blocked the bot"
    TEXT_LIMIT = 2000
    CHAT_ACTIONS = frozenset({"typing", "upload_photo"})

    def __init__(
        self,
        token: str = "1234567890123456789:fake-zalo-key",
        *,
        bot_name: str = "Bot Test",
        mirror_error_status: bool = False,
        webhook_envelope: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(token, host=host, port=port)
        self.bot_info: dict[str, Any] = {
            "id": token.split(":", 1)[0],
            "account_name": bot_name,
            "account_type": "BASIC",
            "can_join_groups": False,
        }
        self.mirror_error_status = mirror_error_status
        self.webhook_envelope = webhook_envelope
        self.webhook_updated_at = _now_ms()
        for name, handler in {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendSticker": self._send_sticker,
            "sendChatAction": self._send_chat_action,
        }.items():
            self._register(name, handler)

    # ---- envelope --------------------------------------------------------------------

    def _ok_response(self, call: Call, result: Any) -> web.Response:
        if result is NO_RESULT:
            call.result = None
            return web.json_response({"ok": True})
        return web.json_response({"ok": True, "result": result})

    def _error_response(self, exc: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        return web.json_response(body, status=exc.code if self.mirror_error_status else 200)

    def _norm_chat(self, chat_id: Any) -> Any:
        return str(chat_id)

    def _webhook_body(self, update: dict[str, Any], envelope: bool | None = None) -> Any:
        wrap = self.webhook_envelope if envelope is None else envelope
        return {"ok": True, "result": update} if wrap else update

    # ---- update injection ------------------------------------------------------------

    def _message(self, user_id: Any, display_name: str, message_id: str | None, date: int | None) -> dict[str, Any]:
        uid = str(user_id)
        return {
            "message_id": message_id or secrets.token_hex(16),
            "from": {"id": uid, "display_name": display_name},
            "chat": {"id": uid, "chat_type": "PRIVATE"},
            "date": date if date is not None else _now_ms(),
        }

    def make_text_update(
        self,
        user_id: Any,
        text: str,
        display_name: str = "Bà Lan",
        *,
        message_id: str | None = None,
        date: int | None = None,
    ) -> dict[str, Any]:
        """Build (not queue) a ``message.text.received`` update; ids become strings."""
        message = self._message(user_id, display_name, message_id, date)
        message["text"] = text
        return {"event_name": _EVENT_TEXT, "message": message}

    def make_image_update(
        self,
        user_id: Any,
        photo_url: str = "https://example.invalid/photo.jpg",
        caption: str | None = None,
        display_name: str = "Bà Lan",
        *,
        message_id: str | None = None,
        date: int | None = None,
    ) -> dict[str, Any]:
        """Build a ``message.image.received`` update."""
        message = self._message(user_id, display_name, message_id, date)
        message["photo"] = photo_url
        if caption is not None:
            message["caption"] = caption
        return {"event_name": _EVENT_IMAGE, "message": message}

    def make_sticker_update(
        self,
        user_id: Any,
        sticker: str = "sticker-id",
        display_name: str = "Bà Lan",
        *,
        message_id: str | None = None,
        date: int | None = None,
    ) -> dict[str, Any]:
        """Build a ``message.sticker.received`` update."""
        message = self._message(user_id, display_name, message_id, date)
        message["sticker"] = sticker
        message["url"] = f"https://example.invalid/sticker/{sticker}.png"
        return {"event_name": _EVENT_STICKER, "message": message}

    def make_unsupported_update(
        self, user_id: Any, display_name: str = "Bà Lan", *, message_id: str | None = None
    ) -> dict[str, Any]:
        """Build a ``message.unsupported.received`` update (content withheld by Zalo)."""
        return {"event_name": _EVENT_UNSUPPORTED, "message": self._message(user_id, display_name, message_id, None)}

    def push_text(self, user_id: Any, text: str, display_name: str = "Bà Lan", **kwargs: Any) -> dict[str, Any]:
        """Queue a text message from ``user_id``; returns the update."""
        return self.push_update(self.make_text_update(user_id, text, display_name, **kwargs))

    # ---- validation helpers ----------------------------------------------------------

    def _require_chat(self, call: Call) -> str:
        chat_id = call.params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is required")
        if not isinstance(chat_id, str):
            raise bad_request("chat_id must be a string")
        return chat_id

    def _check_text(self, value: Any, name: str, *, required: bool) -> str | None:
        if value in (None, "") and not required:
            return None
        if not isinstance(value, str) or not value:
            raise bad_request(f"{name} is required" if value in (None, "") else f"{name} must be a string")
        if len(value) > self.TEXT_LIMIT:
            raise bad_request(f"{name} is too long (max {self.TEXT_LIMIT} characters)")
        return value

    def _sent(self, call: Call) -> dict[str, Any]:
        self._gate(call)
        return {"message_id": secrets.token_hex(16), "date": _now_ms()}

    # ---- handlers --------------------------------------------------------------------

    async def _get_me(self, call: Call, request: web.Request) -> dict[str, Any]:
        self._gate(call)
        return dict(self.bot_info)

    async def _get_updates(self, call: Call, request: web.Request) -> dict[str, Any]:
        if self.webhook_url:
            raise ApiError(
                409, "Conflict: getUpdates is not available while a webhook is set; call deleteWebhook first"
            )
        raw_timeout = call.params.get("timeout", 30)
        try:
            timeout = float(raw_timeout)
        except (TypeError, ValueError):
            raise bad_request("timeout must be a number of seconds") from None
        self._gate(call)
        deadline = call.at + max(timeout, 0.0)
        while True:
            if self._updates:
                return self._updates.pop(0)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing or self.webhook_url:
                raise ApiError(408, "Request timeout", kind=None)
            await self._wait_changed(remaining)

    async def _set_webhook(self, call: Call, request: web.Request) -> dict[str, Any]:
        url = call.params.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise bad_request("url must be an http(s) URL")
        secret = call.params.get("secret_token")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise bad_request("secret_token must be 8-256 characters")
        self._gate(call)
        self.webhook_url, self.webhook_secret = url, secret
        self.webhook_updated_at = _now_ms()
        self._notify()
        return {"url": url, "updated_at": self.webhook_updated_at}

    async def _delete_webhook(self, call: Call, request: web.Request) -> dict[str, Any]:
        self._gate(call)
        self.webhook_url = self.webhook_secret = None
        self.webhook_updated_at = _now_ms()
        return {"url": "", "updated_at": self.webhook_updated_at}

    async def _get_webhook_info(self, call: Call, request: web.Request) -> dict[str, Any]:
        self._gate(call)
        return {"url": self.webhook_url or "", "updated_at": self.webhook_updated_at}

    async def _send_message(self, call: Call, request: web.Request) -> dict[str, Any]:
        self._require_chat(call)
        self._check_text(call.params.get("text"), "text", required=True)
        parse_mode = call.params.get("parse_mode")
        if parse_mode is not None and parse_mode not in ("markdown", "html"):
            raise bad_request('parse_mode must be "markdown" or "html"')
        return self._sent(call)

    async def _send_photo(self, call: Call, request: web.Request) -> dict[str, Any]:
        self._require_chat(call)
        photo = call.params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("https://", "http://")):
            raise bad_request("photo must be an image URL")
        self._check_text(call.params.get("caption"), "caption", required=False)
        return self._sent(call)

    async def _send_sticker(self, call: Call, request: web.Request) -> dict[str, Any]:
        self._require_chat(call)
        sticker = call.params.get("sticker")
        if not isinstance(sticker, str) or not sticker:
            raise bad_request("sticker is required")
        return self._sent(call)

    async def _send_chat_action(self, call: Call, request: web.Request) -> Any:
        self._require_chat(call)
        if call.params.get("action") not in self.CHAT_ACTIONS:
            raise bad_request('action must be "typing" or "upload_photo"')
        self._gate(call)
        return NO_RESULT

