"""`bot run`: the web app plus every channel whose settings are present, until stopped."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.channels import start_channels
from bot.config import Settings
from bot.delivery import background_worker
from bot.runtime import build_runtime
from bot.web.app import create_app

log = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    runtime = await build_runtime(settings)
    app = create_app(runtime)
    channels = await start_channels(runtime, app)  # before setup: webhook routes join the app
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.web_host, settings.web_port)
    await site.start()
    log.info("web chat on http://%s:%d/", settings.web_host, settings.web_port)
    print(f"Bot is running. Web chat: http://{settings.web_host}:{settings.web_port}/  (Ctrl+C to stop)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with background_worker(runtime, channels):
            await stop.wait()
    finally:
        await runner.cleanup()
        await channels.stop()  # after the web server: no webhook arrives while queued replies go out
        await runtime.close()
