"""What the Telegram and Zalo adapters share: polling or webhook, set-up, the updates in hand, stopping.

A subclass says how to reach its platform (`_setup_remote`, `_poll`,
`webhook`, `_token_refused`, `_closed`) and which settings name its secret;
the life of the channel is the same on both: the webhook route is added in
webhook mode, the sender starts, the platform is set up (retried in the
background when it is away, so the web chat never waits for it), polling starts
in polling mode, and each update is handled in its own tracked task.

Every update passes the per-person flood limit first (`InboundGuard`, the same
as the web chat's): past it, the first extra message is answered once with
"Bạn gửi nhanh quá…" and the rest are dropped before they cost a task or a
database turn, so one account flooding the bot never delays other people.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from aiohttp import web

from bot.channels.backoff import Backoff, BackoffConfig
from bot.channels.host import Host
from bot.channels.render import channel_text
from bot.channels.sender import REPLY, Classify, Sender
from bot.config import SettingsError
from bot.core.limits import Admission
from bot.core.messages import Incoming, Option, Reply
from bot.logs import mask
from bot.people.accounts import mark_unreachable

log = logging.getLogger(__name__)

POLL_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=2.0, jitter=0.1)
STOP_TIMEOUT = 10.0
MAX_HANDLING = 64
"""Polling fetches no more updates while this many are being handled, and resumes at half of it:
memory stays bounded in a burst (the excess waits at the platform), and under load each call
brings a batch instead of one update."""


class PushChannel:
    name: str
    webhook_path: str
    secret_setting: str
    """The setting holding the webhook secret, e.g. "telegram_webhook_secret"."""

    def __init__(self, runtime: Host, *, rate: float, classify: Classify, polling_timeout: int,
                 per_chat_interval: float, typing_delay: float) -> None:
        self.runtime = runtime
        self.sender = Sender(self.name, self._deliver, classify, limiter=runtime.limiter(rate),
                             on_unreachable=partial(mark_unreachable, runtime.db, self.name),
                             per_chat_interval=per_chat_interval, typing_delay=typing_delay)
        self.webhook_mode = runtime.settings.public_base_url is not None
        self.polling_timeout = polling_timeout
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._room.set()
        self._poller: asyncio.Task[None] | None = None
        self._setup: asyncio.Task[None] | None = None

    # ---- what each platform says -------------------------------------------------------

    async def _setup_remote(self) -> None:
        """Check the token and set the webhook (webhook mode) or remove it (polling)."""
        raise NotImplementedError

    def _token_refused(self, exc: Exception) -> str | None:
        """The reason to stop start-up when `exc` means the platform refused the token, else None."""
        raise NotImplementedError

    async def _poll(self) -> None:
        raise NotImplementedError

    async def _deliver(self, chat_id: str, part: Any) -> None:
        """One API call: a part of a reply, as `send` rendered it."""
        raise NotImplementedError

    async def webhook(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def _closed(self) -> None:
        """After the last reply is sent: release the platform's connection."""

    def send(self, chat_id: Any, reply: Reply, priority: int = REPLY) -> Any:
        raise NotImplementedError

    # ---- shared ------------------------------------------------------------------------

    @property
    def _secret(self) -> str:
        secret = getattr(self.runtime.settings, self.secret_setting)
        return secret.get_secret_value() if secret is not None else ""

    @property
    def _lang(self) -> str:
        return self.runtime.settings.default_locale

    def check(self) -> None:
        """Webhook mode without a secret would let anyone on the internet speak for any resident."""
        if self.webhook_mode and not self._secret:
            raise SettingsError(
                f"Setting {self.secret_setting.upper()} is missing: webhook mode (PUBLIC_BASE_URL is set) needs it"
            )

    def start_sending(self) -> None:
        """Only the sender (a CLI sending a broadcast next to the running bot must not take its updates)."""
        self.sender.start()

    async def start(self, app: web.Application | None = None) -> None:
        self.check()
        if self.webhook_mode:
            if app is None:
                raise ValueError("webhook mode needs the aiohttp app to add its route to")
            app.router.add_post(self.webhook_path, self.webhook)
        self.sender.start()
        try:
            await self._setup_remote()
        except Exception as exc:
            refused = self._token_refused(exc)
            if refused is not None:
                await self.stop()
                raise SettingsError(refused) from None
            log.warning("%s: set-up failed (%s); retrying in the background", self.name, mask(repr(exc)))
            self._setup = asyncio.create_task(self._setup_until_done())
        if not self.webhook_mode:
            self._poller = asyncio.create_task(self._poll(), name=f"{self.name}-polling")
        log.info("%s: started (%s)", self.name, "webhook" if self.webhook_mode else "polling")

    async def _setup_until_done(self) -> None:
        backoff = Backoff(POLL_BACKOFF)
        while True:
            await asyncio.sleep(next(backoff))
            try:
                await self._setup_remote()
                log.info("%s: set-up done", self.name)
                return
            except Exception as exc:
                log.warning("%s: set-up failed again (%s)", self.name, mask(repr(exc)))

    async def stop(self) -> None:
        """Stop taking updates, finish the ones being handled, send what is queued, close."""
        for task in (self._poller, self._setup):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._poller = self._setup = None
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STOP_TIMEOUT)
        await self.sender.close()
        await self._closed()

    async def _typing(self, chat_id: Any) -> None:
        """Shows "typing…" in the chat."""
        raise NotImplementedError

    async def _turn(self, chat_id: Any, incoming: Incoming) -> list[Reply]:
        """The engine's replies, with "typing…" shown if it takes a while.

        The engine call comes before any other await, so updates of one person reach
        its per-person lock in the order they arrived. If handling fails, the person
        hears so in plain words, with the way home, instead of silence.
        """
        typing = self.sender.typing(chat_id, self._typing)
        try:
            return await self.runtime.engine.handle(incoming)
        except Exception:
            log.exception("%s: update %s failed", self.name, incoming.update_id)
            return [Reply(channel_text("channel.error", self._lang),
                          [Option("menu", channel_text("menu.back_to_menu", self._lang))], "error")]
        finally:
            typing.cancel()

    def _receive(self, chat_id: Any, incoming: Incoming,
                 turn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Handles `turn()` for an update of `incoming`'s person, unless they are flooding.

        Checked without an await, so one person's updates still reach the engine in order.
        """
        admission = self.runtime.inbound.admit(incoming.user_key)
        if admission is Admission.ACCEPT:
            self._spawn(turn())
        elif admission is Admission.NOTICE:
            log.info("%s: a person is sending too fast; the extra updates are dropped", self.name)
            self.send(chat_id, Reply(channel_text("channel.too_fast", self._lang), [], "flood"))

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._handled)
        if len(self._tasks) >= MAX_HANDLING:
            self._room.clear()

    def _handled(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if len(self._tasks) <= MAX_HANDLING // 2:
            self._room.set()

    async def _guarded(self, work: Any) -> None:
        try:
            await work
        except Exception as exc:
            log.error("%s: handling an update failed: %s", self.name, mask(repr(exc)))
