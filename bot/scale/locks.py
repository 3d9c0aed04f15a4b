"""Per-person order across processes: a first-come-first-served line per person in Redis.

`SharedKeyedLock.hold(key)` has the meaning of `KeyedLock.hold(key)`, whichever
process an update reached: updates of one person are handled one at a time, in
the order they arrived. How:

1. on arrival the update takes its place at the end of the person's line in
   Redis (a list; one Lua script: RPUSH + a lease). Within one process these
   joins go one after another (an in-process lock per person), so the line
   holds a process's updates in the order they arrived there;
2. it then takes the in-process lock of that person (FIFO, the same order as
   the line), so a process never competes with itself in Redis: only its
   first waiting update looks at the line;
3. that update waits until its place is the head of the line (answered by the
   join itself when nobody is ahead; otherwise polled every 2–50 ms);
4. when the turn is over it leaves the line (LREM) and the next one goes.

A lock that is a plain SET NX would not keep the order: the update waiting in
another process can lose the race against a later one retrying in the holder's
process. Each place in the line has a lease, renewed every `ttl / 3` while its
process lives; a place whose lease ran out (process killed) is skipped by the
next one in line, so a crash holds a person up for at most `ttl`.

Redis unreachable: the update is handled under the in-process lock alone (the
order inside each process still holds; the database still refuses a second
application of an update id), and Redis is tried again a few seconds later.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable

from bot.core.locks import KeyedLock
from bot.scale.link import FAILURES, RedisLink

log = logging.getLogger(__name__)

LEASE_TTL = 10.0
POLL_FIRST = 0.002
POLL_MAX = 0.05

_TURN = """
local function turn(line, leases, token)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  for _ = 1, 64 do
    local head = redis.call('LINDEX', line, 0)
    if not head then return -1 end
    if head == token then return 1 end
    local deadline = tonumber(redis.call('HGET', leases, head) or '0')
    if deadline >= now then
      if not redis.call('LPOS', line, token) then return -1 end
      return 0
    end
    redis.call('LPOP', line)
    redis.call('HDEL', leases, head)
  end
  return 0
end
"""

# KEYS: line, leases. ARGV: token, ttl ms. Returns 1 (head: go), 0 (wait), -1 (our place is gone: join again).
JOIN = _TURN + """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], now + ttl)
redis.call('PEXPIRE', KEYS[1], 4 * ttl)
redis.call('PEXPIRE', KEYS[2], 4 * ttl)
return turn(KEYS[1], KEYS[2], ARGV[1])
"""

POLL = _TURN + """
return turn(KEYS[1], KEYS[2], ARGV[1])
"""

LEAVE = """
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

