"""The channel's rate limit shared by every process: a token bucket in Redis, one per channel.

The bucket (tokens, last refill time) lives in one Redis hash and is updated by
one Lua script, so it is atomic whatever the number of processes. Like the
in-process `TokenBucket`, a caller *reserves* the next token: the script takes
one even when the bucket is empty (the count goes below zero) and answers how
long the caller must wait before using it. So concurrent senders never share a
slot, nobody polls, and each send costs one round trip. The clock is Redis's
(`TIME`), the same for every process and machine.

While Redis is unreachable each process falls back to its own in-process
bucket at the full rate (logged once by the link); the platform's 429
`retry_after`, which the sender honours, covers the overshoot of those seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bot.core.limits import TokenBucket
from bot.scale.link import FAILURES, RedisLink

log = logging.getLogger(__name__)

# KEYS[1] the bucket; ARGV: rate (tokens/s), burst (capacity). Returns the wait in microseconds (0 = go now).
TOKEN_BUCKET = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens, at = burst, now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000000)
  at = now
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', string.format('%.0f', at))
local wait = 0
if tokens < 0 then
  wait = math.ceil(-tokens * 1000000 / rate)
end
redis.call('PEXPIRE', KEYS[1], math.ceil(wait / 1000) + math.ceil(burst * 1000 / rate) + 1000)
return wait
"""


class SharedTokenBucket:
    """`RateLimiter` for the sender: `rate` per second per key across all processes, at most `burst` at once."""

    def __init__(self, link: RedisLink, rate: float, burst: float = 1.0) -> None:
        self.link = link
        self.rate = rate
        self.burst = burst
        self.local = TokenBucket(rate, burst)
        self._script = link.client.register_script(TOKEN_BUCKET)

    async def acquire(self, key: str) -> None:
        if self.link.usable:
            started = time.monotonic()
            try:
                wait = int(await self._script(keys=[self.link.key("rate", key)], args=[self.rate, self.burst]))
            except FAILURES as exc:
                self.link.failed(exc, started)
            else:
                self.link.ok()
                if wait > 0:
                    await asyncio.sleep(wait / 1_000_000)
                return
        await self.local.acquire(key)
