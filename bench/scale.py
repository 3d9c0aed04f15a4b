"""Scale-out benchmark: the real `bot run` on SQLite, and `bot run --workers N` on PostgreSQL + Redis.

    .venv/bin/python bench/scale.py [--configs sqlite,pg1,pg2,pg4] [--users 100] [--turns 20] [--json FILE]

For each configuration, on a fresh database (a temporary SQLite file, or a new
PostgreSQL database on 127.0.0.1 with a Redis key prefix of its own):

- start-up: from starting the process (migrations included) to "Bot is running"
  (every worker listening); idle memory after 2 s: RSS and PSS summed over the
  supervisor and its workers (PSS shares the pages the forked workers have in
  common, so it is the honest sum);
- Telegram webhook turns/s: simulated residents (one update in flight each)
  POST updates through the local fake Bot API to the webhook; a turn ends when
  the fake records the answer with the buttons. The workers share port with
  SO_REUSEPORT. Per-chat pacing is off (per_chat_interval=0) and the global rate
  1e6/s, so the figures measure the bot, not Telegram's 1 message/s per chat.
  The CPU used meanwhile by the bot, PostgreSQL, Redis and this driver is
  recorded (the machine's cores are shared by all of them);
- web API turns/s: 50 web-chat visitors × 20 turns through POST /api/messages;
- engine turns/s and p99: the same 50 × 20 conversation straight into the
  engine, split over N processes sharing the database and Redis.

The bare aiogram echo bot of bench/telegram.py, measured once the same way, is
the baseline for the webhook ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from aiohttp import ClientSession, ClientTimeout  # noqa: E402
from aiohttp.test_utils import unused_port  # noqa: E402

if TYPE_CHECKING:
    from bot.config import Settings

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CONFIGS = {"sqlite": ("sqlite", 1), "pg1": ("postgres", 1), "pg2": ("postgres", 2), "pg4": ("postgres", 4)}
WEB_USERS = 50


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


OTHER_LIMIT = 0.15
"""A run during which other programs used more CPU than this (cores) is measured again."""
TRIES = 3


def wait_until_quiet(limit: float = 300.0, busy_share: float = 0.15) -> float:
    """Waits (up to `limit` s) until the machine is nearly idle; returns the last busy share seen."""
    deadline = time.monotonic() + limit
    share = psutil.cpu_percent(interval=1.0) / 100
    while share > busy_share and time.monotonic() < deadline:
        share = psutil.cpu_percent(interval=2.0) / 100
    return share


async def measured_quietly(measure: Callable[[], Awaitable[dict[str, Any]]],
                           other_of: Callable[[dict[str, Any]], float]) -> dict[str, Any]:
    """`measure()` once the machine is idle; again (up to TRIES times) when another program took CPU meanwhile.

    Keeps the least disturbed attempt and says how many were made."""
    best: dict[str, Any] | None = None
    for attempt in range(1, TRIES + 1):
        await asyncio.to_thread(wait_until_quiet)
        row = await measure()
        row["attempts"] = attempt
        if best is None or other_of(row) < other_of(best):
            best = row
        if other_of(row) <= OTHER_LIMIT:
            break
    assert best is not None
    return best


# ---- databases --------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def fresh_database(kind: str, tag: str) -> AsyncIterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/bot.db"
        return
    import asyncpg

    name = f"bench_scale_{tag}_{os.getpid()}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def drop_redis_prefix(prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def bench_settings(url: str, redis: str | None, prefix: str, port: int, api: str) -> Settings:
    from bench.telegram import BENCH_RATE, SECRET, TOKEN
    from bot.config import Settings

    return Settings(
        database_url=url, redis_url=redis, redis_prefix=prefix, cert_signing_key="bench-signing-key-0123456789",
        web_port=port, public_base_url=f"http://127.0.0.1:{port}", telegram_bot_token=TOKEN,
        telegram_api_url=api, telegram_webhook_secret=SECRET, telegram_rate=BENCH_RATE,
        _env_file=None,
    )


# ---- children ---------------------------------------------------------------------------------------------


def child_run(args: argparse.Namespace) -> int:
    """What `bot run [--workers N]` does, with the sender's per-chat pacing off."""
    import bot.app.supervisor as supervisor
    from bot.app.server import serve
    from bot.app.supervisor import run_workers
    from bot.db.migrate import upgrade

    settings = bench_settings(args.db, args.redis or None, args.prefix, args.port, args.api)
    upgrade(settings.database_url)
    options = {"per_chat_interval": 0.0}
    if args.profile:  # each web worker under cProfile, its statistics written when it stops
        import cProfile

        worker = supervisor._worker

        def profiled(settings: Settings, index: int, *rest: Any, **named: Any) -> None:
            profile = cProfile.Profile()
            profile.enable()
            try:
                worker(settings, index, *rest, **named)
            finally:
                profile.disable()
                profile.dump_stats(f"{args.profile}/worker-{index}.prof")

        supervisor._worker = profiled
    if args.workers > 1:
        return run_workers(settings, args.workers, channel_options=options)
    if args.profile:
        asyncio.run(supervisor._prepare(settings))  # what serve() would have loaded itself
        # _NullPipe for the ready pipe: send() and close() are all the worker calls on it
        supervisor._worker(settings, 0, True, None, _NullPipe(), options)  # type: ignore[arg-type]
        return 0
    asyncio.run(serve(settings, channel_options=options))
    return 0


