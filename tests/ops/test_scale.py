"""Scale-out mode against the local PostgreSQL and Redis (never skipped: a service that is down fails the test).

- two real processes take the same 50 people's numbered messages in turn
  (message k to one, k+1 to the other, without waiting for the answers), half
  of them delivered again to the other process, and every person's record ends
  up in the sent order with each message applied once. (Were *every* message
  delivered to both, each process would see the whole sequence and the
  database's duplicate check alone would keep the order: the test would pass
  without a shared lock. This one fails with in-process locks only.)
- two outbox workers (processes) send a broadcast: each row once, and together
  no faster than the shared rate limit;
- Redis killed, restarted and paused under traffic: no update lost, nothing
  applied twice, every message sent, the outage logged once;
- SQLite, the embedded default: 50 people at once plus a second process-like
  writer, no "database is locked";
- `bot run --workers 2`: two processes on one port, a clean stop; several
  processes refuse to start without PostgreSQL and Redis.

Run as `python -m tests.ops.test_scale <mode> <json>` the module is one of those processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import socket
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, insert, select

from bot.channels import telegram_api
from bot.core.messages import Incoming, Option
from bot.db.models import ProcessedUpdate, User
from bot.db.session import Database
from bot.db.staff import OutboxMessage
from bot.people.audit import Actor
from tests.conftest import PG_URL, PgSchema, make_settings, shipped_content
from tests.fakes import FakeTelegramServer

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = "123456789:SCALE-fake-telegram-token"
TALLY = "scale.tally"
PEOPLE = 50
MESSAGES = 8


def register_tally(runtime) -> None:
    """A screen that appends what was typed to the person's record: a lost or reordered turn shows at once."""
    from bot.core.context import Screen

    async def tally(ctx) -> None:
        seen = list(ctx.data.get("seen", []))
        await asyncio.sleep(random.uniform(0, 0.01))  # a turn takes a while: room for an overlap to do harm
        ctx.data["seen"] = [*seen, ctx.text]
        ctx.say(f"ok {ctx.text}", [Option("menu", "Menu")])

    runtime.engine.flow.screens[TALLY] = Screen(TALLY, tally, "help.generic", True, False)


async def add_people(db: Database, count: int, channel: str = "telegram", state: str = TALLY) -> None:
    async with db.transaction() as session:
        await session.execute(insert(User), [
            {"channel": channel, "external_id": str(7000 + n), "state": state, "state_data": {"data": {"seen": []}},
             "locale": "vi", "role": "learner", "notifications_off": False} for n in range(count)])


async def records(db: Database) -> dict[str, list[str]]:
    async with db.sessions() as session:
        rows = await session.execute(select(User.external_id, User.state_data))
        return {external_id: list((data or {}).get("data", {}).get("seen", [])) for external_id, data in rows}


def pg_database(schema: str) -> Database:
    return Database(PG_URL, connect_args={"server_settings": {"search_path": schema}})


@pytest.fixture
async def pg() -> AsyncIterator[PgSchema]:
    schema = PgSchema()
    await schema.create()
    db = schema.database()
    await db.create_all()
    await db.dispose()
    try:
        yield schema
    finally:
        await schema.drop()


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """Keys of this test only, removed afterwards (the local Redis is shared with other tests and the bench)."""
    name = f"test-{uuid.uuid4().hex[:10]}:"
    yield name
    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"{name}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


# ---- child processes ---------------------------------------------------------------------------------------


