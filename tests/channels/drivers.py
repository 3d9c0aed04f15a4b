"""The bot running against the fake Telegram or Zalo server, and a resident acting on it.

Telegram and Zalo are both "push" channels with one contract (polling or
webhook, a paced sender, redelivery detection, a limit per message), so one
helper starts the bot on either — `Telegram(tg).running(tmp_path, webhook=...)`
or `Zalo(zalo).running(...)` — and yields a bench through which a test acts
as a resident, the same way on both platforms:

- `say(text)` types a message, `choose(label)` picks an offered option (a
  button tap on Telegram, typing the option's number on Zalo);
- each returns the `Answer`: the messages of the turn and the options the
  last one offers (the inline buttons on Telegram, the numbered list a Zalo
  message ends with);
- `fake`, `limit`, `user` and `other` are what a test reads what was sent with.

The Telegram bench also taps raw callback data and returns the recorded calls
(`type`, `tap`), for the tests of Telegram's own buttons. Only helpers live
here: the fixtures are in `conftest.py`, the tests in the `test_*` modules,
which never import each other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiohttp.test_utils import TestServer, unused_port
from sqlalchemy import func, select

from bot.app.runtime import Runtime, build_runtime
from bot.channels import telegram_api
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.db.models import User
from bot.db.session import Database
from bot.web.app import create_app
from tests.conftest import make_settings, shipped_content
from tests.fakes import Call, FakeBotServer, FakeTelegramServer, FakeZaloServer

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


def numbered_options(text: str) -> list[str]:
    """The choices a Zalo message ends with ("…\\n\\n1. Đồng ý\\n2. Để sau" → ["Đồng ý", "Để sau"]).

    The block after the last blank line must be "1. …", "2. …", … and nothing
    else; a message ending any other way offers no options.
    """
    labels = []
    for number, line in enumerate(text.rpartition("\n\n")[2].split("\n"), start=1):
        if not line.startswith(f"{number}. "):
            return []
        labels.append(line[len(f"{number}. "):])
    return labels


@dataclass
class Answer:
    """The messages of one turn, as the fake received them, and what the last one offers."""

    calls: list[Call]
    options: list[str]

    @property
    def texts(self) -> list[str]:
        """Texts (or captions) of the messages, in order."""
        return [c.text for c in self.calls if c.text is not None]


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
    user_id: ClassVar[Any]

    def options(self, call: Call) -> list[str]:
        """The options `call` offers the resident."""
        raise NotImplementedError

    async def send_update(self, update: dict[str, Any]) -> None:
        """Hand `update` to the bot the way the mode does: a webhook POST, or the queue polling reads."""
        if self.webhook:
            status, _ = await self.fake.deliver(update)
            assert status == 200
        else:
            self.fake.push_update(update)

    async def answer_to(self, update: dict[str, Any], user: Any = None) -> Answer:
        """Send one update; the answer is complete when a message offering options arrived last."""
        user = self.user_id if user is None else user
        before = len(self.fake.sent_to(user))
        await self.send_update(update)
        calls = await self.fake.wait_for(
            lambda: (calls := self.fake.sent_to(user)[before:]) and self.options(calls[-1]) and calls
        )
        return Answer(list(calls), self.options(calls[-1]))

    async def say(self, text: str, user: Any = None) -> Answer:
        """Type `text` as the resident `user` (the default resident when None)."""
        raise NotImplementedError

    async def choose(self, label: str, user: Any = None) -> Answer:
        """Pick the option `label` of the last message that offered options."""
        raise NotImplementedError

    def _last_offer(self, user: Any) -> Call:
        return next(c for c in reversed(self.fake.sent_to(user)) if self.options(c))

    async def rows(self, model: Any) -> int:
        async with self.runtime.db.sessions() as session:
            return await session.scalar(select(func.count()).select_from(model)) or 0

    async def user(self, user: Any = None) -> User | None:
        """The database row of the resident `user` (the default resident when None)."""
        user = self.user_id if user is None else user
        async with self.runtime.db.sessions() as session:
            return await session.scalar(
                select(User).where(User.channel == self.platform, User.external_id == str(user))
            )


@dataclass
class TelegramBench(Bench):
    fake: FakeTelegramServer
    platform: ClassVar[str] = "telegram"
    user_id: ClassVar[int] = TELEGRAM_USER

    @property
    def tg(self) -> FakeTelegramServer:
        return self.fake

    def options(self, call: Call) -> list[str]:
        return call.button_texts()

    async def say(self, text: str, user: Any = None) -> Answer:
        user = self.user_id if user is None else user
        return await self.answer_to(self.tg.make_message_update(user, text), user)

    async def choose(self, label: str, user: Any = None) -> Answer:
        """A tap on the button labelled `label`."""
        user = self.user_id if user is None else user
        offer = self._last_offer(user)
        data = offer.button_data()[offer.button_texts().index(label)]
        return await self.answer_to(self.tg.make_callback_update(user, data), user)

    async def type(self, text: str, user: int = TELEGRAM_USER) -> list[Call]:
        """Type `text`; the messages of the answer (the last one carries the buttons)."""
        return (await self.say(text, user)).calls

    async def tap(self, data: str, user: int = TELEGRAM_USER) -> list[Call]:
        """Tap the button carrying `data` on the last message; the messages of the answer."""
        return (await self.answer_to(self.tg.make_callback_update(user, data), user)).calls


@dataclass
class ZaloBench(Bench):
    fake: FakeZaloServer
    platform: ClassVar[str] = "zalo"
    user_id: ClassVar[str] = ZALO_USER

    @property
    def zalo(self) -> FakeZaloServer:
        return self.fake

    def options(self, call: Call) -> list[str]:
        return numbered_options(call.text or "")

    async def say(self, text: str, user: Any = None) -> Answer:
        user = self.user_id if user is None else user
        return await self.answer_to(self.zalo.make_text_update(user, text), user)

    async def choose(self, label: str, user: Any = None) -> Answer:
        """Typing the number `label` has in the last numbered list."""
        user = self.user_id if user is None else user
        number = self.options(self._last_offer(user)).index(label) + 1
        return await self.say(str(number), user)


# --------------------------------------------------------------------------------------
# Starting it
# --------------------------------------------------------------------------------------


Closer = Callable[[], Awaitable[None]]


class Platform:
    """What differs between the two platforms: ids, the message limit, settings, the shapes of updates."""

    name: ClassVar[str]
    limit: ClassVar[int]
    """The most characters one message may carry."""
    secret: ClassVar[str]
    user: ClassVar[Any]
    other: ClassVar[Any]
    """A second resident."""
    polling_redelivers_after_restart: ClassVar[bool]
    """Whether polling sees an update again only after a restart (an offset confirms what was read)."""
    bench: ClassVar[type[Bench]]

    def __init__(self, fake: FakeBotServer) -> None:
        self.fake = fake

    def __repr__(self) -> str:
        return self.name

    @property
    def secret_header(self) -> str:
        return self.fake.WEBHOOK_SECRET_HEADER

    def settings(self) -> dict[str, Any]:
        """The settings that switch the channel on and point it at the fake."""
        raise NotImplementedError

    def channel(self, runtime: Runtime, **options: Any) -> tuple[Any, Closer]:
        """The channel adapter, and what closes what it holds once it has stopped."""
        raise NotImplementedError

    def text_update(self, user: Any, text: str) -> dict[str, Any]:
        """A text message from `user` (built, not sent; send the same dict again for a redelivery)."""
        raise NotImplementedError

    def media_updates(self, user: Any) -> list[dict[str, Any]]:
        """Messages from `user` that carry no text (a sticker, and a photo or what the platform withholds)."""
        raise NotImplementedError

    def errors_as_http_status(self) -> None:
        """Let the fake report errors by HTTP status, where the platform has a second way."""

    @contextlib.asynccontextmanager
    async def running(self, tmp_path: Path, *, webhook: bool, **options: Any) -> AsyncIterator[Bench]:
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
    limit = 4096
    secret = TELEGRAM_SECRET
    user = TELEGRAM_USER
    other = TELEGRAM_USER + 1
    polling_redelivers_after_restart = True
    bench = TelegramBench
    fake: FakeTelegramServer

    def settings(self) -> dict[str, Any]:
        return {"telegram_bot_token": self.fake.token, "telegram_api_url": self.fake.base_url}

    def channel(self, runtime: Runtime, **options: Any) -> tuple[Any, Closer]:
        bot = telegram_api.make_bot(self.fake.token, self.fake.base_url)
        return TelegramChannel(runtime, bot=bot, **options), partial(telegram_api.close, bot)

    def text_update(self, user: Any, text: str) -> dict[str, Any]:
        return self.fake.make_message_update(user, text)

    def media_updates(self, user: Any) -> list[dict[str, Any]]:
        sticker, photo = self.fake.make_message_update(user, ""), self.fake.make_message_update(user, "")
        del sticker["message"]["text"], photo["message"]["text"]
        sticker["message"]["sticker"] = {"file_id": "CAACAgIAAxkBAAE", "file_unique_id": "AgADsticker",
                                         "type": "regular", "width": 512, "height": 512,
                                         "is_animated": False, "is_video": False}
        photo["message"]["photo"] = [{"file_id": "AgACAgIAAxkBAAE", "file_unique_id": "AgADphoto",
                                      "width": 800, "height": 600}]
        return [sticker, photo]


class Zalo(Platform):
    name = "zalo"
    limit = 2000
    secret = ZALO_SECRET
    user = ZALO_USER
    other = "u-2"
    polling_redelivers_after_restart = False  # getUpdates has no offset: the same update may come at any time
    bench = ZaloBench
    fake: FakeZaloServer

    def settings(self) -> dict[str, Any]:
        return {"zalo_bot_token": self.fake.token, "zalo_api_url": self.fake.base_url}

    def channel(self, runtime: Runtime, **options: Any) -> tuple[Any, Closer]:
        async def nothing() -> None:
            pass

        return ZaloChannel(runtime, **options), nothing

    def text_update(self, user: Any, text: str) -> dict[str, Any]:
        return self.fake.make_text_update(user, text)

    def media_updates(self, user: Any) -> list[dict[str, Any]]:
        return [self.fake.make_sticker_update(user), self.fake.make_unsupported_update(user)]

    def errors_as_http_status(self) -> None:
        self.fake.mirror_error_status = True  # by default an error is HTTP 200 with "ok": false


@contextlib.asynccontextmanager
async def running_telegram(tmp_path: Path, tg: FakeTelegramServer, *, webhook: bool,
                           **options: Any) -> AsyncIterator[TelegramBench]:
    async with Telegram(tg).running(tmp_path, webhook=webhook, **options) as bench:
        assert isinstance(bench, TelegramBench)
        yield bench


@contextlib.asynccontextmanager
async def running_zalo(tmp_path: Path, zalo: FakeZaloServer, *, webhook: bool,
                       **options: Any) -> AsyncIterator[ZaloBench]:
    async with Zalo(zalo).running(tmp_path, webhook=webhook, **options) as bench:
        assert isinstance(bench, ZaloBench)
        yield bench
