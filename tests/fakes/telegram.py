"""Fake Telegram Bot API server for tests.

aiogram points at it with::

    Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))

which makes every call go to ``{base_url}/bot{token}/{method}``.

This module holds the server itself (its state, aiogram's form encoding, the
chats it knows, the bot's settings, the webhook); the rest lives beside it,
one subject a file: ``telegram_updates`` (updates in, long polling),
``telegram_messages`` (messages out), ``telegram_text`` (``parse_mode``).
The transport-independent machinery is :class:`~tests.fakes.base.FakeBotServer`,
shared with the Zalo fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any

from aiohttp import web

from .base import FakeBotServer
from .records import Call, UploadedFile, bad_request
from .telegram_messages import TelegramMessages
from .telegram_text import parse_html, parse_markdown_v2, render_text
from .telegram_updates import TelegramUpdates

__all__ = ["FakeTelegramServer", "parse_html", "parse_markdown_v2", "render_text"]

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
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def _to_int(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return value


class FakeTelegramServer(TelegramUpdates, TelegramMessages, FakeBotServer):
    """Local stand-in for ``api.telegram.org`` that aiogram can talk to.

    Options:
      * ``strict_chats`` – a send to a chat that never wrote to the bot (see
        :meth:`add_chat`, :meth:`push_message`) answers 403 "bot can't initiate
        conversation with a user", as for real users who never pressed Start.
      * ``max_inline_buttons`` / ``max_row_buttons`` – the unofficial keyboard
        limits (None disables the check).
    """

    MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendVoice"})
    FLOOD_METHODS = frozenset(
        {"sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendChatAction", "editMessageText",
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
            "sendVoice": self._send_voice,
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

    # ---- normalisation ---------------------------------------------------------------

    def _normalize(self, params: dict[str, Any]) -> dict[str, Any]:
        """Decode aiogram's form encoding (JSON strings, "true", numeric strings)."""
        out: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, str):
                if key in _JSON_FIELDS:
                    with contextlib.suppress(ValueError):  # left as str: the handler reports it like the real server
                        value = json.loads(value)
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
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
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
            raise bad_request("bad webhook: Wrong URL host")
        secret = call.params.get("secret_token")
        if secret not in (None, "") and not _SECRET_RE.match(str(secret)):
            raise bad_request("secret token contains unallowed characters or is too long")
        max_connections = call.params.get("max_connections")
        if max_connections is not None and (not isinstance(max_connections, int) or not 1 <= max_connections <= 100):
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
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