class _NullPipe:
    """Stands in for the supervisor's pipe when one worker runs in this process; prints the banner."""

    def send(self, _index: int) -> None:
        print("Bot is running (1 worker, profiled)", flush=True)

    def close(self) -> None:
        pass


CATEGORIES = [
    ("aiogram", "/aiogram/"), ("pydantic", "/pydantic"), ("sqlalchemy", "/sqlalchemy/"), ("asyncpg", "/asyncpg/"),
    ("aiosqlite/sqlite3", "sqlite"), ("aiohttp", "/aiohttp/"), ("redis-py", "/redis/"), ("yarl/multidict", "/yarl/"),
    ("yarl/multidict", "/multidict/"), ("bot.scale", "/bot/scale/"), ("bot.channels", "/bot/channels/"),
    ("bot.core (engine)", "/bot/core/"), ("bot.handlers/lessons/quiz", "/bot/"), ("rapidfuzz", "rapidfuzz"),
    ("asyncio + selectors", "/asyncio/"), ("asyncio + selectors", "selectors"), ("json", "/json/"),
]


def profile_summary(paths: list[Path]) -> list[tuple[str, float]]:
    """Own time (tottime) per library, as a share of the profiled workers' busy time (epoll waits left out)."""
    import pstats

    totals: dict[str, float] = {}
    for path in paths:
        stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]  # there, but not in typeshed
        for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.items():
            if filename == "~" and "epoll" in function:
                continue  # waiting for the network: idle, not CPU
            if filename == "~":
                name = "C calls: " + ("socket send/recv" if any(w in function for w in ("recv", "send"))
                                      else "other")
            else:
                name = next((label for label, needle in CATEGORIES if needle in filename), "other Python")
            totals[name] = totals.get(name, 0.0) + own
    everything = sum(totals.values()) or 1.0
    return sorted(((name, own / everything) for name, own in totals.items()), key=lambda item: -item[1])


async def child_engine(args: argparse.Namespace) -> None:
    """`--users` residents of bench/turns.py's conversation straight into the engine; prints the latencies."""
    from bench.turns import through_engine
    from bot.app.runtime import build_runtime

    settings = bench_settings(args.db, args.redis or None, args.prefix, 9, "http://127.0.0.1:9")
    runtime = await build_runtime(settings, load_reference=False)
    print("ready", flush=True)
    sys.stdin.readline()  # every process starts together
    elapsed, latencies = await through_engine(runtime, args.users, first=args.offset)
    await runtime.close()
    print(json.dumps({"elapsed": elapsed, "latencies": latencies}), flush=True)


# ---- measurements -----------------------------------------------------------------------------------------


