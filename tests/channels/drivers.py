"""The bot running against the fake Telegram or Zalo server, and a resident acting on it.

Telegram and Zalo are both "push" channels with one life (polling or webhook,
a paced sender, redelivery detection), so one helper starts the bot on either:
`Telegram(tg).running(tmp_path, webhook=...)` or `Zalo(zalo).running(...)`
yields a bench — the runtime, the channel, the fake — through which a test
sends updates and reads what the fake received.

Only helpers live here; the fixtures are in `conftest.py`, the tests in the
`test_*` modules, which never import each other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiohttp.test_utils import TestServer, unused_port
from sqlalchemy import func, select

from bot.app.runtime import Runtime, build_runtime
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.db.models import User
from bot.db.session import Database
from bot.web.app import create_app
from tests.conftest import make_settings, shipped_content
from tests.fakes import Call, FakeBotServer, FakeTelegramServer, FakeZaloServer, QuickSession

TELEGRAM_TOKEN = "123456789:TEST-fake-telegram-token"
TELEGRAM_SECRET = "tg-webhook-secret_123"
TELEGRAM_USER = 700001
ZALO_SECRET = "zalo-webhook-secret-123"
ZALO_USER = "6ede9afa66b88fe6d6a9"

MODES = [pytest.param(False, id="polling"), pytest.param(True, id="webhook")]


async def eventually(predicate: Callable[[], Any], timeout: float = 5.0) -> None:
    """Wait for a condition no server call announces (the fake's wait_for wakes on finished calls only)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


# --------------------------------------------------------------------------------------
# The running bot
# --------------------------------------------------------------------------------------


@dataclass
class Bench:
    """The bot under test, the fake platform it talks to, and a way to act as a resident."""

    runtime: Runtime
    channel: Any
    fake: FakeBotServer
    webhook: bool
    platform: ClassVar[str]
    default_user: ClassVar[Any]

    async def send_update(self, update: dict[str, Any]) -> None:
        """Hand `update` to the bot the way the mode does: a webhook POST, or the queue polling reads."""
        if self.webhook:
            status, _ = await self.fake.deliver(update)
            assert status == 200
        else:
            self.fake.push_update(update)

    async def rows(self, model: Any) -> int:
        async with self.runtime.db.sessions() as session:
            return await session.scalar(select(func.count()).select_from(model)) or 0

    async def user(self, user: Any = None) -> User | None:
        """The database row of the resident `user` (the default resident when None)."""
        user = self.default_user if user is None else user
        async with self.runtime.db.sessions() as session:
            return await session.scalar(
                select(User).where(User.channel == self.platform, User.external_id == str(user))
            )


@dataclass
class TelegramBench(Bench):
    fake: FakeTelegramServer
    platform: ClassVar[str] = "telegram"
    default_user: ClassVar[int] = TELEGRAM_USER

    @property
    def tg(self) -> FakeTelegramServer:
        return self.fake

    async def turn(self, update: dict[str, Any], user: int = TELEGRAM_USER) -> list[Call]:
        """Send one update and return the messages of the answer (the last one carries the buttons)."""
        before = len(self.tg.sent_to(user))
        await self.send_update(update)
        sent = await self.tg.wait_for(
            lambda: (calls := self.tg.sent_to(user)[before:]) and calls[-1].reply_markup and calls
        )
        return list(sent)

    async def type(self, text: str, user: int = TELEGRAM_USER) -> list[Call]:
        return await self.turn(self.tg.make_message_update(user, text), user)

    async def tap(self, data: str, user: int = TELEGRAM_USER) -> list[Call]:
        return await self.turn(self.tg.make_callback_update(user, data), user)


@dataclass
class ZaloBench(Bench):
    fake: FakeZaloServer
    platform: ClassVar[str] = "zalo"
    default_user: ClassVar[str] = ZALO_USER

    @property
    def zalo(self) -> FakeZaloServer:
        return self.fake

    async def type(self, text: str, user: str = ZALO_USER) -> list[str]:
        """Type `text`; the texts of the answer (the last one ends with the numbered choices)."""
        before = len(self.zalo.texts_to(user))
        await self.send_update(self.zalo.make_text_update(user, text))
        return await self.answer(user, before)

    async def answer(self, user: str, before: int) -> list[str]:
        await self.zalo.wait_for(lambda: any("\n1. " in t for t in self.zalo.texts_to(user)[before:]))
        return self.zalo.texts_to(user)[before:]


# --------------------------------------------------------------------------------------
# Starting it
# --------------------------------------------------------------------------------------


Closer = Callable[[], Awaitable[None]]


class Platform:
    """What it takes to run the bot against one fake platform."""

    name: ClassVar[str]
    secret: ClassVar[str]
    bench: ClassVar[type[Bench]]

    def __init__(self, fake: FakeBotServer) -> None:
        self.fake = fake

    def settings(self) -> dict[str, Any]:
        """The settings that switch the channel on and point it at the fake."""
        raise NotImplementedError

    def channel(self, runtime: Runtime, **options: Any) -> tuple[Any, Closer]:
        """The channel adapter, and what closes what it holds once it has stopped."""
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def running(self, tmp_path: Path, *, webhook: bool, **options: Any) -> AsyncIterator[Any]:
        """The bot on a fresh (or the same, for a restart) SQLite database in `tmp_path`."""
        port = unused_port()
        overrides = self.settings()
        if webhook:
            overrides.update({"public_base_url": f"http://127.0.0.1:{port}", f"{self.name}_webhook_secret": self.secret})
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
        await db.create_all()
        runtime = await build_runtime(make_settings(db.url, **overrides), db=db, content=shipped_content())
        runtime.services.files_dir = tmp_path / "files"
        runtime.services.files_dir.mkdir(exist_ok=True)
        app = create_app(runtime)
        options = {"per_chat_interval": 0.05, "typing_delay": 30.0, "polling_timeout": 5, **options}
        channel, close = self.channel(runtime, **options)
        await channel.start(app)
        server = TestServer(app, host="127.0.0.1", port=port)
        await server.start_server()
        try:
            yield self.bench(runtime, channel, self.fake, webhook)
        finally:
            await channel.stop()
            await server.close()
            await close()
            await runtime.close()
            assert self.fake.rejected == [], [(c.method, c.error) for c in self.fake.rejected]


class Telegram(Platform):
    name = "telegram"
    secret = TELEGRAM_SECRET
    bench = TelegramBench

    def settings(self) -> dict[str, Any]:
        return {"telegram_bot_token": self.fake.token, "telegram_api_url": self.fake.base_url}

    def channel(self, runtime: Runtime, **options: Any) -> tuple[Any, Closer]:
        bot = Bot(self.fake.token, session=QuickSession(api=TelegramAPIServer.from_base(self.fake.base_url)))
        return TelegramChannel(runtime, bot=bot, **options), bot.session.close


class Zalo(Platform):
    name = "zalo"
    secret = ZALO_SECRET
    bench = ZaloBench

    def settings(self) -> dict[str, Any]:
        return {"zalo_bot_token": self.fake.token, "zalo_api_url": self.fake.base_url}

    def channel(self, runtime: Runtime, **options: Any) -> tuple[Any, Closer]:
        async def nothing() -> None:
            pass

        return ZaloChannel(runtime, **options), nothing


def running_telegram(tmp_path: Path, tg: FakeTelegramServer, *, webhook: bool,
                     **options: Any) -> contextlib.AbstractAsyncContextManager[TelegramBench]:
    return Telegram(tg).running(tmp_path, webhook=webhook, **options)


def running_zalo(tmp_path: Path, zalo: FakeZaloServer, *, webhook: bool,
                 **options: Any) -> contextlib.AbstractAsyncContextManager[ZaloBench]:
    return Zalo(zalo).running(tmp_path, webhook=webhook, **options)
