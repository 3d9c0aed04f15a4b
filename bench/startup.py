"""Start-up time and idle memory of `bot run`, beside a bare aiohttp server started the same way.

    .venv/bin/python bench/startup.py [--runs 3] [--workers 4]

Each case launches a fresh process (the database migrated beforehand, the content cache warm
after the first case), waits until GET / answers 200, then lets it idle for two seconds and reads
its memory: RSS (what `ps` shows) and PSS (shared pages divided among the processes sharing them,
the honest figure for forked workers). Cases:

- baseline: a bare aiohttp "hello" server in the same Python (the floor any aiohttp bot starts from);
- `bot run`, web chat only (the default, no tokens; target ≤ 90 MB RSS, ≤ 1.5 s to listening);
- `bot run` with Telegram and Zalo on, against the local fake Bot API servers (target ≤ 120 MB);
- `bot run --workers N`: the supervisor and N forked workers (target ≤ 40 MB PSS per extra worker).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.db.migrate import upgrade  # noqa: E402
from tests.fakes import FakeTelegramServer, FakeZaloServer  # noqa: E402

TELEGRAM_TOKEN = "123456789:STARTUP-fake-telegram-token"
POSTGRES = "postgresql://127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/14"
"""Several workers need a shared database and Redis (docs/deploy.md): the local servers."""
IDLE = 2.0
BARE = """
import sys
from aiohttp import web
app = web.Application()
app.router.add_get("/", lambda request: web.Response(text="hello"))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def first_page(port: int, process: subprocess.Popen[bytes], limit: float = 60.0) -> None:
    deadline = time.perf_counter() + limit
    async with aiohttp.ClientSession() as http:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"exited with {process.returncode}: {process.stderr.read().decode() if process.stderr else ''}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.01)
    raise TimeoutError("no first page")


def memory(pid: int) -> tuple[float, float, list[float]]:
    """RSS and PSS of the process and its children (MB), and each child's PSS."""
    parent = psutil.Process(pid)
    processes = [parent, *parent.children(recursive=True)]
    infos = [p.memory_full_info() for p in processes]
    return (sum(i.rss for i in infos) / 2**20, sum(i.pss for i in infos) / 2**20, [i.pss / 2**20 for i in infos[1:]])


async def measure(command: list[str], port: int, env: dict[str, str], cwd: Path) -> dict[str, float | list[float]]:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await first_page(port, process)
        listening = time.perf_counter() - started
        await asyncio.sleep(IDLE)
        rss, pss, workers = memory(process.pid)
        return {"listening_s": listening, "rss_mb": rss, "pss_mb": pss, "workers_pss": workers}
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


async def main(args: argparse.Namespace, cwd: Path, url: str, postgres: str) -> None:
    bot = str(Path(sys.executable).parent / "bot")
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("TELEGRAM_", "ZALO_", "PUBLIC_BASE_URL", "DATABASE_URL", "REDIS_URL"))}
    base.update(DATABASE_URL=url, CERT_SIGNING_KEY="k" * 64, WEB_HOST="127.0.0.1", LOG_LEVEL="WARNING")
    async with FakeTelegramServer(TELEGRAM_TOKEN) as tg, FakeZaloServer() as zalo:
        channels = {"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_URL": tg.base_url,
                    "ZALO_BOT_TOKEN": zalo.token, "ZALO_API_URL": zalo.base_url}
        cases: list[tuple[str, list[str], dict[str, str]]] = [
            ("bare aiohttp server (baseline)", [sys.executable, "-c", BARE], {}),
            ("bot run, web chat only", [bot, "run"], {}),
            ("bot run, Telegram + Zalo on", [bot, "run"], channels),
            (f"bot run --workers {args.workers} (PostgreSQL, Redis)", [bot, "run", "--workers", str(args.workers)],
             {"DATABASE_URL": postgres, "REDIS_URL": REDIS}),
        ]
        await measure([bot, "run"], port := free_port(), {**base, "WEB_PORT": str(port)}, cwd)  # warms the cache
        results: dict[str, list[dict[str, float | list[float]]]] = {name: [] for name, _, _ in cases}
        for _ in range(args.runs):
            for name, command, extra in cases:
                port = free_port()
                run = [*command, str(port)] if command[1] == "-c" else command
                results[name].append(await measure(run, port, {**base, **extra, "WEB_PORT": str(port)}, cwd))
    print(f"{'case':<44} {'to listening s':>15} {'RSS MB':>8} {'PSS MB':>8}  per worker PSS MB (median of {args.runs})")
    for name, runs in results.items():
        listening, rss, pss = (statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]
                               for key in ("listening_s", "rss_mb", "pss_mb"))
        workers = runs[len(runs) // 2]["workers_pss"]
        per_worker = " ".join(f"{w:.0f}" for w in workers) if isinstance(workers, list) and workers else ""
        print(f"{name:<44} {listening:>15.2f} {rss:>8.0f} {pss:>8.0f}  {per_worker}")
    print("targets: web chat only ≤ 90 MB RSS and ≤ 1.5 s; Telegram + Zalo ≤ 120 MB; each extra worker ≤ 40 MB PSS")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    name = f"bench_startup_{os.getpid()}"
    asyncio.run(admin(f"CREATE DATABASE {name}"))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = f"sqlite+aiosqlite:///{Path(tmp) / 'bot.db'}"
            shared = f"postgresql+asyncpg://127.0.0.1:5432/{name}"
            upgrade(database)  # before the event loop: migrations run their own
            upgrade(shared)
            asyncio.run(main(parser.parse_args(), Path(tmp), database, shared))
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