def tree(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return []


def memory_mb(pid: int) -> tuple[float, float]:
    rss = pss = 0
    for process in tree(pid):
        with contextlib.suppress(psutil.Error):
            info = process.memory_full_info()
            rss += info.rss
            pss += info.pss
    return rss / 2**20, pss / 2**20


def cpu_of(process: psutil.Process) -> float:
    with contextlib.suppress(psutil.Error):
        times = process.cpu_times()
        return times.user + times.system
    return 0.0


class CpuMeter:
    """Cores used by the bot, PostgreSQL, Redis, this driver and anything else while a measurement runs.

    PostgreSQL backends opened during the run count in full; "other" is the rest of
    the machine's busy time (another program running at the same time shows there).
    """

    def __init__(self, *bot_pids: int) -> None:
        self.bot_pids = bot_pids

    def _groups(self) -> dict[str, list[psutil.Process]]:
        bots = [process for pid in self.bot_pids for process in tree(pid)]
        groups: dict[str, list[psutil.Process]] = {"bot": bots, "postgres": [], "redis": [],
                                                   "driver+fake": [psutil.Process()]}
        for process in psutil.process_iter(["name"]):
            name = process.info["name"] or ""
            if name.startswith("postgres"):
                groups["postgres"].append(process)
            elif name.startswith("redis"):
                groups["redis"].append(process)
        return groups

    def _sample(self) -> dict[str, dict[int, float]]:
        sample = {name: {p.pid: cpu_of(p) for p in procs} for name, procs in self._groups().items()}
        for process in psutil.process_iter(["name", "ppid"]):
            if (process.info["name"] or "").startswith("postgres") and process.info["ppid"] == 1:
                with contextlib.suppress(psutil.Error):  # the postmaster: CPU of the backends that ended
                    times = process.cpu_times()
                    sample["postgres-ended"] = {process.pid: times.children_user + times.children_system}
        return sample

    def __enter__(self) -> CpuMeter:
        self.before = self._sample()
        self.machine_before = psutil.cpu_times()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.started
        after = self._sample()
        used = {name: sum(cpu - self.before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
                for name, pids in after.items()}
        ended = used.pop("postgres-ended", 0.0)  # backends that ended during the run, counted in full …
        gone = sum(cpu for pid, cpu in self.before["postgres"].items() if pid not in after["postgres"])
        used["postgres"] += ended - gone  # … minus what they had used before it
        self.cores = {name: seconds / self.elapsed for name, seconds in used.items()}
        self.bot_split = sorted(((cpu - self.before["bot"].get(pid, 0.0)) / self.elapsed
                                 for pid, cpu in after["bot"].items()), reverse=True)
        now = psutil.cpu_times()
        busy = sum(getattr(now, f) - getattr(self.machine_before, f)
                   for f in ("user", "system", "nice", "irq", "softirq"))
        self.machine = busy / self.elapsed
        self.cores["other"] = max(0.0, self.machine - sum(self.cores.values()))


async def web_api_turns(port: int) -> tuple[float, list[float]]:
    from bench.turns import SCRIPT

    latencies: list[float] = []
    run = uuid.uuid4().hex[:6]
    async with ClientSession(timeout=ClientTimeout(total=60)) as http:

        async def person(n: int) -> None:
            for text in SCRIPT:
                started = time.perf_counter()
                async with http.post(f"http://127.0.0.1:{port}/api/messages",
                                     json={"user_id": f"w{run}{n}", "text": text}) as response:
                    assert response.status == 200, response.status
                    await response.read()
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(person(n) for n in range(WEB_USERS)))
        return time.perf_counter() - started, latencies


async def engine_turns(url: str, redis: str | None, prefix: str, processes: int) -> tuple[float, list[float]]:
    per_process = WEB_USERS // processes
    children = []
    for index in range(processes):
        command = [sys.executable, __file__, "--child", "engine", "--db", url, "--redis", redis or "",
                   "--prefix", prefix, "--users", str(per_process), "--offset", str(index * per_process)]
        children.append(await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE,
                                                             stdout=asyncio.subprocess.PIPE))
    for child in children:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        assert line.strip() == b"ready", line
    for child in children:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        await child.stdin.drain()
    results = []
    for child in children:
        out, _ = await child.communicate()
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    latencies = [value for result in results for value in result["latencies"]]
    return max(result["elapsed"] for result in results), latencies


