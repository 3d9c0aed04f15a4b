"""Typed keys for what the aiohttp application carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.channels.web import FloodGuard
    from bot.runtime import Runtime
    from bot.web.live_hub import LiveHub

RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")
FLOOD_GUARD: web.AppKey[FloodGuard] = web.AppKey("flood_guard")
LIVE: web.AppKey[LiveHub] = web.AppKey("live")
