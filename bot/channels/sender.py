"""The one way out: every message to Telegram or Zalo goes through a channel's Sender.

Platforms punish bots that send too fast (Telegram: about 30 messages/s overall
and about 1/s to one chat, then 429 "retry after N"), and a resident's answer
must never wait behind a broadcast to the whole ward. So each channel has one
Sender with one worker that picks, among the chats allowed to receive now, the
oldest message of the most urgent kind (replies before bulk), waits for the
channel's rate limiter and hands it to the adapter's `deliver`.

- per chat: one message in flight and a gap of `per_chat_interval` after each
  send (measured from the platform's answer, so the gap holds at the far end);
  the parts of one message go out in order and are not interleaved;
- 429: the whole channel pauses for `retry_after`, then the same message is
  retried; network errors and 5xx: a few tries with exponential backoff;
  403 (blocked): the person is marked unreachable and that chat's queue dropped;
- each submitted message has a Future saying sent / failed / unreachable, for
  callers and the outbox.

The adapter stays in charge of everything platform-specific: it renders a
Reply into parts (one API call each), delivers a part, and classifies errors.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from bot.channels.typing import TYPING_DELAY, Action, Typing
from bot.core.limits import RateLimiter
from bot.logs import mask

log = logging.getLogger(__name__)

REPLY = 0
"""Priority of answers to a person's own message."""
BULK = 1
"""Priority of broadcasts, reminders and alerts."""
NUDGE = 2
"""Priority of learning nudges ("Nhắc học"): after everything else (`bot.nudges.scheduler.PRIORITY`)."""
PER_CHAT_INTERVAL = 1.0
SWEEP_EVERY = 60.0


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Failure:
    """What an adapter's error means for the sender."""

    kind: Literal["retry_after", "unreachable", "transient", "permanent"]
    retry_after: float = 0.0


Deliver = Callable[[str, Any], Awaitable[object]]
Classify = Callable[[BaseException], Failure]
Unreachable = Callable[[str], Awaitable[object]]
"""Records that a chat blocked the bot (see `bot.people.accounts.mark_unreachable`)."""


@dataclass
class _Message:
    chat: str
    parts: list[Any]
    priority: int
    seq: int
    future: asyncio.Future[Outcome]
    index: int = 0
    attempts: int = 0
    throttled: int = 0

    @property
    def rank(self) -> tuple[int, int]:
        return self.priority, self.seq


@dataclass
class _Chat:
    key: str
    pending: list[tuple[int, int, _Message]] = field(default_factory=list)
    current: _Message | None = None
    busy: bool = False
    ready_at: float = 0.0

    def head(self) -> _Message | None:
        if self.current is not None:
            return self.current
        return self.pending[0][2] if self.pending else None

    def take(self) -> _Message:
        if self.current is None:
            self.current = heapq.heappop(self.pending)[2]
        self.busy = True
        return self.current


