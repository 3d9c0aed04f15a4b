"""Conversation turns per second and turn latency on SQLite: through the engine and through the web API.

1,000 turns from 50 residents typing at once (onboarding, menu, a lesson step by
step, a free-text question). Run: .venv/bin/python bench/turns.py
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.runtime import Runtime, build_runtime
from bot.config import Settings
from bot.core.limits import InboundGuard, Limit
from bot.core.messages import Incoming
from bot.db.session import Database
from bot.web.app import create_app

USERS = 50
SCRIPT = ["/start", "đồng ý", "Bà Lan", "3", "hung dao", "tổ 5", "hoc bai", "co", "co", "khong", "vneid",
          "1", "tiep", "tiep", "quay lai", "tiep", "lam vneid muc 2 o dau", "menu", "cai dat", "menu"]
TURNS = USERS * len(SCRIPT)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def make_runtime(directory: str) -> Runtime:
    url = f"sqlite+aiosqlite:///{directory}/bench.db"
    db = Database(url)
    await db.create_all()
    settings = Settings(database_url=url, cert_signing_key="bench-signing-key-0123456789", _env_file=None)
    return await build_runtime(settings, db=db)


async def through_engine(
    runtime: Runtime, users: int = USERS, first: int = 0
) -> tuple[float, list[float]]:
    """`users` residents (numbered from `first`) through SCRIPT at once; (elapsed s, turn latencies)."""
    latencies: list[float] = []

    async def person(n: int) -> None:
        for step, text in enumerate(SCRIPT):
            started = time.perf_counter()
            await runtime.engine.handle(Incoming("telegram", f"e{n}", f"e{n}-{step}", text=text))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(person(first + n) for n in range(users)))
    return time.perf_counter() - started, latencies


async def through_web(runtime: Runtime) -> tuple[float, list[float]]:
    runtime.inbound = InboundGuard(Limit("inbound", 10**9, 10.0))  # the benchmark types faster than any person
    runtime.settings.web_address_limit = 10**9  # and all from one address
    app = create_app(runtime)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    latencies: list[float] = []
    async with ClientSession() as http:

        async def person(n: int) -> None:
            for text in SCRIPT:
                started = time.perf_counter()
                async with http.post(server.make_url("/api/messages"), json={"user_id": f"w{n}", "text": text}) as r:
                    assert r.status == 200
                    await r.read()
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(person(n) for n in range(USERS)))
        elapsed = time.perf_counter() - started
    await server.close()
    return elapsed, latencies


async def costs_per_turn(runtime: Runtime, people: int = 10) -> tuple[float, float]:
    """SQL statements and milliseconds inside the writer's transaction per turn, from a short extra run.

    Counted apart from the timed runs above, so that counting costs them nothing.
    """
    statements, held = 0, 0.0
    db = runtime.db
    plain = db.transaction

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    @contextlib.asynccontextmanager
    async def timed() -> AsyncIterator[AsyncSession]:
        nonlocal held
        started = time.perf_counter()
        try:
            async with plain() as session:
                yield session
        finally:
            held += time.perf_counter() - started

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    db.transaction = timed  # type: ignore[method-assign]
    try:
        for n in range(people):  # one at a time: no waiting for the lock in the figure
            for step, text in enumerate(SCRIPT):
                await runtime.engine.handle(Incoming("telegram", f"c{n}", f"c{n}-{step}", text=text))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        del db.transaction
    turns = people * len(SCRIPT)
    return statements / turns, held * 1000 / turns


def row(name: str, elapsed: float, latencies: list[float]) -> str:
    return (f"{name:<14} {len(latencies):>6} {len(latencies) / elapsed:>9.0f} "
            f"{statistics.median(latencies) * 1000:>8.1f} {percentile(latencies, 0.99) * 1000:>8.1f}")


async def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        runtime = await make_runtime(directory)
        engine_time, engine_lat = await through_engine(runtime)
        web_time, web_lat = await through_web(runtime)
        statements, held_ms = await costs_per_turn(runtime)
        await runtime.close()
    print(f"turns: {USERS} residents × {len(SCRIPT)} turns, concurrently, SQLite (WAL)")
    print(f"{'path':<14} {'turns':>6} {'turns/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    print(row("engine", engine_time, engine_lat))
    print(row("web API", web_time, web_lat))
    print(f"per turn (one resident at a time): {statements:.1f} SQL statements, "
          f"{held_ms:.2f} ms in the writing transaction (BEGIN IMMEDIATE … COMMIT)")
    return {"engine turns/s": TURNS / engine_time, "engine p99 ms": percentile(engine_lat, 0.99) * 1000,
            "web turns/s": TURNS / web_time, "web p99 ms": percentile(web_lat, 0.99) * 1000}


if __name__ == "__main__":
    asyncio.run(main())
