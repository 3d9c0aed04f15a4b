"""Typed keys for what the aiohttp application carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.channels.host import Host
    from bot.core.limits import LocalCounter
    from bot.web.live_hub import LiveHub

RUNTIME: web.AppKey[Host] = web.AppKey("runtime")
ADDRESSES: web.AppKey[LocalCounter] = web.AppKey("addresses")
"""Requests per client address on the web API (counted in this process)."""
LIVE: web.AppKey[LiveHub] = web.AppKey("live")
