"""How often something may happen: inbound messages per person, failed code guesses, web requests per address.

A `Counter` counts events per key in a time window. One process counts in
memory (`LocalCounter`); scaled out, the counters that must hold across
processes (failed code guesses, which a guesser spreads over fresh ids and
workers) are shared through Redis (`bot.scale.counter`). The inbound flood
guard always counts in the process that receives the update: it is checked
before any await, so one person's updates keep their order, and its purpose —
a flood from one account never delays other people's replies — is a
per-process one anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

MAX_KEYS = 100_000
"""A LocalCounter forgets every key past this many (memory stays bounded under a flood of fresh ids)."""


class Counter(Protocol):
    async def hit(self, key: str, window: float) -> int:
        """Counts one event for `key`; the events of the last `window` seconds, this one included."""
        ...

    async def count(self, key: str, window: float) -> int:
        """The events of the last `window` seconds, without counting one."""
        ...

    async def forget(self, fragment: str) -> int:
        """Drops every counter whose key contains `fragment` (a deleted person's identity key)."""
        ...


class LocalCounter:
    """Sliding windows in this process's memory."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self._events: dict[str, deque[float]] = {}

    def hit_now(self, key: str, window: float, cap: int = 10_000) -> int:
        """`hit` without an await: callers that must not yield (order of updates) use this.

        At most `cap` events are kept per key, so a flood cannot grow memory; the answer is then `cap`.
        """
        events = self._recent(key, window)
        if len(events) < cap:
            events.append(self.clock())
        return len(events)

    async def hit(self, key: str, window: float) -> int:
        return self.hit_now(key, window)

    async def count(self, key: str, window: float) -> int:
        return len(self._recent(key, window))

    async def forget(self, fragment: str) -> int:
        keys = [key for key in self._events if fragment in key]
        for key in keys:
            del self._events[key]
        return len(keys)

    def _recent(self, key: str, window: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= MAX_KEYS:
                self._events.clear()
            events = self._events[key] = deque()
        cutoff = self.clock() - window
        while events and events[0] <= cutoff:
            events.popleft()
        return events


@dataclass(frozen=True)
class Limit:
    """At most `burst` events per `window` seconds for one key."""

    name: str
    burst: int
    window: float


class Admission(Enum):
    ACCEPT = "accept"
    NOTICE = "notice"
    """The first message over the limit: answered once with "Bạn gửi nhanh quá…", not handled."""
    DROP = "drop"
    """Later messages of the same flood: neither handled nor answered."""


INBOUND = Limit("inbound", 20, 10.0)
"""Messages per person on any channel: far above a person tapping buttons or typing."""


class InboundGuard:
    """The same per-person limit on every channel, checked before an update reaches the engine."""

    def __init__(self, limit: Limit = INBOUND, counter: LocalCounter | None = None) -> None:
        self.limit = limit
        self.counter = counter or LocalCounter()

    def admit(self, user_key: str) -> Admission:
        seen = self.counter.hit_now(f"{self.limit.name}:{user_key}", self.limit.window, cap=self.limit.burst + 2)
        if seen <= self.limit.burst:
            return Admission.ACCEPT
        return Admission.NOTICE if seen == self.limit.burst + 1 else Admission.DROP


class RateLimiter(Protocol):
    """Sends per second for a key (the channel); a Redis-backed one can share it between processes."""

    async def acquire(self, key: str) -> None: ...


class TokenBucket:
    """In-process limiter: `rate` per second per key, at most `burst` at once.

    Each caller reserves the next free slot before sleeping, so concurrent
    callers never share a slot and a cancelled wait only wastes its own.
    """

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.interval = 1.0 / rate
        self.burst = burst
        self._next: dict[str, float] = {}

    async def acquire(self, key: str) -> None:
        now = time.monotonic()
        slot = max(self._next.get(key, now), now)
        self._next[key] = slot + self.interval
        wait = slot - (self.burst - 1) * self.interval - now
        if wait > 0:
            await asyncio.sleep(wait)
