"""Telegram channel benchmark: our bot against a bare aiogram echo bot, through the local fake Bot API.

    .venv/bin/python bench/telegram.py [--updates 2000] [--users 100] [--rounds 3] [--pacing]

Each simulated resident sends a message, waits for the bot's answer, then sends
the next one (people wait for the answer before typing again), so every user
has one update in flight. Latency is measured from the moment an update is
handed to the fake server (queued for getUpdates, or POSTed to the webhook) to
the moment the fake records the answer: the echo, or for our bot the last
message of the turn (the one carrying the buttons). Each bot runs in its own
process, in polling and in webhook mode, and is first warmed up with
WARMUP_USERS other residents going through the same conversation (not
measured): a bot runs for months, so the figures are its steady state, not the
one-off costs of its first minute (SQL statements compiled and cached, models
built on first use). Each bot is measured `--rounds` times, the two bots in
turns, and the median run is printed: one run lasts a couple of seconds, and
another process on the machine can take a tenth off either figure.

Our bot is the real thing: `TelegramChannel`, engine, SQLite file database built
by `build_runtime` in a temporary directory, replies through the sender. The
sender's per-chat pacing (1 message/s per chat) would make the bench measure
Telegram's rule instead of our code (20 turns per chat cannot take less than
about 20 s), so it is switched off with the sender option
`per_chat_interval=0` and the global rate is raised; `--pacing` adds a run
with both at their production values for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from aiohttp.test_utils import unused_port

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on the path and its name would hide the
# `telegram` library (python-telegram-bot) from the bot's own Telegram adapter.
sys.path[:] = [str(ROOT), *(entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent)]

from bot.app.runtime import build_runtime  # noqa: E402
from bot.channels.telegram import TelegramChannel  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.content.loader import load_content  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from tests.fakes import Call, FakeTelegramServer  # noqa: E402

TOKEN = "123456789:BENCH-fake-telegram-token"
SECRET = "bench-webhook-secret"
BENCH_RATE = 1_000_000.0
ONBOARDING = ["/start", "đồng ý", "Bà Lan", "3", "1", "tổ 5"]
AFTERWARDS = ["1", "menu", "2", "menu", "trợ giúp", "quay lại", "menu"]
TARGET_RATIO = 0.5
WARMUP_USERS = 20
_user_ids = itertools.count(800_000)


def script(turns: int) -> list[str]:
    """What one resident types: the first conversation, then the menu, a lesson, the quiz list, help…"""
    return list(itertools.islice(itertools.chain(ONBOARDING, itertools.cycle(AFTERWARDS)), turns))


class RecordingServer(FakeTelegramServer):
    """The fake, telling each waiting resident the moment the answer to them is recorded."""

    def __init__(self, answered: Callable[[dict[str, Any] | None], bool]) -> None:
        super().__init__(TOKEN)
        self.answered = answered
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def _store_sent(
        self, call: Call, chat_id: int, body: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        message = super()._store_sent(call, chat_id, body, markup)
        if self.answered(markup) and (waiter := self.waiting.pop(chat_id, None)) and not waiter.done():
            waiter.set_result(time.perf_counter())
        return message


async def run_users(tg: RecordingServer, send: Callable[[dict[str, Any]], Awaitable[None]], users: int,
                    turns: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def resident(user_id: int) -> None:
        for text in script(turns):
            waiter = tg.waiting[user_id] = loop.create_future()
            started = time.perf_counter()
            await send(tg.make_message_update(user_id, text))
            latencies.append(await asyncio.wait_for(waiter, 60) - started)

    started = time.perf_counter()
    await asyncio.gather(*(resident(next(_user_ids)) for _ in range(users)))
    return time.perf_counter() - started, latencies


def sender_for(tg: RecordingServer, webhook: bool) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def deliver(update: dict[str, Any]) -> None:
        status, _ = await tg.deliver(update)
        assert status == 200, status

    async def push(update: dict[str, Any]) -> None:
        tg.push_update(update)

    return deliver if webhook else push


async def measure(kind: str, webhook: bool, users: int, turns: int, pacing: bool = False) -> tuple[float, list[float]]:
    """Start the fake here and the bot in its own process (Telegram is not in the bot's event loop either)."""
    answered = (lambda markup: True) if kind == "echo" else (lambda markup: markup is not None)
    async with RecordingServer(answered) as tg:
        port = unused_port()
        command = [sys.executable, __file__, "--child", kind, "--api", tg.base_url, "--port", str(port)]
        command += ["--webhook"] if webhook else []
        command += ["--pacing"] if pacing else []
        child = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"the {kind} bot did not start: {line!r}")
        try:
            send = sender_for(tg, webhook)
            await run_users(tg, send, WARMUP_USERS, turns)  # not measured: first-use costs, both bots alike
            return await run_users(tg, send, users, turns)
        finally:
            child.send_signal(signal.SIGTERM)
            await asyncio.wait_for(child.wait(), 60)


async def until_stopped() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()