class SystemProfile:
    """`perf record -a` (every process, kernel included) while a measurement runs: where the cores went."""

    def __init__(self, bot_pid: int) -> None:
        self.bot_pids = {p.pid for p in tree(bot_pid)}
        self.file = Path(tempfile.mkstemp(prefix="bench-perf-", suffix=".data")[1])

    async def __aenter__(self) -> SystemProfile:
        self.process = await asyncio.create_subprocess_exec(
            "perf", "record", "-a", "-F", "499", "-o", str(self.file), stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        await asyncio.sleep(0.5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGINT)
        await self.process.wait()

    async def summary(self) -> dict[str, Any]:
        done = await asyncio.create_subprocess_exec(
            "perf", "report", "-i", str(self.file), "--stdio", "--sort", "pid,dso",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        out, _ = await done.communicate()
        self.file.unlink(missing_ok=True)
        by_role: dict[str, float] = {}
        inside: dict[str, float] = {}
        me = os.getpid()
        for line in out.decode(errors="replace").splitlines():
            parts = line.split()
            if len(parts) < 3 or line.lstrip().startswith("#") or not parts[0].endswith("%"):
                continue
            share, (pid_text, _, command), dso = float(parts[0].rstrip("%")), parts[1].partition(":"), parts[2]
            pid = int(pid_text) if pid_text.isdigit() else -1
            role = ("idle" if command.startswith("swapper") else "bot workers" if pid in self.bot_pids
                    else "driver + fake API" if pid == me else "postgres" if command.startswith("postgres")
                    else "redis" if command.startswith("redis") else "other")
            by_role[role] = by_role.get(role, 0.0) + share
            if role == "bot workers":
                kind = ("Python interpreter" if "libpython" in dso else "kernel (network, scheduling)"
                        if "kernel" in dso else "libc" if "libc" in dso else "C extensions")
                inside[kind] = inside.get(kind, 0.0) + share
        order = lambda shares: {k: round(v, 1) for k, v in sorted(shares.items(), key=lambda kv: -kv[1])}  # noqa: E731
        return {"machine": order(by_role), "bot_by_dso": order(inside)}


async def measure_config(name: str, users: int, turns: int, profile: bool = False,
                         perf: bool = False) -> dict[str, Any]:
    from bench.telegram import RecordingServer, run_users, sender_for

    kind, workers = CONFIGS[name]
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    redis = REDIS_URL if kind == "postgres" else None
    result: dict[str, Any] = {"config": name, "database": kind, "workers": workers}
    async with fresh_database(kind, name) as url:
        async with RecordingServer(lambda markup: markup is not None) as tg:
            port = unused_port()
            command = [sys.executable, __file__, "--child", "run", "--db", url, "--redis", redis or "",
                       "--prefix", prefix, "--workers", str(workers), "--port", str(port), "--api", tg.base_url]
            profile_dir = Path(tempfile.mkdtemp(prefix="bench-profile-")) if profile else None
            if profile_dir is not None:
                command += ["--profile", str(profile_dir)]
            started = time.perf_counter()
            bot = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.DEVNULL)
            try:
                assert bot.stdout is not None
                while b"Bot is running" not in (line := await asyncio.wait_for(bot.stdout.readline(), 180)):
                    if not line:
                        raise RuntimeError(f"{name}: bot run stopped during start-up")
                result["startup_s"] = time.perf_counter() - started
                await tg.wait_for(lambda: tg.webhook_url, timeout=30)
                await asyncio.sleep(2.0)
                result["idle_rss_mb"], result["idle_pss_mb"] = memory_mb(bot.pid)
                system = SystemProfile(bot.pid) if perf else None
                async with system or contextlib.nullcontext():
                    with CpuMeter(bot.pid) as meter:
                        elapsed, latencies = await run_users(tg, sender_for(tg, True), users, turns)
                if system is not None:
                    result["perf"] = await system.summary()
                result["webhook_turns_s"] = len(latencies) / elapsed
                result["webhook_p99_ms"] = percentile(latencies, 0.99) * 1000
                result["webhook_cpu_cores"] = {k: round(v, 2) for k, v in meter.cores.items()}
                result["webhook_cpu_per_bot_process"] = [round(v, 2) for v in meter.bot_split]
                result["webhook_turns_per_bot_cpu_s"] = result["webhook_turns_s"] / max(meter.cores["bot"], 1e-9)
                result["machine_busy_cores"] = round(meter.machine, 2)
                elapsed, latencies = await web_api_turns(port)
                result["web_turns_s"] = len(latencies) / elapsed
                result["web_p99_ms"] = percentile(latencies, 0.99) * 1000
                result["loaded_rss_mb"], result["loaded_pss_mb"] = memory_mb(bot.pid)
            finally:
                if bot.returncode is None:
                    bot.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(bot.wait(), 60)
            if profile_dir is not None:
                result["profile"] = profile_summary(sorted(profile_dir.glob("*.prof")))
        elapsed, latencies = await engine_turns(url, redis, prefix, workers)
        result["engine_turns_s"] = len(latencies) / elapsed
        result["engine_p99_ms"] = percentile(latencies, 0.99) * 1000
    if redis:
        await drop_redis_prefix(prefix)
    return result


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    from bench.telegram import measure

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="sqlite,pg1,pg2,pg4")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--profile", action="store_true",
                        help="run the web workers under cProfile and print where their CPU time goes")
    parser.add_argument("--perf", action="store_true",
                        help="record the whole machine with `perf record -a` during the webhook run")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    names = [name.strip() for name in args.configs.split(",") if name.strip()]
    print(f"scale-out benchmark: {args.users} Telegram residents × {args.turns} turns through the webhook; "
          f"{WEB_USERS} × 20 through the web API and the engine; machine: {os.cpu_count()} cores")
    elapsed, latencies = await measure("echo", True, args.users, args.turns)
    echo = len(latencies) / elapsed
    print(f"bare aiogram echo bot, webhook: {echo:.0f} updates/s (p99 {percentile(latencies, 0.99) * 1000:.0f} ms)")
    results: dict[str, Any] = {"echo_webhook_turns_s": echo, "configs": {}}
    header = (f"{'config':<8} {'start s':>7} {'idle RSS/PSS MB':>16} {'webhook/s':>9} {'ratio':>6} {'p99 ms':>7} "
              f"{'web/s':>6} {'engine/s':>8} {'eng p99':>7}  CPU cores during webhook run")
    print(header)
    for name in names:
        row = await measured_quietly(partial(measure_config, name, args.users, args.turns, args.profile, args.perf),
                                     lambda r: r["webhook_cpu_cores"]["other"])
        row["webhook_vs_echo"] = row["webhook_turns_s"] / echo
        results["configs"][name] = row
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in row["webhook_cpu_cores"].items())
        print(f"{name:<8} {row['startup_s']:>7.1f} {row['idle_rss_mb']:>8.0f}/{row['idle_pss_mb']:<7.0f} "
              f"{row['webhook_turns_s']:>9.0f} {row['webhook_vs_echo']:>6.2f} {row['webhook_p99_ms']:>7.0f} "
              f"{row['web_turns_s']:>6.0f} {row['engine_turns_s']:>8.0f} {row['engine_p99_ms']:>7.0f}  "
              f"{cpu}; machine {row['machine_busy_cores']:.2f}; per bot process "
              f"{row['webhook_cpu_per_bot_process']}", flush=True)
        if row.get("perf"):
            print(f"   perf, whole machine (% of both cores' samples): {row['perf']['machine']}")
            print(f"   perf, inside the bot workers (% of all samples, by binary): {row['perf']['bot_by_dso']}")
        if row.get("profile"):
            print("   profile of the web workers (own time, webhook + web API runs): " + ", ".join(
                f"{name} {share:.0%}" for name, share in row["profile"][:14]), flush=True)
    configs = results["configs"]
    if "pg1" in configs and "pg2" in configs:
        speedup = configs["pg2"]["webhook_turns_s"] / configs["pg1"]["webhook_turns_s"]
        results["pg2_vs_pg1"] = speedup
        print(f"webhook turns, PostgreSQL 2 workers / 1 worker: {speedup:.2f}× (target ≥ 1.6×)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def child_main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=["run", "engine"])
    parser.add_argument("--db")
    parser.add_argument("--redis", default="")
    parser.add_argument("--prefix", default="bench:")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api", default="")
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if args.child == "run":
        sys.exit(child_run(args))
    asyncio.run(child_engine(args))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child_main()
    else:
        asyncio.run(main())
