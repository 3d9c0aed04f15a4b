"""Broadcasts through the fake Telegram server: everyone reachable gets exactly one message,
pacing holds, 429s are waited out, 403s mark people unreachable, and a worker killed halfway
and restarted neither loses nor repeats anyone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.app.delivery import deliver_through
from bot.app.runtime import build_runtime
from bot.broadcasts import service
from bot.broadcasts.audience import Audience
from bot.channels import Channels, telegram_api
from bot.channels.telegram import TelegramChannel
from bot.db.models import User
from bot.db.session import Database
from bot.db.staff import OutboxMessage
from bot.outbox.worker import OutboxWorker
from bot.people.audit import Actor
from tests.conftest import make_settings, shipped_content
from tests.fakes import FakeTelegramServer

TOKEN = "123456789:TEST-fake-telegram-token"
RATE = 40.0


@contextlib.asynccontextmanager
async def sending(tmp_path: Path, people: int) -> AsyncIterator[tuple]:
    async with FakeTelegramServer(TOKEN) as tg:
        tg.violation_grace = 0.05  # a send already on the wire when the 429 was answered is not a violation
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
        await db.create_all()
        settings = make_settings(db.url, telegram_bot_token=TOKEN, telegram_api_url=tg.base_url, telegram_rate=RATE)
        runtime = await build_runtime(settings, db=db, content=shipped_content())
        async with db.transaction() as session:
            await session.execute(insert(User), [
                {"channel": "telegram", "external_id": str(5000 + n), "state": "menu", "state_data": {},
                 "locale": "vi", "role": "learner", "notifications_off": False} for n in range(people)])
        bot = telegram_api.make_bot(TOKEN, tg.base_url)
        channel = TelegramChannel(runtime, bot=bot)
        channel.start_sending()
        channels = Channels({"telegram": channel})
        try:
            yield runtime, channels, tg
        finally:
            await channels.stop()
            await telegram_api.close(bot)
            await runtime.close()
        assert tg.rejected == [] and tg.violations == []


async def queue(runtime, text: str = "Lớp học VNeID sáng thứ Bảy.", at: datetime | None = None) -> int:
    async with runtime.db.transaction() as session:
        broadcast = await service.create(session, actor=Actor("test", "test"), text=text, audience=Audience("all"), urgent=True, at=at)
        return broadcast.id


async def counts(runtime) -> dict[str, int]:
    async with runtime.db.sessions() as session:
        return dict(list(await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))))


async def drain(worker: OutboxWorker, runtime) -> None:
    async with asyncio.timeout(60):
        while (await counts(runtime)).keys() & {"queued", "sending"}:
            await worker.run_once()


async def test_broadcast_with_429s_and_403s_reaches_everyone_once(tmp_path: Path) -> None:
    async with sending(tmp_path, 120) as (runtime, channels, tg):
        tg.random_failures(rate_429=0.05, rate_403=0.02, retry_after=1, seed=11)
        await queue(runtime)
        worker = OutboxWorker(runtime.db, deliver_through(channels))
        await drain(worker, runtime)
        final = await counts(runtime)
        blocked = {str(chat) for chat in tg.blocked_chats}
        assert final.get("sent", 0) + final.get("unreachable", 0) == 120
        assert final.get("unreachable", 0) == len(blocked) > 0
        for n in range(120):
            chat = 5000 + n
            expected = 0 if str(chat) in blocked else 1
            assert len(tg.sent_to(chat)) == expected, chat
        assert tg.max_rate(window=1.0) <= RATE + 1
        async with runtime.db.sessions() as session:
            unreachable = set(await session.scalars(select(User.external_id).where(User.unreachable_at.is_not(None))))
        assert unreachable == blocked
        assert any("tắt thông báo" in text for text in tg.texts_to(5001) + tg.texts_to(5002))


async def test_worker_killed_midway_and_restarted_sends_exactly_once(tmp_path: Path) -> None:
    async with sending(tmp_path, 150) as (runtime, channels, tg):
        await queue(runtime)
        first = OutboxWorker(runtime.db, deliver_through(channels), batch=40)
        task = asyncio.create_task(first.run())
        async with asyncio.timeout(30):
            while len(tg.calls_of("sendMessage")) < 50:
                await asyncio.sleep(0.02)
        task.cancel()  # the worker dies in the middle of a batch
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.5)  # the message in flight finishes and is recorded
        assert 0 < (await counts(runtime)).get("sent", 0) < 150
        second = OutboxWorker(runtime.db, deliver_through(channels), name="restarted")
        await drain(second, runtime)
        assert (await counts(runtime)) == {"sent": 150}
        assert all(len(tg.sent_to(5000 + n)) == 1 for n in range(150))


async def test_scheduled_broadcast_waits_for_its_time(tmp_path: Path) -> None:
    async with sending(tmp_path, 5) as (runtime, channels, tg):
        await queue(runtime, at=datetime.now(UTC) + timedelta(hours=2))
        worker = OutboxWorker(runtime.db, deliver_through(channels))
        assert await worker.run_once() == 0
        assert tg.calls_of("sendMessage") == [] and (await counts(runtime)) == {"queued": 5}


@pytest.mark.parametrize("people", [3])
async def test_web_visitors_get_their_alerts_on_the_next_turn_not_from_the_worker(tmp_path: Path, people: int) -> None:
    from bot.core.messages import Incoming
    from bot.outbox.queue import enqueue

    async with sending(tmp_path, people) as (runtime, channels, _tg):
        async with runtime.db.transaction() as session:
            visitor = User(channel="web", external_id="v1", state="menu", state_data={})
            session.add(visitor)
            await session.flush()
            await enqueue(session, visitor.id, "Chào bạn, đây là lời nhắn.")
        worker = OutboxWorker(runtime.db, deliver_through(channels))
        assert await worker.run_once() == 0
        replies = await runtime.engine.handle(Incoming("web", "v1", None, text="menu"))
        assert replies[0].screen == "inbox" and "lời nhắn" in replies[0].text
        assert (await counts(runtime)) == {"sent": 1}
