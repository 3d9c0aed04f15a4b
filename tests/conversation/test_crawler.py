"""Every button works: the conversation crawler through the web API, Telegram and Zalo, in Vietnamese and English.

A resident, a mentor and a staff member each walk every option offered on
every screen they reach (`tests/conversation/crawler.py`); screens no walk reaches are
entered from the state their screen would have written. On the web chat,
mentor and staff screens are refused (a web identity holds no right), which is
the web's own behaviour for them. The test prints how many screens and
transitions it covered.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app.runtime import Runtime, build_runtime
from bot.channels import telegram as telegram_channel
from bot.channels import telegram_api
from bot.channels import zalo as zalo_channel
from bot.channels.render import join_turn, utf16_len
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.core.context import Ctx
from bot.core.limits import InboundGuard, Limit
from bot.core.messages import Incoming, Reply
from bot.db.models import User
from bot.db.network import HelpRequest, Mentor
from bot.db.session import Database
from bot.handlers import ROUTERS, build_flow
from bot.network import households
from bot.network import mentors as net
from bot.people import codes
from bot.people.audit import Actor
from bot.people.roles import grant_role
from bot.quiz import attempts
from bot.web import api as web_channel
from bot.web.app import create_app
from tests.conftest import make_settings, shipped_content
from tests.conversation.crawler import Report, Seen, Snapshot, crawl
from tests.fakes import FakeTelegramServer, FakeZaloServer

TOKEN = "123456789:CRAWL-fake-telegram-token"
TEST = Actor("test", "test")


class Recorder:
    """Keeps the replies the engine gave for each update (to know how many messages will arrive) and
    every screen a turn entered (some only pass through, like "Học tiếp" on its way to the lesson)."""

    def __init__(self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        self.replies: list[list[Reply]] = []
        self.entered: set[str] = set()
        original = runtime.engine.handle
        enter = Ctx._enter

        async def entering(ctx: Ctx, name: str, data: dict[str, Any]) -> None:
            self.entered.add(name)
            await enter(ctx, name, data)

        monkeypatch.setattr(Ctx, "_enter", entering)

        async def handle(incoming: Incoming) -> list[Reply]:
            try:
                replies = await original(incoming)
            except Exception as exc:
                self.replies.append([Reply(f"the engine raised {exc!r}")])
                raise
            self.replies.append(replies)
            return replies

        runtime.engine.handle = handle  # type: ignore[method-assign]


class WebAdapter:
    name, channel = "web", "web"

    def __init__(self, client: TestClient) -> None:
        self.client = client

    async def _post(self, user: str, body: dict[str, Any]) -> tuple[list[Seen], Any]:
        response = await self.client.post("/api/messages", json={"user_id": user, **body})
        payload = await response.json()
        if response.status != 200:
            return [Seen(f"HTTP {response.status}: {payload}", [])], None
        return [Seen(r["text"], [(o["id"], o["label"]) for o in r["options"]]) for r in payload["replies"]], None

    async def tap(self, user: str, option_id: str, label: str, snapshot: Snapshot) -> tuple[list[Seen], Any]:
        return await self._post(user, {"option": option_id, "message_id": uuid.uuid4().hex})

    async def type(self, user: str, text: str) -> tuple[list[Seen], Any]:
        return await self._post(user, {"text": text})


class TelegramAdapter:
    name, channel = "telegram", "telegram"

    def __init__(self, tg: FakeTelegramServer, recorder: Recorder) -> None:
        self.tg, self.recorder = tg, recorder

    async def _turn(self, user: str, update: dict[str, Any]) -> tuple[list[Seen], Any]:
        before, turns = len(self.tg.sent_to(int(user))), len(self.recorder.replies)
        self.tg.push_update(update)
        await self.tg.wait_for(lambda: len(self.recorder.replies) > turns, timeout=10)
        if self.recorder.replies[turns][0].text.startswith("the engine raised"):
            return [Seen(self.recorder.replies[turns][0].text, [])], None
        joined = join_turn(self.recorder.replies[turns], telegram_channel.TEXT_LIMIT, utf16_len)
        expected = sum(len(telegram_channel.render(r)) for r in joined)
        await self.tg.wait_for(lambda: len(self.tg.sent_to(int(user))) >= before + expected, timeout=10)
        calls = self.tg.sent_to(int(user))[before:before + expected]
        seen = [Seen(c.text or "", list(zip(c.button_data(), c.button_texts()))) for c in calls]
        for call in calls:
            for data in call.button_data():
                if len(data.encode()) > telegram_channel.CALLBACK_LIMIT:
                    seen.append(Seen(f"callback data over 64 bytes: {data!r}", []))
        handle = next((c.result["message_id"] for c in reversed(calls) if c.reply_markup), None)
        return seen, handle

    async def tap(self, user: str, option_id: str, label: str, snapshot: Snapshot) -> tuple[list[Seen], Any]:
        if snapshot.handle is None and option_id.startswith(telegram_channel.LABEL_PREFIX):
            return await self.type(user, label)
        return await self._turn(user, self.tg.make_callback_update(int(user), option_id, snapshot.handle))

    async def type(self, user: str, text: str) -> tuple[list[Seen], Any]:
        return await self._turn(user, self.tg.make_message_update(int(user), text))


class ZaloAdapter:
    name, channel = "zalo", "zalo"

    def __init__(self, zalo: FakeZaloServer, recorder: Recorder, runtime: Runtime) -> None:
        self.zalo, self.recorder, self.runtime = zalo, recorder, runtime

    async def _turn(self, user: str, text: str) -> tuple[list[Seen], Any]:
        before, turns = len(self.zalo.texts_to(user)), len(self.recorder.replies)
        self.zalo.push_update(self.zalo.make_text_update(user, text))
        await self.zalo.wait_for(lambda: len(self.recorder.replies) > turns, timeout=10)
        replies = self.recorder.replies[turns]
        if replies[0].text.startswith("the engine raised"):
            return [Seen(replies[0].text, [])], None
        joined = join_turn(replies, zalo_channel.TEXT_LIMIT, numbered_options=True)
        expected = sum(len(zalo_channel.render(r, self.runtime.settings)) for r in joined)
        await self.zalo.wait_for(lambda: len(self.zalo.sent_to(user)) >= before + expected, timeout=10)
        texts = self.zalo.texts_to(user)[before:]
        last = replies[-1].options if replies else []
        return [Seen(t, [(o.id, o.label) for o in last] if n == len(texts) - 1 else [])
                for n, t in enumerate(texts)], None

    async def tap(self, user: str, option_id: str, label: str, snapshot: Snapshot) -> tuple[list[Seen], Any]:
        number = next(n for n, (i, _) in enumerate(snapshot.options, 1) if i == option_id)
        return await self._turn(user, str(number))

    async def type(self, user: str, text: str) -> tuple[list[Seen], Any]:
        return await self._turn(user, text)


async def setup_world(runtime: Runtime, channel: str) -> dict[str, Any]:
    """A resident with a mentor, the mentor (with an offline mentee and an open question), a staff admin."""
    engine = runtime.engine
    people = {"resident": "700101", "mentor": "700102", "staff": "700103", "applicant": "700104"}
    for role, external in people.items():
        for step, text in enumerate(["/start", "đồng ý", f"Người {role}", "3", "1", "tổ 5", "để sau"]):
            await engine.handle(Incoming(channel, external, f"setup-{role}-{step}", text=text))
    trusted = "telegram" if channel == "web" else channel
    if channel == "web":  # rights live on Telegram: the web resident's mentor and the staff are Telegram people
        for role in ("mentor", "staff", "applicant"):
            for step, text in enumerate(["/start", "đồng ý", f"Người {role}", "3", "1", "tổ 5", "để sau"]):
                await engine.handle(Incoming(trusted, people[role], f"setup-t-{role}-{step}", text=text))
    async with runtime.db.transaction() as session:
        ids = {role: await session.scalar(select(User.id).where(
            User.channel == (channel if role == "resident" else trusted), User.external_id == external))
            for role, external in people.items()}
        resident = await session.get(User, ids["resident"])
        assert resident is not None
        mentor = Mentor(user_id=ids["mentor"], full_name="Nguyễn Minh Tuấn", organisation="doan-thanh-nien",
                        tdp_id=resident.tdp_id, status="approved")
        session.add_all([mentor, Mentor(user_id=ids["applicant"], full_name="Lê Thị Mai", organisation="hoi-phu-nu",
                                        tdp_id=resident.tdp_id)])
        await session.flush()
        await net.pair(session, mentor, resident, "invite")
        offline = await net.register_offline(session, mentor, "Trần Thị Tư", "60+", resident.tdp_id, None)
        request = HelpRequest(mentee_id=resident.id, mentor_id=mentor.id, tdp_id=resident.tdp_id,
                              question="Tôi không đăng nhập được", context={"lesson": "vneid-2", "step": 1})
        session.add(request)
        await grant_role(session, TEST, trusted, people["staff"], "admin", None)
        applicant = await session.get(User, ids["applicant"])
        assert applicant is not None
        home = await households.create(session, applicant, "Nhà bà Mai")
        quiz = await attempts.start(session, runtime.services.content, resident.id, "antoan")
        done = await attempts.start(session, runtime.services.content, resident.id, "vneid")
        for _ in done.question_ids:
            attempts.answer(runtime.services.content, done, 0)
        attempts.finish(done, runtime.settings.quiz_pass_mark)
        await session.flush()
        invite = await net.new_invite(session, mentor)
        found = await codes.look_up(session, invite)
        return {"people": people, "ids": ids, "mentor": mentor.id, "offline": offline.id, "request": request.id,
                "household": home.id, "quiz": quiz.id, "done": done.id, "invite_digest": found.digest if found else ""}


def seeds(world: dict[str, Any], who: str) -> dict[str, dict[str, Any]]:
    """The state each screen writes for itself, for screens no walk reached."""
    mentee = world["ids"]["resident"] if who == "mentor" else world["offline"]
    return {
        **{name: {} for name in build_flow().screens},
        "lesson.step": {"lesson": "vneid-1", "step": 1}, "lesson.practice": {"lesson": "vneid-1"},
        "lesson.check": {"lesson": "vneid-1"}, "lesson.done": {"lesson": "vneid-1"},
        "topic.lessons": {"topic": "vneid"}, "quiz.intro": {"topic": "antoan"},
        "quiz.question": {"attempt": world["quiz"]}, "quiz.result": {"attempt": world["done"]},
        "quiz.review": {"attempt": world["done"], "index": 0}, "certificate.name": {"topic": "vneid"},
        "mentee.join": {"mentor": world["mentor"], "code": world["invite_digest"]},
        "household.join": {"household": world["household"], "code": "-"},
        "mentor.mentee": {"mentee": mentee}, "mentor.quiz": {"mentee": mentee},
        "mentor.answer": {"request": world["request"]},
        "nudges.part": {"day": 3}, "review.question": {"items": ["vneid-q01", "vneid-q03"], "index": 0, "right": 0},
        "review.done": {"right": 1, "total": 2},
    }


TYPED: dict[str, list[Any]] = {
    "onboarding.name": ["Bà Lan"], "onboarding.tdp": ["tổ 5"], "faq.ask": ["quên mật khẩu vneid"],
    "help_request.new": ["Tôi không tìm thấy nút đăng nhập"], "code.enter": ["ABCD-EFGH"],
    "mentor.apply": ["Trần Văn Bình"], "mentor.offline": ["Phạm Thị Hoa"], "mentor.session": ["1", "30"],
    "broadcast.compose": ["Họp tổ dân phố lúc 8 giờ sáng chủ nhật.", "tổ 5", "20/12 8:00"],
    "staff.roles": ["telegram:12345 staff"], "certificate.name": ["Bà Lan"],
    "mentor.answer": ["Bác mở ứng dụng rồi bấm Đăng nhập nhé."], "household": ["Nhà bà Lan"],
    "nudges.day": ["thứ 5"],
}


@contextlib.asynccontextmanager
async def world(tmp_path: Path, adapter_name: str, lang: str,
                monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Runtime, Any, dict[str, Any], Recorder]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / f'{adapter_name}-{lang}.db'}")
    await db.create_all()
    overrides: dict[str, Any] = {"default_locale": lang}
    async with contextlib.AsyncExitStack() as stack:
        if adapter_name == "telegram":
            tg = await stack.enter_async_context(FakeTelegramServer(TOKEN))
            overrides.update(telegram_bot_token=TOKEN, telegram_api_url=tg.base_url)
        if adapter_name == "zalo":
            zalo = await stack.enter_async_context(FakeZaloServer())
            overrides.update(zalo_bot_token=zalo.token, zalo_api_url=zalo.base_url)
        runtime = await build_runtime(make_settings(db.url, **overrides), db=db, content=shipped_content())
        runtime.inbound = InboundGuard(Limit("inbound", 10**9, 10.0))
        runtime.settings.web_address_limit = 10**9  # the crawler taps faster than any person, all from one address
        runtime.services.files_dir = tmp_path / f"files-{adapter_name}-{lang}"
        runtime.services.files_dir.mkdir()
        stack.push_async_callback(runtime.close)
        recorder = Recorder(runtime, monkeypatch)
        app = create_app(runtime)
        if adapter_name == "web":
            client = await stack.enter_async_context(TestClient(TestServer(app)))
            adapter: Any = WebAdapter(client)
        elif adapter_name == "telegram":
            bot = telegram_api.make_bot(TOKEN, tg.base_url)
            channel: Any = TelegramChannel(runtime, bot=bot, per_chat_interval=0.0, typing_delay=30.0,
                                           polling_timeout=5)
            stack.push_async_callback(telegram_api.close, bot)
            await channel.start(app)
            stack.push_async_callback(channel.stop)
            adapter = TelegramAdapter(tg, recorder)
        else:
            channel = ZaloChannel(runtime, per_chat_interval=0.0, typing_delay=30.0, polling_timeout=5)
            await channel.start(app)
            stack.push_async_callback(channel.stop)
            adapter = ZaloAdapter(zalo, recorder, runtime)
        yield runtime, adapter, await setup_world(runtime, adapter.channel), recorder


LIMITS = {"web": 10_000, "telegram": 4096, "zalo": 2000}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("adapter_name", ["web", "telegram", "zalo"])
async def test_every_option_on_every_screen_works(tmp_path: Path, adapter_name: str, lang: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    async with world(tmp_path, adapter_name, lang, monkeypatch) as (runtime, adapter, setup, recorder):
        total = Report()
        for who in ("resident", "mentor", "staff"):
            if adapter_name == "web" and who != "resident":
                continue
            report = await crawl(runtime, adapter, setup["people"][who], lang, typed=TYPED,
                                 seeds=seeds(setup, who), limit_chars=LIMITS[adapter_name],
                                 per_screen=14 if adapter_name == "web" else 8)
            total.screens |= report.screens
            total.transitions += report.transitions
            total.problems += report.problems
        total.screens |= recorder.entered
    screens = runtime.engine.flow.screens
    missing = set(screens) - total.screens - {"deleted"}
    if adapter_name == "web":  # refused to every web identity: that refusal is the web's behaviour for them
        missing -= {name for name, screen in screens.items() if screen.requires is not None}
    print(f"\ncrawler {adapter_name}/{lang}: {len(total.screens)} screens, {total.transitions} transitions, "
          f"{len(total.problems)} problems")
    assert not total.problems, "\n".join(dict.fromkeys(total.problems))
    assert not missing, missing


async def test_the_crawler_fails_on_an_option_the_adapter_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the web API's old option check (no "+"), the age band "60+" is refused: the crawler says so."""
    import re

    monkeypatch.setattr(web_channel, "_OPTION_ID", re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$"))
    async with world(tmp_path, "web", "vi", monkeypatch) as (runtime, adapter, setup, _):
        report = await crawl(runtime, adapter, setup["people"]["resident"], "vi", typed=TYPED, seeds={},
                             limit_chars=LIMITS["web"])
    assert any("Từ 60 tuổi trở lên: refused or failed: HTTP 400" in problem for problem in report.problems), \
        report.problems


async def test_the_crawler_fails_on_a_screen_without_a_way_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core.flow import Flow, Router

    trapped = Router()

    @trapped.screen("test.trap")
    async def trap(ctx: Ctx) -> None:
        ctx.say("Chọn một:", [ctx.opt("x", "path.yes")])

    trapped.menu_entry(0, "trap", "path.yes", "test.trap")
    async with world(tmp_path, "web", "vi", monkeypatch) as (runtime, adapter, setup, _):
        runtime.engine.flow = Flow.of(*(module.router for module in ROUTERS), trapped)
        report = await crawl(runtime, adapter, setup["people"]["resident"], "vi", typed=TYPED, seeds={},
                             limit_chars=LIMITS["web"])
    assert any("screen test.trap offers no way back" in problem for problem in report.problems), report.problems
