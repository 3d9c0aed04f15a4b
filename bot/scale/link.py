"""One Redis connection pool for a process, and whether Redis is usable right now.

Commands get short timeouts and no retries: a shared lock or a rate-limit slot
that cannot be had within half a second is better replaced by the in-process
one than waited for. After a failure every user of the link works in-process
for `retry_after` seconds, then tries Redis again. The change each way is
logged once, not at every update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.logs import mask

log = logging.getLogger(__name__)

TIMEOUT = 0.5
RETRY_AFTER = 2.0
FAILURES = (RedisError, OSError, asyncio.TimeoutError)
"""What "Redis is away" looks like: refused/reset connections, timeouts, a server still loading."""


class RedisLink:
    def __init__(self, url: str, prefix: str = "bot:", *, timeout: float = TIMEOUT,
                 retry_after: float = RETRY_AFTER) -> None:
        self.url = url
        self.prefix = prefix
        self.retry_after = retry_after
        self.client: Redis = Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        self._down_until = 0.0
        self._up_since = 0.0
        self.down = False
        self.failures = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    @property
    def usable(self) -> bool:
        """False for `retry_after` seconds after a failure: callers use their in-process fallback."""
        return not self.down or time.monotonic() >= self._down_until

    def failed(self, exc: BaseException, started: float | None = None) -> None:
        """A command failed; `started` (time.monotonic() when it was sent) tells a late failure apart:
        a command sent before Redis was seen back cannot take the link down again."""
        self.failures += 1
        if started is not None and not self.down and started < self._up_since:
            return
        self._down_until = time.monotonic() + self.retry_after
        if not self.down:
            self.down = True
            log.warning("redis unreachable (%s): in-process locks and rate limiter until it is back; "
                        "trying again every %.0f s", mask(repr(exc)), self.retry_after)
            # Idle pooled connections may point at a server that is gone: open fresh ones next time.
            task = asyncio.get_running_loop().create_task(
                self.client.connection_pool.disconnect(inuse_connections=False))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def ok(self) -> None:
        if self.down:
            self.down = False
            self._up_since = time.monotonic()
            log.warning("redis is back: shared locks and rate limiter again")

    async def ping(self) -> bool:
        started = time.monotonic()
        try:
            await self.client.ping()
        except FAILURES as exc:
            self.failed(exc, started)
            return False
        self.ok()
        return True

    async def close(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(*FAILURES):
            await self.client.aclose()