class Child:
    """One real OS process (`python -m tests.ops.test_scale <mode>`), talking JSON lines over stdin/stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: list[dict[str, Any]] = []
        self._ids = iter(range(10**9))
        self._queued: dict[int, asyncio.Future[None]] = {}
        self.done: dict[int, asyncio.Future[bool]] = {}
        self._ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, mode: str, config: dict[str, Any]) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.ops.test_scale", mode, json.dumps(config), cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        child = cls(process)
        try:
            await asyncio.wait_for(asyncio.shield(child._ready), 60)
        except BaseException:
            child.kill()
            await process.wait()
            await child._reader
            raise
        return child

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            event = json.loads(raw)
            self.events.append(event)
            if "ready" in event and not self._ready.done():
                self._ready.set_result(event)
            elif "queued" in event:
                self._queued.pop(event["queued"]).set_result(None)
            elif "done" in event:
                self.done[event["done"]].set_result(event["applied"])
        if not self._ready.done():
            self._ready.set_exception(RuntimeError(f"child exited: {await self.process.wait()}"))

    async def deliver(self, update: dict[str, Any]) -> asyncio.Future[bool]:
        """Hands over one update; returns once it has its place in line (the future: applied or not)."""
        number = next(self._ids)
        loop = asyncio.get_running_loop()
        queued = self._queued[number] = loop.create_future()
        done = self.done[number] = loop.create_future()
        self._send({"id": number, **update})
        await asyncio.wait_for(queued, 20)
        return done

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")

    async def finish(self, timeout: float = 60) -> list[dict[str, Any]]:
        self._send({"quit": True})
        assert self.process.stdin is not None
        await self.process.stdin.drain()
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await self._reader
        assert code == 0, self.events[-3:]
        return self.events

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def _child_runtime(config: dict[str, Any], **settings: Any):
    from bot.app.runtime import build_runtime

    db = pg_database(config["schema"])
    values = {"redis_url": REDIS_URL, "redis_prefix": config["prefix"], **settings}
    return await build_runtime(make_settings(db.url, **values), db=db, content=shipped_content(),
                               load_reference=False)


async def child_turns(config: dict[str, Any]) -> None:
    """Handles the updates given on stdin through the engine; says when each has its place in line and is done."""
    from collections import deque

    from bot.core.locks import KeyedLock
    from bot.scale.locks import SharedKeyedLock

    runtime = await _child_runtime(config)
    register_tally(runtime)
    waiting: dict[str, deque[int]] = {}
    locks = runtime.engine.locks
    if config.get("lock") == "local":  # proves the test can fail: no shared lock
        locks = runtime.engine.locks = KeyedLock()
    else:
        assert isinstance(locks, SharedKeyedLock)
        locks.on_queued = lambda key: _emit({"queued": waiting[key].popleft()})

    async def handle(message: dict[str, Any]) -> None:
        incoming = Incoming("telegram", message["user"], message["update"], text=message["text"])
        replies = await runtime.engine.handle(incoming)
        _emit({"done": message["id"], "applied": bool(replies), "update": message["update"]})

    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks: set[asyncio.Task[None]] = set()
    _emit({"ready": True})
    async for raw in reader:
        message = json.loads(raw)
        if message.get("quit"):
            break
        key = f"telegram:{message['user']}"
        waiting.setdefault(key, deque()).append(message["id"])
        tasks.add(asyncio.create_task(handle(message)))
        if not isinstance(locks, SharedKeyedLock):
            await asyncio.sleep(0)
            _emit({"queued": waiting[key].popleft()})
    await asyncio.gather(*tasks)
    await runtime.close()


async def child_outbox(config: dict[str, Any]) -> None:
    """An outbox worker with its Telegram sender, until no row is left to send."""
    from bot.app.delivery import deliver_through
    from bot.channels import Channels
    from bot.channels.telegram import TelegramChannel
    from bot.outbox.worker import OutboxWorker

    runtime = await _child_runtime(config, telegram_bot_token=TOKEN, telegram_api_url=config["api"],
                                   telegram_rate=config["rate"])
    channel = TelegramChannel(runtime)
    channel.start_sending()
    channels = Channels({"telegram": channel})
    worker = OutboxWorker(runtime.db, deliver_through(channels), name=config["name"], batch=20, poll=0.1)
    _emit({"ready": True})
    await worker.run_until_empty()
    _emit({"sent": worker.sent})
    await channels.stop()
    await runtime.close()


# ---- tests ---------------------------------------------------------------------------------------------------


async def test_two_processes_keep_each_persons_order_and_apply_each_update_once(pg: PgSchema, prefix: str) -> None:
    db = pg.database()
    await add_people(db, PEOPLE)
    config = {"schema": pg.name, "prefix": prefix}
    a, b = await asyncio.gather(Child.start("turns", config), Child.start("turns", config))
    outcomes: dict[str, list[asyncio.Future[bool]]] = {}
    overlapped = 0
    try:
        async def person(n: int) -> None:
            nonlocal overlapped
            unfinished: list[asyncio.Future[bool]] = []
            redeliver = random.Random(n)
            for k in range(1, MESSAGES + 1):
                first, second = (a, b) if (n + k) % 2 else (b, a)
                update = {"user": str(7000 + n), "update": f"{n}-{k}", "text": f"m{k}"}
                overlapped += any(not f.done() for f in unfinished)  # earlier messages still waiting or running
                futures = [await first.deliver(update)]
                if redeliver.random() < 0.5:
                    futures.append(await second.deliver(update))  # the same update again, to the other process
                outcomes[update["update"]] = futures
                unfinished += futures

        await asyncio.gather(*(person(n) for n in range(PEOPLE)))
        events = [*(await a.finish()), *(await b.finish())]
    finally:
        a.kill()
        b.kill()
    applied = Counter(e["update"] for e in events if e.get("applied"))
    assert all(applied[update] == 1 for update in outcomes), [u for u in outcomes if applied[u] != 1][:5]
    assert len(outcomes) == PEOPLE * MESSAGES
    assert all(sorted(f.result() for f in futures)[-1] and sum(f.result() for f in futures) == 1
               for futures in outcomes.values())
    assert sum(len(futures) == 2 for futures in outcomes.values()) > PEOPLE * MESSAGES // 3  # duplicate-laden
    expected = [f"m{k}" for k in range(1, MESSAGES + 1)]
    seen = await records(db)
    wrong = {person: got for person, got in seen.items() if got != expected}
    assert not wrong, f"{len(wrong)} people out of order or with lost/double turns, e.g. {next(iter(wrong.items()))}"
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == PEOPLE * MESSAGES
    await db.dispose()
    by_process = [sum(1 for e in child.events if e.get("applied")) for child in (a, b)]
    assert min(by_process) > PEOPLE, by_process  # both processes did real work
    assert overlapped > PEOPLE * MESSAGES // 2, overlapped  # messages really were queued behind unfinished ones


async def test_two_outbox_workers_send_each_row_once_within_the_shared_rate(pg: PgSchema, prefix: str) -> None:
    from bot.broadcasts import service
    from bot.broadcasts.audience import Audience

    rate, people = 80.0, 240
    db = pg.database()
    await add_people(db, people, state="menu")
    async with db.transaction() as session:
        await service.create(session, actor=Actor("test", "test"), text="Lớp học VNeID sáng thứ Bảy.", audience=Audience("all"),
                             urgent=True)
    await db.dispose()
    async with FakeTelegramServer(TOKEN) as tg:
        config = {"schema": pg.name, "prefix": prefix, "api": tg.base_url, "rate": rate}
        workers = await asyncio.gather(*(Child.start("outbox", {**config, "name": name}) for name in ("w1", "w2")))
        try:
            events = await asyncio.gather(*(worker.finish(timeout=40) for worker in workers))
        finally:
            for worker in workers:
                worker.kill()
        sent = [next(e["sent"] for e in child if "sent" in e) for child in events]
        assert sum(sent) == people and min(sent) > 0, sent  # both worked, together each row once
        assert all(len(tg.sent_to(7000 + n)) == 1 for n in range(people))
        sends = sorted(c.at for c in tg.calls if c.ok and c.method == "sendMessage")
        overall = (len(sends) - 1) / (sends[-1] - sends[0])
        assert overall <= rate * 1.02, overall  # each alone would have sent at `rate`: together 2 × rate
        assert tg.max_rate(window=1.0) <= rate * 1.05 + 1, tg.max_rate(window=1.0)  # + arrival jitter
        assert tg.rejected == [] and tg.violations == []
    db = pg.database()
    async with db.sessions() as session:
        statuses = dict(list(await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))))
    await db.dispose()
    assert statuses == {"sent": people}


@contextlib.asynccontextmanager
async def private_redis() -> AsyncIterator[dict[str, Any]]:
    """A redis-server of our own on a free port, without persistence, that the test may kill and start again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    state: dict[str, Any] = {"port": port, "url": f"redis://127.0.0.1:{port}/0"}

    async def start() -> None:
        state["process"] = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            stdout=asyncio.subprocess.DEVNULL)
        client = Redis.from_url(state["url"])
        for _ in range(200):
            with contextlib.suppress(Exception):
                if await client.ping():
                    break
            await asyncio.sleep(0.02)
        await client.aclose()

    async def stop() -> None:
        state["process"].kill()
        await state["process"].wait()

    state["start"], state["stop"] = start, stop
    await start()
    try:
        yield state
    finally:
        if state["process"].returncode is None:
            await stop()


