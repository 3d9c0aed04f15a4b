"""Builds the running product from settings: database, reference data, content, engine.

With `REDIS_URL` set (scale-out mode) the engine's per-person lock and the
channels' rate limiters are shared through Redis (see `bot.scale`); without it
they live in this process, which is all one process needs (and the Redis client, 7 MB,
is not even imported).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.content.cache import load_cached
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.limits import InboundGuard, RateLimiter, TokenBucket
from bot.core.locks import KeyedLock
from bot.core.services import Services
from bot.db.session import Database
from bot.units.reference import load_units, read_units

if TYPE_CHECKING:
    from bot.scale.link import RedisLink
    from bot.scale.locks import SharedKeyedLock

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    services: Services
    engine: Engine
    redis: RedisLink | None = None
    inbound: InboundGuard = field(default_factory=InboundGuard)
    """The per-person flood limit every adapter checks before an update reaches the engine."""

    @property
    def db(self) -> Database:
        return self.services.db

    def limiter(self, rate: float) -> RateLimiter:
        """A channel sender's limiter: shared by every process through Redis when scaled out.

        The bucket holds 10 ms worth of sends (at least one): a sender whose event loop
        answers a few milliseconds late does not lose its slot, and no second ever sees
        more than `rate` + 1 % (at the default 25/s the bucket holds exactly one).
        """
        burst = max(1.0, rate / 100)
        if self.redis is not None:
            from bot.scale.limiter import SharedTokenBucket

            return SharedTokenBucket(self.redis, rate, burst)
        return TokenBucket(rate, burst)

    async def close(self) -> None:
        if self.redis is not None:
            from bot.scale.locks import SharedKeyedLock

            if isinstance(locks := self.engine.locks, SharedKeyedLock):
                await locks.close()
            await self.redis.close()
        await self.services.db.dispose()


async def build_runtime(
    settings: Settings, *, db: Database | None = None, content: Content | None = None, load_reference: bool = True
) -> Runtime:
    from bot.handlers import build_flow

    database = db or Database(settings.database_url)
    services = Services(settings=settings, db=database, content=content or load_cached())
    services.files_dir.mkdir(parents=True, exist_ok=True)
    if load_reference:
        async with database.transaction() as session:
            wards, tdps = await load_units(session, read_units())
        log.info("reference data loaded: %d wards, %d TDPs", wards, tdps)
    link: RedisLink | None = None
    locks: KeyedLock | SharedKeyedLock = KeyedLock()
    if settings.redis_url:
        from bot.scale.counter import SharedCounter
        from bot.scale.link import RedisLink
        from bot.scale.locks import SharedKeyedLock

        link = RedisLink(settings.redis_url, settings.redis_prefix)
        locks = SharedKeyedLock(link)
        services.limits = SharedCounter(link)
        if await link.ping():
            log.info("scale-out mode: per-person locks and rate limits shared through redis")
    return Runtime(settings, services, Engine(services, build_flow(), locks), link)
