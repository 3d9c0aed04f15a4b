"""Zalo end to end: our thin client against the local fake Zalo Bot Platform, in polling and webhook mode.

Zalo has no buttons: a resident reads a numbered list and types the number or the words.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot.channels import start_channels
from bot.channels.sender import Outcome
from bot.channels.zalo import ZaloApiError, ZaloClient
from bot.config import SettingsError
from bot.core.messages import Attachment, Option, Reply
from bot.db.models import ProcessedUpdate, User
from bot.db.session import Database
from bot.app.runtime import build_runtime
from bot.web.app import create_app
from tests.conftest import make_settings, shipped_content
from tests.channels.drivers import MODES, eventually, running_zalo
from tests.channels.drivers import ZALO_SECRET as SECRET
from tests.channels.drivers import ZALO_USER as USER
from tests.fakes import FakeZaloServer

@pytest.mark.parametrize("webhook", MODES)
async def test_first_conversation_reaches_the_menu(tmp_path: Path, zalo: FakeZaloServer, webhook: bool) -> None:
    async with running_zalo(tmp_path, zalo, webhook=webhook) as bot:
        assert (zalo.webhook_url is not None) == webhook

        welcome = await bot.type("/start")
        assert "Xin chào" in welcome[0]
        assert welcome[-1].endswith("\n\n1. Đồng ý\n2. Để sau\n3. Đọc thêm")
        assert "Xóa dữ liệu của tôi" in welcome[-1]

        asked_name = await bot.type("Đồng ý")
        assert "Cảm ơn" in asked_name[0] and asked_name[-1].endswith("\n\n1. Bỏ qua")

        asked_age = await bot.type("Bà Lan")
        assert asked_age[-1].endswith("1. Dưới 16 tuổi\n2. Từ 16 đến 59 tuổi\n3. Từ 60 tuổi trở lên\n4. Quay lại")

        asked_ward = await bot.type("3")
        assert "\n1. Hưng Đạo\n2. Ái Quốc\n3. Chu Văn An\n" in asked_ward[-1]

        asked_tdp = await bot.type("1")
        assert "\n1. Tổ dân phố số 1\n" in asked_tdp[-1]

        menu = await bot.type("tổ 5")
        assert "Chào Bà Lan" in menu[-1] and "\n3. " in menu[-1]

        user = await bot.user()
        assert user is not None and user.state == "menu" and user.display_name == "Bà Lan"
        assert user.age_band == "60+" and user.tdp_id is not None
        assert all(len(t) <= 2000 for t in zalo.texts_to(USER))


@pytest.mark.parametrize("webhook", MODES)
async def test_quick_messages_of_one_person_are_handled_in_order(
    tmp_path: Path, zalo: FakeZaloServer, webhook: bool
) -> None:
    async with running_zalo(tmp_path, zalo, webhook=webhook) as bot:
        updates = [zalo.make_text_update(USER, text) for text in ("/start", "1", "Bà Lan", "3", "1")]
        for update in updates:  # each answered 200 at once; the turns then run side by side
            await bot.send_update(update)
        await zalo.wait_for(lambda: any("tổ dân phố nào" in t for t in zalo.texts_to(USER)))
        user = await bot.user()
        assert user is not None and user.state == "onboarding.tdp"
        assert (user.display_name, user.age_band) == ("Bà Lan", "60+")


async def test_webhook_without_the_secret_changes_nothing(tmp_path: Path, zalo: FakeZaloServer) -> None:
    async with running_zalo(tmp_path, zalo, webhook=True) as bot:
        for header in (None, "wrong-secret", "", SECRET + "x", "bí mật"):
            status, _ = await zalo.deliver(zalo.make_text_update(USER, "/start"), secret=header)
            assert status == 401
        await asyncio.sleep(0.2)
        assert zalo.sent_to(USER) == []
        assert await bot.rows(User) == 0 and await bot.rows(ProcessedUpdate) == 0


async def test_webhook_accepts_the_envelope_and_ignores_junk(tmp_path: Path, zalo: FakeZaloServer) -> None:
    async with running_zalo(tmp_path, zalo, webhook=True) as bot, ClientSession() as http:
        headers = {"X-Bot-Api-Secret-Token": SECRET}
        for body in (b"{not json", b"[]", b'{"event_name": "message.text.received"}', b'{"ok": true}'):
            async with http.post(zalo.webhook_url, data=body, headers=headers) as resp:
                assert resp.status in (200, 400)
        assert await bot.rows(User) == 0 and await bot.rows(ProcessedUpdate) == 0

        assert await zalo.deliver(zalo.make_text_update(USER, "/start"), envelope=True) == (200, "")
        await zalo.wait_sent(USER, 1)
        assert await bot.rows(User) == 1


@pytest.mark.parametrize("webhook", MODES)
async def test_a_redelivered_update_is_answered_once(tmp_path: Path, zalo: FakeZaloServer, webhook: bool) -> None:
    serial = zalo.make_text_update(USER, "/start")
    together = zalo.make_text_update("u-2", "/start")
    async with running_zalo(tmp_path, zalo, webhook=webhook) as bot:
        for _ in range(3):
            await bot.send_update(serial)
            await zalo.wait_sent(USER, 1)
            await eventually(lambda: not zalo.pending_updates)
            await asyncio.sleep(0.1)
        if webhook:
            await asyncio.gather(*(zalo.deliver(together) for _ in range(3)))
        else:
            for _ in range(3):
                zalo.push_update(together)
        await zalo.wait_sent("u-2", 1)
        await asyncio.sleep(0.3)
        assert len(zalo.sent_to(USER)) == 1 and len(zalo.sent_to("u-2")) == 1  # the welcome and the notice: one message
        assert await bot.rows(ProcessedUpdate) == 2 and await bot.rows(User) == 2


@pytest.mark.parametrize("webhook", MODES)
async def test_rate_limit_pauses_then_retries_the_same_message(
    tmp_path: Path, zalo: FakeZaloServer, webhook: bool
) -> None:
    async with running_zalo(tmp_path, zalo, webhook=webhook) as bot:
        zalo.fail("sendMessage", 429, retry_after=1)
        welcome = await bot.type("/start")
        limited = zalo.injected[0]
        assert limited.status == 429 and limited.text == welcome[0]
        assert zalo.sent_to(USER)[0].at - limited.at >= 1.0
        assert zalo.violations == []


@pytest.mark.parametrize(("webhook", "mirror"), [(False, False), (True, True)],
                         ids=["polling-ok-false", "webhook-http-status"])
async def test_a_person_who_blocked_the_bot_is_marked_unreachable(
    tmp_path: Path, zalo: FakeZaloServer, webhook: bool, mirror: bool
) -> None:
    zalo.mirror_error_status = mirror  # both ways the platform may report an error
    async with running_zalo(tmp_path, zalo, webhook=webhook) as bot:
        zalo.block(USER)
        await bot.send_update(zalo.make_text_update(USER, "/start"))
        await zalo.wait_for(lambda: any(c.status == 403 for c in zalo.calls))
        await eventually(lambda: bot.channel.sender.queued == 0)
        user = await bot.user()
        assert user is not None and user.unreachable_at is not None
        assert len(zalo.calls_of("sendMessage")) == 1
        assert zalo.injected and all(c.status == 403 for c in zalo.injected)


@pytest.mark.parametrize("webhook", MODES)
async def test_a_long_reply_goes_in_parts_of_at_most_2000(tmp_path: Path, zalo: FakeZaloServer, webhook: bool) -> None:
    text = "\n".join(f"Dòng {n}: mở ứng dụng VNeID, chọn mục Thủ tục hành chính." for n in range(90))
    assert len(text) > 5000
    async with running_zalo(tmp_path, zalo, webhook=webhook) as bot:
        reply = Reply(text, [Option("menu", "Về trang chính"), Option("help", "Trợ giúp")])
        assert await bot.channel.send(USER, reply) == Outcome.SENT
    parts = zalo.texts_to(USER)
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    assert "\n".join(parts) == text + "\n\n1. Về trang chính\n2. Trợ giúp"


async def test_stickers_and_photos_get_a_kind_answer(tmp_path: Path, zalo: FakeZaloServer) -> None:
    async with running_zalo(tmp_path, zalo, webhook=True) as bot:
        await bot.type("/start")
        before = len(zalo.texts_to(USER))
        await zalo.deliver(zalo.make_sticker_update(USER))
        answer = await bot.answer(USER, before)
        assert answer[0].startswith("Mình chỉ đọc được tin nhắn chữ") and answer[0].endswith("3. Đọc thêm")
        before = len(zalo.texts_to(USER))
        await zalo.deliver(zalo.make_unsupported_update(USER))
        assert (await bot.answer(USER, before))[0].startswith("Mình chỉ đọc được")
        assert (await bot.user()).state == "onboarding.consent"


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
async def test_photos_need_a_public_address(tmp_path: Path, zalo: FakeZaloServer, public: bool) -> None:
    async with running_zalo(tmp_path, zalo, webhook=public) as bot:  # a public address means webhook mode
        chart = bot.runtime.services.files_dir / "chart-1.png"
        chart.write_bytes(b"\x89PNG\r\n\x1a\n")
        pdf = bot.runtime.services.files_dir / "cert-1.pdf"
        pdf.write_bytes(b"%PDF-1.4")
        reply = Reply("Chúc mừng bạn!", [Option("menu", "Về trang chính")],
                      image=Attachment(chart, "bieu-do.png"), document=Attachment(pdf, "chung-chi.pdf"))
        assert await bot.channel.send(USER, reply) == Outcome.SENT
        base = bot.runtime.settings.public_base_url
    sent = zalo.sent_to(USER)
    if public:
        assert [c.method for c in sent] == ["sendPhoto", "sendMessage"]
        assert sent[0].params["photo"] == f"{base}/files/chart-1.png"
        assert f"{base}/files/cert-1.pdf" in sent[1].text
    else:
        assert [c.method for c in sent] == ["sendMessage"]
        assert "hình ảnh" in sent[0].text and "chung-chi.pdf" in sent[0].text and "/files/" not in sent[0].text
    assert sent[-1].text.endswith("\n\n1. Về trang chính")


async def test_typing_is_shown_while_a_turn_takes_a_while(tmp_path: Path, zalo: FakeZaloServer) -> None:
    async with running_zalo(tmp_path, zalo, webhook=False, typing_delay=0.05) as bot:
        handle = bot.runtime.engine.handle

        async def slow(incoming):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.15)
            return await handle(incoming)

        bot.runtime.engine.handle = slow  # type: ignore[method-assign]
        await bot.type("/start")
    assert zalo.calls_of("sendChatAction")[0].params == {"chat_id": USER, "action": "typing"}


@pytest.mark.parametrize("mirror", [False, True], ids=["ok-false", "http-status"])
async def test_client_reads_both_error_styles(zalo: FakeZaloServer, mirror: bool) -> None:
    zalo.mirror_error_status = mirror
    client = ZaloClient(zalo.token, zalo.base_url)
    try:
        assert (await client.get_me())["id"] == zalo.token.split(":")[0]
        assert await client.get_updates(timeout=0) is None  # 408: nothing came
        zalo.push_text(USER, "Xin chào")
        assert (await client.get_updates(timeout=1))["message"]["text"] == "Xin chào"
        zalo.fail("sendMessage", 429, retry_after=2)
        with pytest.raises(ZaloApiError) as info:
            await client.send_message(USER, "một")
        assert (info.value.code, info.value.retry_after) == (429, 2.0)
        zalo.clear_failures()
        with pytest.raises(ZaloApiError) as info:
            await client.send_message(USER, "x" * 2001)
        assert info.value.code == 400
        zalo.rejected.clear()
        wrong = ZaloClient("999:wrong", zalo.base_url)
        with pytest.raises(ZaloApiError) as info:
            await wrong.get_me()
        assert info.value.code == 401
        await wrong.close()
        zalo.rejected.clear()
    finally:
        await client.close()


async def test_webhook_mode_refuses_to_start_without_a_secret(tmp_path: Path, zalo: FakeZaloServer) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.create_all()
    settings = make_settings(db.url, zalo_bot_token=zalo.token, zalo_api_url=zalo.base_url,
                             public_base_url="https://bot.example.vn")
    runtime = await build_runtime(settings, db=db, content=shipped_content())
    try:
        with pytest.raises(SettingsError, match="ZALO_WEBHOOK_SECRET"):
            await start_channels(runtime, create_app(runtime))
        assert zalo.calls == []
    finally:
        await runtime.close()