class Sender:
    def __init__(
        self,
        channel: str,
        deliver: Deliver,
        classify: Classify,
        *,
        limiter: RateLimiter,
        on_unreachable: Unreachable | None = None,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        max_attempts: int = 4,
        retry_base: float = 0.5,
        max_throttled: int = 10,
        max_in_flight: int = 16,
        typing_delay: float = TYPING_DELAY,
    ) -> None:
        self.channel = channel
        self.per_chat_interval = per_chat_interval
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.max_throttled = max_throttled
        self.typing_delay = typing_delay
        self._deliver = deliver
        self._classify = classify
        self._limiter = limiter
        self._on_unreachable = on_unreachable
        self._chats: dict[str, _Chat] = {}
        self._ready: list[tuple[int, int, str]] = []
        self._later: list[tuple[float, str]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._unfinished = 0
        self._pause_until = 0.0
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._closed = False
        self._swept = time.monotonic()

    # ---- public ------------------------------------------------------------------------

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name=f"sender-{self.channel}")
            self._worker.add_done_callback(self._worker_done)

    @property
    def paused(self) -> bool:
        """True during a 429 wait: nothing at all may be sent on this channel."""
        return self._pause_until > time.monotonic()

    @property
    def queued(self) -> int:
        return self._unfinished

    def submit(self, chat_id: str | int, parts: Iterable[Any], priority: int = REPLY) -> asyncio.Future[Outcome]:
        """Queue one message (its parts go out in order); the Future tells how it ended."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        parts = list(parts)
        if not parts:
            future.set_result(Outcome.SENT)
            return future
        if self._closed:
            log.warning("%s: sender closed, message not sent", self.channel)
            future.set_result(Outcome.FAILED)
            return future
        key = str(chat_id)
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = _Chat(key)
        message = _Message(key, parts, priority, next(self._seq), future)
        heapq.heappush(chat.pending, (priority, message.seq, message))
        self._unfinished += 1
        self._idle.clear()
        self._schedule(chat)
        return future

    def typing(self, chat_id: str | int, action: Action) -> Typing:
        """Shows "typing…" while a turn takes longer than `typing_delay` (not during a 429 wait); cancel it when done."""
        return Typing(self.typing_delay, str(chat_id), action, self)

    @property
    def closed(self) -> bool:
        return self._closed

    def track(self, task: asyncio.Task[None]) -> None:
        """Keeps `task` (a typing indicator) until it ends; `close()` cancels it."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted message has ended; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
            return True
        except TimeoutError:
            return False

    async def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (up to `timeout`), then stop; whatever is left ends as failed."""
        self._closed = True
        if self._worker is not None and not await self.wait_idle(timeout):
            log.warning("%s: %d messages not sent at shutdown", self.channel, self._unfinished)
        tasks = [t for t in (self._worker, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._worker = None
        for chat in self._chats.values():
            if chat.current is not None:
                self._finish(chat, chat.current, Outcome.FAILED)
            self._drop(chat, Outcome.FAILED)

    # ---- scheduling --------------------------------------------------------------------

    def _schedule(self, chat: _Chat) -> None:
        head = chat.head()
        if chat.busy or head is None:
            return
        if chat.ready_at <= time.monotonic():
            heapq.heappush(self._ready, (*head.rank, chat.key))
        else:
            heapq.heappush(self._later, (chat.ready_at, chat.key))
        self._wake.set()

    def _promote(self, now: float) -> None:
        while self._later and self._later[0][0] <= now:
            _, key = heapq.heappop(self._later)
            chat = self._chats.get(key)
            if chat is not None and chat.ready_at <= now:
                self._schedule(chat)

    def _best(self, now: float) -> _Chat | None:
        """The chat whose head message goes next (left on top of the ready heap); stale entries dropped."""
        while self._ready:
            priority, seq, key = self._ready[0]
            chat = self._chats.get(key)
            head = chat.head() if chat is not None else None
            if chat is not None and not chat.busy and head is not None and head.rank == (priority, seq) \
                    and chat.ready_at <= now:
                return chat
            heapq.heappop(self._ready)
        return None

    async def _next_chat(self) -> _Chat:
        while True:
            now = time.monotonic()
            self._promote(now)
            if self._best(now) is None:
                self._wake.clear()
                delay = self._later[0][0] - now if self._later else None
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                continue
            if self._pause_until > now:
                await asyncio.sleep(self._pause_until - now)
                continue
            await self._limiter.acquire(self.channel)
            now = time.monotonic()
            if self._pause_until > now:
                continue
            self._promote(now)
            chat = self._best(now)  # a reply that arrived during the wait goes first
            if chat is not None:
                heapq.heappop(self._ready)
                return chat

    async def _run(self) -> None:
        while True:
            await self._slots.acquire()
            try:
                chat = await self._next_chat()
            except BaseException:
                self._slots.release()
                raise
            task = asyncio.create_task(self._send(chat, chat.take()))
            self._tasks.add(task)
            task.add_done_callback(self._sent)
            if time.monotonic() - self._swept > SWEEP_EVERY:
                self._sweep()

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    def _sweep(self) -> None:
        """Forget chats with nothing queued whose pacing gap has passed."""
        now = self._swept = time.monotonic()
        for key, chat in list(self._chats.items()):
            if not chat.busy and chat.head() is None and chat.ready_at <= now:
                del self._chats[key]

    def _worker_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: sender stopped: %s", self.channel, mask(repr(task.exception())))

    # ---- sending -----------------------------------------------------------------------

    async def _send(self, chat: _Chat, message: _Message) -> None:
        try:
            await self._deliver(chat.key, message.parts[message.index])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._failed(chat, message, exc)
        else:
            message.index += 1
            message.attempts = 0
            chat.ready_at = time.monotonic() + self.per_chat_interval
            if message.index == len(message.parts):
                self._finish(chat, message, Outcome.SENT)
        finally:
            chat.busy = False
            self._schedule(chat)

    async def _failed(self, chat: _Chat, message: _Message, exc: Exception) -> None:
        failure = self._classify(exc)
        reason = mask(f"{type(exc).__name__}: {exc}")
        if failure.kind == "retry_after":
            message.throttled += 1
            self._pause_until = max(self._pause_until, time.monotonic() + failure.retry_after)
            log.warning("%s: rate limited, pausing the channel for %.1f s", self.channel, failure.retry_after)
            if message.throttled > self.max_throttled:
                log.error("%s: giving up on a message after %d rate limits", self.channel, message.throttled)
                self._finish(chat, message, Outcome.FAILED)
        elif failure.kind == "unreachable":
            log.info("%s: chat %s unreachable (%s)", self.channel, chat.key, reason)
            await self._mark_unreachable(chat.key)  # first, so an "unreachable" outcome means it is recorded
            self._finish(chat, message, Outcome.UNREACHABLE)
            self._drop(chat, Outcome.UNREACHABLE)
        elif failure.kind == "transient" and message.attempts + 1 < self.max_attempts:
            message.attempts += 1
            chat.ready_at = time.monotonic() + self.retry_base * 2 ** (message.attempts - 1)
        else:
            tries = message.attempts + 1
            log.error("%s: message to %s not sent after %d tries: %s", self.channel, chat.key, tries, reason)
            self._finish(chat, message, Outcome.FAILED)

    def _finish(self, chat: _Chat, message: _Message, outcome: Outcome) -> None:
        if chat.current is message:
            chat.current = None
        if not message.future.done():
            message.future.set_result(outcome)
        self._unfinished -= 1
        if self._unfinished == 0:
            self._idle.set()

    def _drop(self, chat: _Chat, outcome: Outcome) -> None:
        pending, chat.pending = chat.pending, []
        for _, _, message in pending:
            self._finish(chat, message, outcome)

    async def _mark_unreachable(self, external_id: str) -> None:
        if self._on_unreachable is None:
            return
        try:
            await self._on_unreachable(external_id)
        except Exception as exc:
            log.error("%s: could not mark %s unreachable: %s", self.channel, external_id, mask(repr(exc)))
