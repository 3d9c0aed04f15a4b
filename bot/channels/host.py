"""What the channel adapters and the web app need of the running product, and nothing more.

The adapters sit below the application that assembles them (`bot.app.runtime`),
so they depend on this small protocol instead of on `Runtime`; a test or a
benchmark can hand them anything with these attributes.
"""

from __future__ import annotations

from typing import Protocol

from bot.config import Settings
from bot.core.engine import Engine
from bot.core.limits import InboundGuard, RateLimiter
from bot.core.services import Services
from bot.db.session import Database


class Host(Protocol):
    settings: Settings
    services: Services
    engine: Engine
    inbound: InboundGuard

    @property
    def db(self) -> Database: ...

    def limiter(self, rate: float) -> RateLimiter:
        """The outbound rate limiter of one channel (shared between processes when scaled out)."""
        ...
