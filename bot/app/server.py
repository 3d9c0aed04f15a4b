"""`bot run` and `bot worker`: the processes of the product, until stopped.

- `serve`: one web process: the web app (web chat, verify pages, webhooks) and
  the channels; with `background=True` also the outbox worker and the periodic
  jobs (`bot run` with one process does everything);
- `work`: `bot worker`: the outbox worker and the periodic jobs with the
  channels' senders only (no web server, no polling).

`bot run --workers N` forks N `serve` processes (see `bot.app.supervisor`).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.app.delivery import background_worker
from bot.app.runtime import build_runtime
from bot.channels import start_channels
from bot.config import Settings, SettingsError
from bot.content.loader import Content
from bot.web.app import create_app

log = logging.getLogger(__name__)


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(
    settings: Settings,
    *,
    background: bool = True,
    receive: bool = True,
    reuse_port: bool = False,
    load_reference: bool = True,
    content: Content | None = None,
    ready: Callable[[], None] | None = None,
    channel_options: dict[str, Any] | None = None,
) -> None:
    """The web app and the channels; `background`: also the outbox worker and the jobs.

    `receive=False` (web workers other than the first in polling mode): the
    channels only send, so that one process alone polls Telegram/Zalo.
    `reuse_port`: several processes listen on the same port (SO_REUSEPORT).
    `ready` is called once the port is open (instead of printing the banner).
    """
    runtime = await build_runtime(settings, content=content, load_reference=load_reference)
    app = create_app(runtime)
    channels = await start_channels(runtime, app, receive=receive, **(channel_options or {}))  # routes before setup
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.web_host, settings.web_port, reuse_port=reuse_port or None)
    stop = _stop_event()
    try:
        await _listen(site, settings)
        log.info("web chat on http://%s:%d/", settings.web_host, settings.web_port)
        if ready is not None:
            ready()
        else:
            print(f"Bot is running. Web chat: http://{settings.web_host}:{settings.web_port}/  (Ctrl+C to stop)",
                  flush=True)
        if background:
            async with background_worker(runtime, channels):
                await stop.wait()
        else:
            await stop.wait()
    finally:
        await runner.cleanup()
        await channels.stop()  # after the web server: no webhook arrives while queued replies go out
        await runtime.close()


async def _listen(site: web.TCPSite, settings: Settings) -> None:
    """Opens the port; one that is taken ends start-up with one line saying what to do (no traceback)."""
    try:
        await site.start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise SettingsError(
            f"Setting WEB_PORT is invalid: {settings.web_host}:{settings.web_port} is already in use "
            "(is the bot already running? stop it, or set another WEB_PORT in .env)") from None


async def work(settings: Settings, *, ready: Callable[[], None] | None = None,
               channel_options: dict[str, Any] | None = None) -> None:
    """`bot worker`: sends the outbox and runs the periodic jobs; takes no updates and serves no pages."""
    runtime = await build_runtime(settings, load_reference=False)
    channels = await start_channels(runtime, None, receive=False, **(channel_options or {}))
    stop = _stop_event()
    try:
        if not channels.running:
            log.warning("no Telegram or Zalo token set: outbox messages stay queued until a channel is configured")
        async with background_worker(runtime, channels):
            if ready is not None:
                ready()
            else:
                names = ", ".join(channels.running) or "no channel"
                print(f"Worker is running: outbox and periodic jobs ({names}). Ctrl+C to stop.", flush=True)
            await stop.wait()
    finally:
        await channels.stop()
        await runtime.close()