async def test_redis_going_away_loses_no_update_and_sending_resumes(
        pg: PgSchema, caplog: pytest.LogCaptureFixture) -> None:
    from bot.app.runtime import build_runtime
    from bot.channels.sender import Outcome
    from bot.channels.telegram import TelegramChannel
    from bot.scale.limiter import SharedTokenBucket

    people, rounds = 20, 10
    caplog.set_level(logging.INFO, logger="bot.scale")
    async with private_redis() as redis, FakeTelegramServer(TOKEN) as tg:
        db = pg.database()
        await add_people(db, people)
        settings = make_settings(db.url, redis_url=redis["url"], telegram_bot_token=TOKEN,
                                 telegram_api_url=tg.base_url, telegram_rate=200.0)
        runtime = await build_runtime(settings, db=db, content=shipped_content(), load_reference=False)
        register_tally(runtime)
        assert runtime.redis is not None
        runtime.redis.retry_after = 0.3
        bot = telegram_api.make_bot(TOKEN, tg.base_url)
        channel = TelegramChannel(runtime, bot=bot, per_chat_interval=0.0)
        assert isinstance(channel.sender._limiter, SharedTokenBucket)
        channel.start_sending()
        sends: list[asyncio.Future[Outcome]] = []
        pauser = Redis.from_url(redis["url"])
        try:
            for k in range(1, rounds + 1):
                if k == 4:
                    await redis["stop"]()  # Redis dies in the middle of the traffic
                if k == 7:
                    await redis["start"]()  # and comes back empty (no persistence)
                    await asyncio.sleep(0.4)
                if k == 9:
                    pauser = Redis.from_url(redis["url"])
                    await pauser.execute_command("CLIENT", "PAUSE", 1500, "ALL")  # hangs instead of refusing

                async def turn(n: int, k: int = k) -> None:
                    incoming = Incoming("telegram", str(7000 + n), f"r{n}-{k}", text=f"m{k}")
                    replies = await runtime.engine.handle(incoming)
                    again = await runtime.engine.handle(incoming)  # a redelivery, right behind it
                    assert len(replies) == 1 and again == []
                    sends.append(channel.send(7000 + n, replies[0]))

                await asyncio.gather(*(turn(n) for n in range(people)))
                await asyncio.sleep(0.15)
            await asyncio.sleep(1.6)  # the pause is over and the link retried
            await asyncio.gather(*(turn(n, rounds + 1) for n in range(people)))
            assert await channel.sender.wait_idle(20)
            outcomes = Counter(f.result() for f in sends)
            assert outcomes == {Outcome.SENT: people * (rounds + 1)}
            assert all(len(tg.sent_to(7000 + n)) == rounds + 1 for n in range(people))
            expected = [f"m{k}" for k in range(1, rounds + 2)]
            assert all(seen == expected for seen in (await records(db)).values())
            assert not runtime.redis.down
            client = Redis.from_url(redis["url"])
            assert await client.exists(runtime.redis.key("rate", "telegram"))  # the shared limiter is used again
            await client.aclose()
        finally:
            await pauser.aclose()
            await channel.stop()
            await telegram_api.close(bot)
            await runtime.close()
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("bot.scale")]
    assert sum("redis unreachable" in m for m in messages) == 2, messages  # once per outage, not per update
    assert sum("redis is back" in m for m in messages) == 2, messages


