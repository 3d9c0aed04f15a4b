"""Broadcast benchmark: 10,000 recipients through the local fake Telegram server at a configured 300 msg/s.

    .venv/bin/python bench/broadcast.py [--recipients 10000] [--rate 300] [--configs sqlite,pg1,pg2,pg4]

A broadcast to everyone is queued in the outbox of a fresh database (SQLite
file, or PostgreSQL + Redis), then sent by the product's own parts: N worker
processes, each an `OutboxWorker` with `deliver_through` a `TelegramChannel` in
send-only mode (`start_sending()`), all with the production sender (1 message/s
per chat, TELEGRAM_RATE=--rate shared through Redis when there are several).
The fake Bot API records every call; from its records: the achieved rate
(successful sends over the time from the first to the last), the busiest
second, recipients who got nothing (lost) and extra copies (duplicated). Also
the wall time and the peak RSS of the worker processes.

Targets: achieved ≥ 95 % of the configured rate, never above it, 0 lost, 0 duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import time
import uuid
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "123456789:BENCH-fake-telegram-token"
CONFIGS = {"sqlite": ("sqlite", 1), "pg1": ("postgres", 1), "pg2": ("postgres", 2), "pg4": ("postgres", 4)}
TARGET_SHARE = 0.95


async def queue_broadcast(url: str, recipients: int) -> None:
    from sqlalchemy import insert

    from bot.broadcasts import service
    from bot.broadcasts.audience import Audience
    from bot.db.migrate import upgrade
    from bot.db.models import User
    from bot.db.session import Database
    from bot.people.audit import Actor

    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    async with db.transaction() as session:
        for start in range(0, recipients, 2000):
            await session.execute(insert(User), [
                {"channel": "telegram", "external_id": str(10_000_000 + n), "state": "menu", "state_data": {},
                 "locale": "vi", "role": "learner", "notifications_off": False}
                for n in range(start, min(recipients, start + 2000))])
    if not db.is_sqlite:
        # A ward's residents arrive over months and autovacuum has long analysed them; the broadcast's own
        # outbox rows are new (as in real life). Without statistics on `users` PostgreSQL picks a nested loop
        # over 10,000 × 10,000 rows for the outbox claim (4 s per batch of 200): see docs/performance.md.
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE users")
    async with db.transaction() as session:
        await service.create(session, actor=Actor("bench", "test"), text="Lớp học VNeID sáng thứ Bảy tại nhà văn hóa tổ 5.",
                             audience=Audience("all"), urgent=True)
    await db.dispose()


async def child_worker(args: argparse.Namespace) -> None:
    from bot.app.delivery import deliver_through
    from bot.app.runtime import build_runtime
    from bot.channels import Channels
    from bot.channels.telegram import TelegramChannel
    from bot.config import Settings
    from bot.outbox.worker import OutboxWorker

    settings = Settings(
        database_url=args.db, redis_url=args.redis or None, redis_prefix=args.prefix,
        cert_signing_key="bench-signing-key-0123456789", telegram_bot_token=TOKEN, telegram_api_url=args.api,
        telegram_rate=args.rate, _env_file=None,
    )
    runtime = await build_runtime(settings, load_reference=False)
    channel = TelegramChannel(runtime)
    channel.start_sending()
    channels = Channels({"telegram": channel})
    worker = OutboxWorker(runtime.db, deliver_through(channels), name=args.name, poll=0.2)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    started = time.perf_counter()
    await worker.run_until_empty()
    elapsed = time.perf_counter() - started
    await channels.stop()
    await runtime.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"sent": worker.sent, "elapsed": elapsed, "peak_rss_mb": peak}), flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # stay until the parent has read our CPU time


async def measure_config(name: str, recipients: int, rate: float) -> dict[str, Any]:
    from bench.scale import REDIS_URL, CpuMeter, drop_redis_prefix, fresh_database
    from tests.fakes import FakeTelegramServer

    kind, workers = CONFIGS[name]
    redis = REDIS_URL if kind == "postgres" else ""
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    async with fresh_database(kind, f"bc_{name}") as url:
        await queue_broadcast(url, recipients)
        async with FakeTelegramServer(TOKEN) as tg:
            children = []
            for index in range(workers):
                command = [sys.executable, __file__, "--child", "--db", url, "--redis", redis, "--prefix", prefix,
                           "--api", tg.base_url, "--rate", str(rate), "--name", f"w{index}"]
                children.append(await asyncio.create_subprocess_exec(
                    *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE))
            for child in children:
                assert child.stdout is not None
                line = await asyncio.wait_for(child.stdout.readline(), 120)
                assert line.strip() == b"ready", line
            started = time.perf_counter()
            with CpuMeter(*(child.pid for child in children)) as meter:
                for child in children:
                    assert child.stdin is not None
                    child.stdin.write(b"go\n")
                    await child.stdin.drain()
                outputs = []
                for child in children:
                    assert child.stdout is not None
                    outputs.append(json.loads(await child.stdout.readline()))
            wall = time.perf_counter() - started
            for child in children:
                assert child.stdin is not None
                child.stdin.write(b"bye\n")
                await child.wait()
            sends = sorted((c for c in tg.calls if c.ok and c.method == "sendMessage"), key=lambda c: c.at)
            per_chat = Counter(c.chat_id for c in sends)
            busiest = tg.max_rate(window=1.0)
    if redis:
        await drop_redis_prefix(prefix)
    span = sends[-1].at - sends[0].at if len(sends) > 1 else 0.0
    achieved = (len(sends) - 1) / span if span else 0.0
    return {
        "config": name, "workers": workers, "recipients": recipients, "rate": rate,
        "achieved_rate": achieved, "busiest_second": busiest, "wall_s": wall,
        "lost": recipients - len(per_chat), "duplicated": sum(n - 1 for n in per_chat.values() if n > 1),
        "sent_by_worker": [o["sent"] for o in outputs],
        "peak_rss_mb": max(o["peak_rss_mb"] for o in outputs),
        "cpu_cores": {k: round(v, 2) for k, v in meter.cores.items()},
    }


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    from bench.scale import measured_quietly

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--configs", default="sqlite,pg1,pg2,pg4")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    print(f"broadcast: {args.recipients:,} recipients at a configured {args.rate:.0f} msg/s through the fake Bot API")
    print(f"{'config':<8} {'workers':>7} {'achieved/s':>10} {'% of rate':>9} {'max in 1 s':>10} {'lost':>5} "
          f"{'dup':>4} {'time s':>7} {'peak RSS MB':>11}  sent by worker")
    results: dict[str, Any] = {}
    ok = True
    for name in [n.strip() for n in args.configs.split(",") if n.strip()]:
        row = results[name] = await measured_quietly(partial(measure_config, name, args.recipients, args.rate),
                                                     lambda r: r["cpu_cores"]["other"])
        share = row["achieved_rate"] / args.rate
        ok = ok and share >= TARGET_SHARE and row["lost"] == 0 and row["duplicated"] == 0 \
            and row["busiest_second"] <= args.rate + 1
        print(f"{name:<8} {row['workers']:>7} {row['achieved_rate']:>10.1f} {share:>8.1%} {row['busiest_second']:>10} "
              f"{row['lost']:>5} {row['duplicated']:>4} {row['wall_s']:>7.1f} {row['peak_rss_mb']:>11.0f}  "
              f"{row['sent_by_worker']}; CPU cores: {row['cpu_cores']}", flush=True)
    print(f"target: ≥ {TARGET_SHARE:.0%} of the rate, never above it, 0 lost, 0 duplicated: {'OK' if ok else 'MISSED'}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def child_main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--db")
    parser.add_argument("--redis", default="")
    parser.add_argument("--prefix", default="bench:")
    parser.add_argument("--api")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--name")
    logging.disable(logging.WARNING)
    asyncio.run(child_worker(parser.parse_args()))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child_main()
    else:
        asyncio.run(main())