RENEW = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], now + ttl)
redis.call('PEXPIRE', KEYS[1], 4 * ttl)
redis.call('PEXPIRE', KEYS[2], 4 * ttl)
return 1
"""


class SharedKeyedLock(KeyedLock):
    """`hold(key)`: one holder per key across every process using the same Redis and prefix, first come first served.

    `on_queued(key)`, when given, is called once an update has its place in the
    line (before it waits for its turn); tests use it to know the arrival order.
    """

    def __init__(self, link: RedisLink, *, ttl: float = LEASE_TTL,
                 on_queued: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.link = link
        self.ttl_ms = int(ttl * 1000)
        self.on_queued = on_queued
        self._joining = KeyedLock()
        self._turns = KeyedLock()
        self._origin = f"{os.getpid()}-{secrets.token_hex(3)}"
        self._numbers = itertools.count(1)
        self._live: dict[str, str] = {}
        self._orphans: dict[str, str] = {}
        """Places whose join or leave timed out: Redis may still run the command, so they are removed later."""
        self._keeper: asyncio.Task[None] | None = None
        client = link.client
        self._join_script = client.register_script(JOIN)
        self._poll_script = client.register_script(POLL)
        self._leave_script = client.register_script(LEAVE)
        self._renew_script = client.register_script(RENEW)

    def _keys(self, key: str) -> list[str]:
        tag = "{" + key + "}"  # both keys of one person in one Cluster slot
        return [self.link.key("line", tag), self.link.key("lease", tag)]

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        token: str | None = None
        try:
            async with self._joining.hold(key):
                token, first = await self._join(key)
            if self.on_queued is not None:
                self.on_queued(key)
            async with self._turns.hold(key):
                if token is not None and not first:
                    token = await self._wait_turn(key, token)
                try:
                    yield
                finally:
                    if token is not None:
                        leaving: str = token
                        token = None
                        await self._leave(key, leaving)
        finally:
            if token is not None:  # cancelled while waiting in line
                await self._leave(key, token)

    def __len__(self) -> int:
        return len(self._turns)

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None

    # ---- Redis ---------------------------------------------------------------------

    async def _join(self, key: str) -> tuple[str | None, bool]:
        """Our place at the end of the line, and whether it is already the head; (None, False) without Redis."""
        if not self.link.usable:
            return None, False
        token = f"{self._origin}-{next(self._numbers)}"
        self._live[token] = key
        started = time.monotonic()
        try:
            state = await self._join_script(keys=self._keys(key), args=[token, self.ttl_ms])
        except FAILURES as exc:
            self._live.pop(token, None)
            self._orphans[token] = key
            self.link.failed(exc, started)
            return None, False
        self.link.ok()
        self._keep_leases()
        if self._orphans:
            await self._sweep_orphans()
        return token, int(state) == 1

    async def _wait_turn(self, key: str, token: str) -> str | None:
        """Until `token` is the head of the line; the place we finally hold (None: going on without Redis)."""
        first_token, delay = token, POLL_FIRST
        try:
            while True:
                started = time.monotonic()
                try:
                    state = int(await self._poll_script(keys=self._keys(key), args=[token]))
                except FAILURES as exc:
                    self.link.failed(exc, started)
                    return token  # go on under the in-process lock; leaving is tried at the end
                if state == 1:
                    return token
                if state == -1:  # Redis lost the line (restarted) or took us for dead: join again at the end
                    log.info("redis: a place in line was lost; joining again")
                    self._live.pop(token, None)
                    joined, first = await self._join(key)
                    if joined is None or first:
                        return joined
                    token, delay = joined, POLL_FIRST
                    continue
                await asyncio.sleep(delay)
                delay = min(delay * 2, POLL_MAX)
        except BaseException:
            if token != first_token:  # cancelled after joining again: the caller only knows the first place
                await self._leave(key, token)
            raise

    async def _leave(self, key: str, token: str) -> None:
        self._live.pop(token, None)
        started = time.monotonic()
        try:
            await self._leave_script(keys=self._keys(key), args=[token])
        except FAILURES as exc:
            self._orphans[token] = key  # removed once Redis answers again (or skipped when its lease runs out)
            self._keep_leases()
            self.link.failed(exc, started)

    async def _sweep_orphans(self) -> None:
        orphans, self._orphans = self._orphans, {}
        started = time.monotonic()
        try:
            async with self.link.client.pipeline(transaction=False) as pipe:
                for token, key in orphans.items():
                    await self._leave_script(keys=self._keys(key), args=[token], client=pipe)
                await pipe.execute()
        except FAILURES as exc:
            self._orphans.update(orphans)
            self.link.failed(exc, started)

    def _keep_leases(self) -> None:
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._renew_leases(), name="redis-lock-leases")

    async def _renew_leases(self) -> None:
        while self._live or self._orphans:
            await asyncio.sleep(self.ttl_ms / 3000)
            if self._orphans and self.link.usable:
                await self._sweep_orphans()
            live = list(self._live.items())
            if not live:
                continue
            started = time.monotonic()
            try:
                async with self.link.client.pipeline(transaction=False) as pipe:
                    for token, key in live:
                        await self._renew_script(keys=self._keys(key), args=[token, self.ttl_ms], client=pipe)
                    await pipe.execute()
            except FAILURES as exc:
                self.link.failed(exc, started)
