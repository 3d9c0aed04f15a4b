"""`bot run --workers N`: N web processes on one port, forked and watched by this one.

The parent migrates (done by the CLI), loads the reference data and the
content once, then forks N workers. Each opens the port with SO_REUSEPORT, so
the kernel spreads incoming connections (webhooks, web chat) over them. Worker
0 also polls Telegram/Zalo when there is no webhook, and (unless `web_only`)
runs the outbox worker and the periodic jobs; with `web_only` those belong to
`bot worker`. A worker that dies is started again (a crash loop stops the
whole thing, so that systemd restarts it and the log shows why). SIGTERM or
SIGINT stops the workers gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from bot.config import Settings

log = logging.getLogger(__name__)

READY_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
RESTARTS = 5
"""A worker dying more often than this within `RESTART_WINDOW` seconds stops `bot run` (exit code 1)."""
RESTART_WINDOW = 60.0

_fork = multiprocessing.get_context("fork")


async def _prepare(settings: Settings) -> None:
    """Reference data, loaded once here rather than by N workers racing to upsert the same rows."""
    from bot.db.session import Database
    from bot.units.reference import load_units, read_units

    database = Database(settings.database_url)
    try:
        async with database.transaction() as session:
            wards, tdps = await load_units(session, read_units())
        log.info("reference data loaded: %d wards, %d TDPs", wards, tdps)
    finally:
        await database.dispose()


def _worker(settings: Settings, index: int, background: bool, content: Any, ready: Connection,
            channel_options: dict[str, Any] | None) -> None:
    from bot.app.server import serve

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)  # the event loop of serve() installs its own handlers
    os.environ["BOT_WORKER_INDEX"] = str(index)

    def started() -> None:
        ready.send(index)
        ready.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(
            settings, background=background, receive=index == 0 or settings.public_base_url is not None,
            reuse_port=True, load_reference=False, content=content, ready=started, channel_options=channel_options,
        ))


class Supervisor:
    def __init__(self, settings: Settings, workers: int, *, web_only: bool = False,
                 channel_options: dict[str, Any] | None = None, announce: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.workers = workers
        self.web_only = web_only
        self.channel_options = channel_options
        self.announce = announce or (lambda text: print(text, flush=True))
        self.processes: dict[int, Any] = {}
        self.restarts: list[float] = []
        self.stopping = False
        self.content: Any = None

    def _start(self, index: int) -> Connection:
        reader, writer = _fork.Pipe(duplex=False)
        process = _fork.Process(
            target=_worker, name=f"bot-web-{index}", daemon=False,
            args=(self.settings, index, index == 0 and not self.web_only, self.content, writer, self.channel_options),
        )
        process.start()
        writer.close()
        self.processes[index] = process
        return reader

    def _await_ready(self, readers: dict[Connection, int], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while readers:
            left = deadline - time.monotonic()
            if left <= 0 or self.stopping:
                return False
            for ready in wait(list(readers), timeout=min(left, 0.5)):
                conn = cast(Connection, ready)  # only connections are waited for
                index = readers.pop(conn)
                try:
                    conn.recv()
                except EOFError:  # died before listening
                    log.error("web worker %d stopped during start-up (exit code %s)", index,
                              self.processes[index].exitcode)
                    return False
                finally:
                    conn.close()
        return True

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def run(self) -> int:
        import importlib

        import bot.handlers
        import bot.web.app  # noqa: F401
        from bot.content.cache import load_cached

        # Loaded once here so the forked workers share the pages; a channel only when its token is set.
        for module, token in (("bot.channels.telegram", self.settings.telegram_bot_token),
                              ("bot.channels.zalo", self.settings.zalo_bot_token)):
            if token is not None:
                importlib.import_module(module)

        started = time.monotonic()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        asyncio.run(_prepare(self.settings))
        self.content = load_cached()
        # What is loaded now is left out of the garbage collector's passes from here on (the
        # documented use of gc.freeze before fork): a pass in a worker would write to every object's
        # header and so copy the page it lives on, which the workers otherwise share.
        gc.collect()
        gc.freeze()
        readers = {self._start(index): index for index in range(self.workers)}
        if not self._await_ready(readers, READY_TIMEOUT):
            self._stop_all()
            return 0 if self.stopping else 1
        host, port = self.settings.web_host, self.settings.web_port
        extra = "" if not self.web_only else "; outbox and jobs: run `bot worker`"
        log.info("%d web workers ready in %.1f s", self.workers, time.monotonic() - started)
        self.announce(f"Bot is running with {self.workers} web workers. Web chat: http://{host}:{port}/"
                      f"{extra}  (Ctrl+C to stop)")
        code = self._watch()
        self._stop_all()
        return code

    def _watch(self) -> int:
        while not self.stopping:
            sentinels = {process.sentinel: index for index, process in self.processes.items()}
            for sentinel in wait(list(sentinels), timeout=0.5):
                index = sentinels[sentinel]
                process = self.processes[index]
                process.join()
                if self.stopping:
                    break
                now = time.monotonic()
                self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW] + [now]
                if len(self.restarts) > RESTARTS:
                    log.error("web workers keep stopping (%d times in %.0f s): giving up", len(self.restarts),
                              RESTART_WINDOW)
                    return 1
                log.error("web worker %d stopped (exit code %s); starting it again", index, process.exitcode)
                reader = self._start(index)
                if not self._await_ready({reader: index}, READY_TIMEOUT) and not self.stopping:
                    log.error("web worker %d did not start again", index)
        return 0

    def _stop_all(self) -> None:
        for process in self.processes.values():
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("web worker %s did not stop in %.0f s; killing it", process.name, STOP_TIMEOUT)
                process.kill()
                process.join()


def run_workers(settings: Settings, workers: int, *, web_only: bool = False,
                channel_options: dict[str, Any] | None = None) -> int:
    """`bot run --workers N` (N ≥ 2); returns the exit code."""
    if sys.platform == "win32":  # fork and SO_REUSEPORT
        raise SystemExit("--workers needs Linux (fork and SO_REUSEPORT)")
    return Supervisor(settings, workers, web_only=web_only, channel_options=channel_options).run()
