"""The contract Telegram and Zalo share, run on both: the real client against the local fake, polling and webhook.

Each scenario runs once per platform through its driver (`drivers.py`): the
resident types (`say`) or picks an option (`choose`: a button tap on Telegram,
the option's number on Zalo), and the test reads what the fake received and
what the database holds. What only one platform has — Telegram's callback
buttons, Zalo's numbered lists and public photo addresses — is tested in
`test_telegram.py` and `test_zalo.py`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot.app.runtime import build_runtime
from bot.channels import start_channels
from bot.channels.sender import Outcome
from bot.config import SettingsError
from bot.core.messages import Option, Reply
from bot.db.models import ProcessedUpdate, Tdp, User
from bot.db.session import Database
from bot.web.app import create_app
from tests.channels.drivers import MODES, Platform, eventually, numbered_options
from tests.conftest import make_settings, shipped_content


@pytest.mark.parametrize("webhook", MODES)
async def test_first_conversation_reaches_the_menu(tmp_path: Path, platform: Platform, webhook: bool) -> None:
    fake = platform.fake
    async with platform.running(tmp_path, webhook=webhook) as bot:
        assert (fake.webhook_url is not None) == webhook
        assert fake.webhook_secret == (platform.secret if webhook else None)

        welcome = await bot.say("/start")
        assert "Xin chào" in welcome.texts[0] and "Xóa dữ liệu của tôi" in welcome.texts[-1]
        assert welcome.options == ["Đồng ý", "Để sau", "Đọc thêm"]

        asked_name = await bot.choose("Đồng ý")
        assert "Cảm ơn" in asked_name.texts[0] and "gọi bạn là gì" in asked_name.texts[-1]
        assert asked_name.options == ["Bỏ qua"]

        asked_age = await bot.say("Bà Lan")
        assert "Bà Lan" in asked_age.texts[0]
        assert asked_age.options == ["Dưới 16 tuổi", "Từ 16 đến 59 tuổi", "Từ 60 tuổi trở lên", "Quay lại"]

        asked_ward = await bot.choose("Từ 60 tuổi trở lên")
        assert asked_ward.options[:3] == ["Hưng Đạo", "Ái Quốc", "Chu Văn An"]

        asked_tdp = await bot.choose("Hưng Đạo")
        assert asked_tdp.options[0] == "Tổ dân phố số 1"

        asked_nudges = await bot.say("tổ 5")
        assert "Nhắc tôi học?" in asked_nudges.texts[-1]
        menu = await bot.choose("Để sau")
        assert "Chào Bà Lan" in menu.texts[-1] and len(menu.options) >= 3

        walk = [welcome, asked_name, asked_age, asked_ward, asked_tdp, asked_nudges, menu]
        assert [len(step.texts) for step in walk] == [1] * len(walk)  # one message per turn, buttons on it

        user = await bot.user()
        assert user is not None and user.state == "menu" and user.display_name == "Bà Lan"
        assert user.consent_at is not None and user.age_band == "60+" and user.unreachable_at is None
        async with bot.runtime.db.sessions() as session:
            tdp = await session.get(Tdp, user.tdp_id)
        assert tdp is not None and tdp.number == 5
        assert all(len(t) <= platform.limit for t in fake.texts_to(platform.user))
        gap = fake.min_interval_per_chat()
        assert gap is not None and gap >= 0.05


@pytest.mark.parametrize("webhook", MODES)
async def test_quick_messages_of_one_person_are_handled_in_order(
    tmp_path: Path, platform: Platform, webhook: bool
) -> None:
    fake = platform.fake
    async with platform.running(tmp_path, webhook=webhook) as bot:
        # Polling: queued at once (one getUpdates batch on Telegram, one a call on Zalo); webhook: each
        # answered 200 at once. Either way the turns then run side by side.
        for text in ("/start", "đồng ý", "Bà Lan", "3", "1"):
            await bot.send_update(platform.text_update(platform.user, text))
        await fake.wait_for(lambda: any("tổ dân phố nào" in t for t in fake.texts_to(platform.user)))
        user = await bot.user()
        assert user is not None and user.state == "onboarding.tdp"
        assert (user.display_name, user.age_band) == ("Bà Lan", "60+")


async def test_webhook_without_the_secret_changes_nothing(tmp_path: Path, platform: Platform) -> None:
    fake = platform.fake
    async with platform.running(tmp_path, webhook=True) as bot:
        for header in (None, "wrong-secret", "", platform.secret + "x", "bí mật"):
            status, _ = await fake.deliver(platform.text_update(platform.user, "/start"), secret=header)
            assert status == 401
        await asyncio.sleep(0.2)
        assert fake.sent_to(platform.user) == []
        assert await bot.rows(User) == 0 and await bot.rows(ProcessedUpdate) == 0


JUNK = [b"{not json", b"[]", b"[1, 2]", b'{"update_id": "x", "message": 5}', b'{"no": "update_id"}',
        b'{"event_name": "message.text.received"}', b'{"ok": true}']
"""Bodies that are no update of either platform (not JSON, not an object, missing or mistyped fields)."""


async def test_webhook_ignores_junk(tmp_path: Path, platform: Platform) -> None:
    fake = platform.fake
    async with platform.running(tmp_path, webhook=True) as bot, ClientSession() as http:
        assert fake.webhook_url is not None
        for body in JUNK:
            async with http.post(fake.webhook_url, data=body, headers={platform.secret_header: platform.secret}) as resp:
                assert resp.status in (200, 400), body
        await asyncio.sleep(0.2)
        assert fake.sent_to(platform.user) == []
        assert await bot.rows(User) == 0 and await bot.rows(ProcessedUpdate) == 0


@pytest.mark.parametrize("webhook", MODES)
async def test_a_redelivered_update_is_answered_once(tmp_path: Path, platform: Platform, webhook: bool) -> None:
    fake, user, other = platform.fake, platform.user, platform.other
    serial = platform.text_update(user, "/start")  # comes again after it was handled
    together = platform.text_update(other, "/start")  # comes three times at once
    if webhook or not platform.polling_redelivers_after_restart:
        async with platform.running(tmp_path, webhook=webhook) as bot:
            for _ in range(3):
                if webhook:
                    assert await fake.deliver(serial) == (200, "")
                else:
                    fake.push_update(serial)
                await fake.wait_sent(user, 1)
                await eventually(lambda: not fake.pending_updates)
                await asyncio.sleep(0.1)
            if webhook:
                await asyncio.gather(*(fake.deliver(together) for _ in range(3)))
            else:
                for _ in range(3):
                    fake.push_update(together)
            await fake.wait_sent(other, 1)
            await asyncio.sleep(0.3)
            processed, people = await bot.rows(ProcessedUpdate), await bot.rows(User)
    else:
        for _ in range(3):  # Telegram polling: the update comes again after a restart that lost the offset
            fake.push_update(serial)
            async with platform.running(tmp_path, webhook=False):
                await eventually(lambda: not fake.pending_updates)  # confirmed by the next getUpdates
        for _ in range(3):
            fake.push_update(together)
        async with platform.running(tmp_path, webhook=False) as bot:
            await fake.wait_sent(other, 1)
            await asyncio.sleep(0.3)
            processed, people = await bot.rows(ProcessedUpdate), await bot.rows(User)
    assert len(fake.sent_to(user)) == 1 and len(fake.sent_to(other)) == 1  # the welcome and the notice: one message
    assert processed == 2 and people == 2


@pytest.mark.parametrize("webhook", MODES)
async def test_rate_limit_pauses_then_retries_the_same_message(
    tmp_path: Path, platform: Platform, webhook: bool
) -> None:
    fake = platform.fake
    async with platform.running(tmp_path, webhook=webhook) as bot:
        fake.fail("sendMessage", 429, retry_after=1)
        welcome = await bot.say("/start")
        limited = fake.injected[0]
        assert limited.status == 429 and limited.text == welcome.texts[0]
        assert fake.sent_to(platform.user)[0].at - limited.at >= 1.0
        assert fake.violations == []


@pytest.mark.parametrize("webhook", MODES)
async def test_a_person_who_blocked_the_bot_is_marked_unreachable(
    tmp_path: Path, platform: Platform, webhook: bool
) -> None:
    if webhook:
        platform.errors_as_http_status()  # Zalo may report an error either way: polling reads "ok": false
    fake = platform.fake
    async with platform.running(tmp_path, webhook=webhook) as bot:
        fake.block(platform.user)
        await bot.send_update(platform.text_update(platform.user, "/start"))
        await fake.wait_for(lambda: any(c.status == 403 for c in fake.calls))
        await eventually(lambda: bot.channel.sender.queued == 0)
        for _ in range(50):
            user = await bot.user()
            if user is not None and user.unreachable_at is not None:
                break
            await asyncio.sleep(0.02)
        assert user is not None and user.unreachable_at is not None
        assert len(fake.calls_of("sendMessage")) == 1  # the rest of that chat's queue was dropped
        assert fake.injected and all(c.status == 403 for c in fake.injected)
        assert await bot.channel.send(platform.user, Reply("Còn đó không?")) == Outcome.UNREACHABLE


LONG = {
    "paragraphs": ("\n\n", "\n\n".join(
        f"Đoạn {n}: " + " ".join(["Bà con nhớ giữ bí mật mã OTP."] * 30) for n in range(6))),
    "lines": ("\n", "\n".join(f"Dòng {n}: mở ứng dụng VNeID, chọn mục Thủ tục hành chính." for n in range(90))),
}
PARTS = {"telegram": 2, "zalo": 3}
OPTIONS_IN_TEXT = {"telegram": "", "zalo": "\n\n1. Về trang chính\n2. Trợ giúp"}


@pytest.mark.parametrize("webhook", MODES)
@pytest.mark.parametrize("shape", list(LONG))
async def test_a_long_reply_goes_in_paced_parts_within_the_limit_that_rejoin(
    tmp_path: Path, platform: Platform, webhook: bool, shape: str
) -> None:
    cut, text = LONG[shape]
    assert len(text) > 5000
    fake = platform.fake
    pacing = 0.05 if webhook else 1.0  # the real 1 s once is enough to show it holds
    async with platform.running(tmp_path, webhook=webhook, per_chat_interval=pacing) as bot:
        reply = Reply(text, [Option("menu", "Về trang chính"), Option("help", "Trợ giúp")])
        assert await bot.channel.send(platform.user, reply) == Outcome.SENT
    parts = fake.texts_to(platform.user)
    assert len(parts) == PARTS[platform.name] and all(len(p) <= platform.limit for p in parts)
    assert cut.join(parts) == text + OPTIONS_IN_TEXT[platform.name]  # cut at a break, nothing else lost
    sent = fake.sent_to(platform.user)
    assert bot.options(sent[-1]) == ["Về trang chính", "Trợ giúp"]
    assert bot.options(sent[0]) == [] and sent[0].reply_markup is None
    gap = fake.min_interval_per_chat()
    assert gap is not None and gap >= pacing


async def test_stickers_and_photos_get_a_kind_answer(tmp_path: Path, platform: Platform) -> None:
    async with platform.running(tmp_path, webhook=True) as bot:
        await bot.say("/start")
        for update in platform.media_updates(platform.user):
            answer = await bot.answer_to(update)
            assert answer.texts[0].startswith("Mình chỉ đọc được tin nhắn chữ")
            assert bot.options(answer.calls[0]) == ["Đồng ý", "Để sau", "Đọc thêm"]  # with the screen's options
        person = await bot.user()
        assert person is not None and person.state == "onboarding.consent"


async def test_typing_is_shown_while_a_turn_takes_a_while(tmp_path: Path, platform: Platform) -> None:
    async with platform.running(tmp_path, webhook=False, typing_delay=0.05) as bot:
        handle = bot.runtime.engine.handle

        async def slow(incoming):
            await asyncio.sleep(0.15)
            return await handle(incoming)

        bot.runtime.engine.handle = slow  # type: ignore[method-assign]
        await bot.say("/start")
    typing = platform.fake.calls_of("sendChatAction")
    assert typing and typing[0].params == {"chat_id": platform.user, "action": "typing"}


async def test_webhook_mode_refuses_to_start_without_a_secret(tmp_path: Path, platform: Platform) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.create_all()
    settings = make_settings(db.url, **platform.settings(), public_base_url="https://bot.example.vn")
    runtime = await build_runtime(settings, db=db, content=shipped_content())
    try:
        with pytest.raises(SettingsError, match=f"{platform.name.upper()}_WEBHOOK_SECRET"):
            await start_channels(runtime, create_app(runtime))
        assert platform.fake.calls == []
    finally:
        await runtime.close()


async def test_start_channels_starts_what_has_a_token(tmp_path: Path, platform: Platform) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.create_all()
    runtime = await build_runtime(make_settings(db.url), db=db, content=shipped_content())
    try:
        assert (await start_channels(runtime, None)).running == {}
        runtime.settings = runtime.services.settings = make_settings(db.url, **platform.settings())
        channels = await start_channels(runtime, create_app(runtime), per_chat_interval=0.05)
        assert list(channels.running) == [platform.name]
        platform.fake.push_update(platform.text_update(platform.user, "/start"))
        await platform.fake.wait_sent(platform.user, 1)
        outcome = await channels.send(platform.name, str(platform.user), Reply("Thông báo của phường"))
        assert outcome == Outcome.SENT
        await channels.stop()
    finally:
        await runtime.close()


def test_numbered_options_reads_only_a_list_that_ends_the_message() -> None:
    """The Zalo driver's reading of a message (the tests above rely on it)."""
    assert numbered_options("Chọn một mục:\n\n1. Đồng ý\n2. Để sau\n3. Đọc thêm") == ["Đồng ý", "Để sau", "Đọc thêm"]
    assert numbered_options("1. Bỏ qua") == ["Bỏ qua"]
    assert numbered_options("Dòng 1: mở ứng dụng.\nDòng 2: chọn mục.") == []
    assert numbered_options("Chọn:\n\n1. Có\n3. Không") == []
    assert numbered_options("Chọn:\n\n1. Có\n2. Không\n\nGõ số nhé.") == []
