"""Updates into the fake Telegram server: building messages and button taps, queueing them, long polling.

A test builds an update (``make_message_update``, ``make_callback_update``)
to deliver it to a webhook, or queues it (``push_message``, ``push_callback``,
``push_update``) for ``getUpdates``, which confirms by offset, keeps only the
update types asked for and ends an older poll with 409 like a second bot
instance would.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .records import ApiError, Call

__all__ = ["TelegramUpdates"]

_DEFAULT_UPDATE_TYPES = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "inline_query",
     "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query", "poll",
     "poll_answer", "my_chat_member", "chat_join_request", "business_message"}
)


class TelegramUpdates:
    """Mixed into :class:`~tests.fakes.telegram.FakeTelegramServer`, which holds the state used here."""

    token: str
    bot_user: dict[str, Any]
    webhook_url: str | None
    allowed_updates: list[str] | None
    _updates: list[dict[str, Any]]
    _next_update_id: int
    _users: dict[int, dict[str, Any]]
    _messages: dict[tuple[int, int], dict[str, Any]]
    _callbacks: dict[str, bool]
    _poller: tuple[asyncio.Future[None], web.Request] | None
    _closing: bool
    _changed: asyncio.Event

    if TYPE_CHECKING:  # defined by FakeTelegramServer and FakeBotServer
        def add_chat(self, user_id: int, first_name: str = ..., **user_fields: Any) -> dict[str, Any]: ...
        def _chat(self, chat_id: int) -> dict[str, Any]: ...
        def _new_message_id(self, chat_id: int) -> int: ...
        def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None: ...
        def last_bot_message(self, chat_id: int) -> dict[str, Any] | None: ...
        def _gate(self, call: Call) -> None: ...
        def _notify(self) -> None: ...

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
                waiter: asyncio.Future[Any] = asyncio.ensure_future(self._changed.wait())
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
