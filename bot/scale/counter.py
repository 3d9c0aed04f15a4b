"""Event counters shared by every process: fixed windows in Redis (INCR + EXPIRE, one round trip).

Used where a limit must hold across processes and machines — failed code
guesses, which a guesser spreads over fresh web ids and workers. While Redis is
unreachable each process counts in its own memory (the link logs it once).
"""

from __future__ import annotations

import math
import re
import time

from bot.core.limits import LocalCounter
from bot.scale.link import FAILURES, RedisLink


class SharedCounter:
    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self.local = LocalCounter()

    def _key(self, key: str, window: float) -> tuple[str, int]:
        slot = math.floor(time.time() / window)
        return self.link.key("count", key, str(slot)), math.ceil(window) + 1

    async def hit(self, key: str, window: float) -> int:
        if not self.link.usable:
            return await self.local.hit(key, window)
        name, ttl = self._key(key, window)
        started = time.monotonic()
        try:
            async with self.link.client.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, ttl)
                count, _ = await pipe.execute()
        except FAILURES as exc:
            self.link.failed(exc, started)
            return await self.local.hit(key, window)
        self.link.ok()
        return int(count)

    async def count(self, key: str, window: float) -> int:
        if not self.link.usable:
            return await self.local.count(key, window)
        name, _ = self._key(key, window)
        started = time.monotonic()
        try:
            value = await self.link.client.get(name)
        except FAILURES as exc:
            self.link.failed(exc, started)
            return await self.local.count(key, window)
        self.link.ok()
        return int(value or 0)

    async def forget(self, fragment: str) -> int:
        """Deletes this fragment's counters in Redis (SCAN, never KEYS) and in memory."""
        removed = await self.local.forget(fragment)
        if not self.link.usable:
            return removed
        pattern = self.link.key("count", "*" + _GLOB.sub(r"\\\g<0>", fragment) + "*")
        started = time.monotonic()
        try:
            names = [name async for name in self.link.client.scan_iter(match=pattern, count=500)]
            if names:
                removed += int(await self.link.client.delete(*names))
        except FAILURES as exc:
            self.link.failed(exc, started)
            return removed
        self.link.ok()
        return removed


_GLOB = re.compile(r"[*?\[\]\\]")
"""Characters SCAN MATCH reads as a pattern: a browser chooses its web id, so they are escaped."""