async def test_sqlite_file_takes_50_people_at_once_without_database_is_locked(tmp_path: Path) -> None:
    """WAL + BEGIN IMMEDIATE + busy timeout: the engine's writers queue, and a second handle (the CLI) waits its turn."""
    from bot.app.runtime import build_runtime

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    db = Database(url)
    await db.create_all()
    runtime = await build_runtime(make_settings(url), db=db, content=shipped_content(), load_reference=False)
    other = Database(url)  # a second process-like writer on the same file, with its own connections

    async def person(n: int) -> str:
        last = ""
        for step, text in enumerate(["/start", "đồng ý", f"Người {n}", "2", "3", "tổ 1", "menu"]):
            replies = await runtime.engine.handle(Incoming("web", f"p{n}", f"p{n}-{step}", text=text))
            last = replies[-1].screen
        return last

    async def cli_writes() -> None:
        for n in range(50):
            async with other.transaction() as session:
                await session.execute(insert(ProcessedUpdate).values(channel="cli", update_id=str(n)))

    try:
        results = await asyncio.gather(*(person(n) for n in range(PEOPLE)), cli_writes())
    finally:
        await other.dispose()
    assert results[:PEOPLE] == ["menu"] * PEOPLE
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == PEOPLE * 7 + 50
    await runtime.close()