async def serve(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def echo_bot(api: str, port: int, webhook: bool) -> None:
    """(a) The baseline: aiogram's Dispatcher answering each text with itself, nothing else."""
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
    if webhook:
        app = web.Application()
        SimpleRequestHandler(dispatcher, bot, secret_token=SECRET).register(app, path="/hook")
        runner = await serve(app, port)
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token=SECRET)
        await until_stopped()
        await runner.cleanup()
    else:
        polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False))
        await until_stopped()
        await dispatcher.stop_polling()
        await polling
    await bot.session.close()


async def our_bot(api: str, port: int, webhook: bool, pacing: bool) -> None:
    """(b) The product: engine, SQLite file, sender; each turn ends with the keyboard of the next step."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.create_all()
        settings = Settings(
            database_url=db.url, cert_signing_key="bench-signing-key-0123456789", telegram_bot_token=TOKEN,
            telegram_api_url=api, telegram_rate=25.0 if pacing else BENCH_RATE,
            public_base_url=f"http://127.0.0.1:{port}" if webhook else None,
            telegram_webhook_secret=SECRET if webhook else None, _env_file=None,
        )
        runtime = await build_runtime(settings, db=db, content=load_content())
        runtime.services.files_dir = Path(tmp) / "files"
        app = create_app(runtime)
        channel = TelegramChannel(runtime, per_chat_interval=1.0 if pacing else 0.0)
        await channel.start(app)
        runner = await serve(app, port)
        await until_stopped()
        await channel.stop()
        await runner.cleanup()
        await runtime.close()


async def engine_only(users: int, turns: int) -> tuple[float, list[float]]:
    """(c) The ceiling on this database: the same conversations straight into the engine, no Telegram at all."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.create_all()
        settings = Settings(database_url=db.url, cert_signing_key="bench-signing-key-0123456789",
                            _env_file=None)
        runtime = await build_runtime(settings, db=db, content=load_content())
        latencies: list[float] = []
        update_ids = itertools.count(1)

        async def resident(user_id: int) -> None:
            for text in script(turns):
                started = time.perf_counter()
                await runtime.engine.handle(Incoming("telegram", str(user_id), str(next(update_ids)), text))
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(resident(next(_user_ids)) for _ in range(WARMUP_USERS)))
        latencies.clear()
        started = time.perf_counter()
        await asyncio.gather(*(resident(next(_user_ids)) for _ in range(users)))
        elapsed = time.perf_counter() - started
        await runtime.close()
        return elapsed, latencies


def median_run(runs: list[tuple[float, list[float]]]) -> tuple[float, list[float]]:
    """The run with the median elapsed time (its own latencies with it)."""
    return sorted(runs, key=lambda run: run[0])[len(runs) // 2]


def row(mode: str, name: str, elapsed: float, latencies: list[float]) -> tuple[str, float]:
    cuts = statistics.quantiles(latencies, n=100)
    rate = len(latencies) / elapsed
    line = f"{mode:<8} {name:<22} {rate:>10.0f} {cuts[49] * 1000:>9.1f} {cuts[98] * 1000:>9.1f} {elapsed:>8.2f}"
    return line, rate


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each bot, taken in turns; the median is shown")
    parser.add_argument("--pacing", action="store_true", help="also run our bot with production pacing and rate")
    parser.add_argument("--child", choices=["echo", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--webhook", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if args.child == "echo":
        await echo_bot(args.api, args.port, args.webhook)
        return 0
    if args.child == "ours":
        await our_bot(args.api, args.port, args.webhook, args.pacing)
        return 0

    turns = max(1, args.updates // args.users)
    total = turns * args.users
    print(f"Telegram channel benchmark: {total} updates from {args.users} users ({turns} each, one at a time per user)")
    print("Fake Bot API and the simulated residents in this process; each bot in its own process; 127.0.0.1 only.")
    print("(b) runs on a temporary SQLite file. Per-chat pacing is OFF for (b) (sender per_chat_interval=0) and its")
    print(f"global rate is {BENCH_RATE:.0e}/s, so the figures show our code rather than Telegram's 1 message/s")
    print(f"per chat (which alone would make {turns} turns per chat take at least ~{turns} s).")
    print(f"\n{'mode':<8} {'bot':<22} {'updates/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'total s':>8}")
    line, ceiling = row("-", "(c) engine, no channel", *await engine_only(args.users, turns))
    print(line, flush=True)
    ok = True
    for webhook in (False, True):
        mode = "webhook" if webhook else "polling"
        runs: dict[str, list[tuple[float, list[float]]]] = {"echo": [], "ours": []}
        for _ in range(max(1, args.rounds)):  # in turns, so a busy moment on the machine hits both bots
            for kind in runs:
                runs[kind].append(await measure(kind, webhook, args.users, turns))
        line, echo_rate = row(mode, "(a) aiogram echo", *median_run(runs["echo"]))
        print(line, flush=True)
        line, ours_rate = row(mode, "(b) our bot", *median_run(runs["ours"]))
        ratio = ours_rate / echo_rate
        ok = ok and ratio >= TARGET_RATIO
        print(f"{line}   b/a = {ratio:.2f} (target ≥ {TARGET_RATIO}), b/c = {ours_rate / ceiling:.2f}", flush=True)
        if args.pacing:
            paced = await measure("ours", webhook, args.users, turns, pacing=True)
            line, _ = row(mode, "(b) our bot, paced", *paced)
            print(f"{line}   (1 msg/s per chat, {25} msg/s overall)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