@pytest.fixture
async def own_database() -> AsyncIterator[str]:
    """A database of its own (`bot run` takes a URL, and a URL cannot name a schema)."""
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = PG_URL.replace("+asyncpg", "")
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_bot_run_with_two_workers_shares_the_port_and_stops_cleanly(own_database: str, prefix: str) -> None:
    import os
    import signal

    import psutil
    from aiohttp import ClientSession

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": own_database, "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix,
           "WEB_PORT": str(port), "CERT_SIGNING_KEY": "test-signing-key-0123456789abcdef"}
    for name in ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN", "PUBLIC_BASE_URL"):
        env.pop(name, None)
    bot = await asyncio.create_subprocess_exec(
        str(ROOT / ".venv" / "bin" / "bot"), "run", "--workers", "2", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        assert bot.stdout is not None
        while b"Bot is running with 2 web workers" not in (line := await asyncio.wait_for(bot.stdout.readline(), 60)):
            assert line, "bot run stopped during start-up"
        workers = psutil.Process(bot.pid).children()
        listening = [w.pid for w in workers if any(c.laddr.port == port and c.status == "LISTEN"
                                                   for c in w.net_connections("tcp"))]
        assert len(listening) == 2, listening  # both workers on the same port (SO_REUSEPORT)
        async with ClientSession() as http:
            for n in range(6):
                async with http.post(f"http://127.0.0.1:{port}/api/messages",
                                     json={"user_id": "visitor-1", "text": "/start" if n == 0 else "menu"},
                                     headers={"Connection": "close"}) as response:
                    assert response.status == 200
                    assert (await response.json())["replies"]
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), 30) == 0
        assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                       for pid in listening)
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()


def test_several_processes_need_postgresql_and_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CERT_SIGNING_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    for command in (["run", "--workers", "2"], ["run", "--web-only"], ["worker"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "PostgreSQL" in result.output or "postgresql" in result.output
        assert "REDIS_URL" in result.output


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    mode, raw = sys.argv[1], json.loads(sys.argv[2])
    asyncio.run({"turns": child_turns, "outbox": child_outbox}[mode](raw))
