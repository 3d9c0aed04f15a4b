"""Telegram end to end: the real aiogram client against the local fake Bot API, in polling and webhook mode.

A resident taps and types in Telegram; we assert what the fake server received
(texts, buttons, pacing) and what the database holds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.channels import start_channels
from bot.channels.sender import Outcome
from bot.channels.telegram import COMMANDS, keyboard
from bot.config import SettingsError
from bot.core.messages import Attachment, Option, Reply
from bot.db.models import ProcessedUpdate, Tdp, User
from bot.db.session import Database
from bot.app.runtime import build_runtime
from bot.web.app import create_app
from tests.conftest import make_settings, shipped_content
from tests.channels.drivers import MODES, eventually, running_telegram
from tests.channels.drivers import TELEGRAM_SECRET as SECRET
from tests.channels.drivers import TELEGRAM_TOKEN as TOKEN
from tests.channels.drivers import TELEGRAM_USER as USER
from tests.fakes import FakeTelegramServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize("webhook", MODES)
async def test_first_conversation_reaches_the_menu(tmp_path: Path, tg: FakeTelegramServer, webhook: bool) -> None:
    async with running_telegram(tmp_path, tg, webhook=webhook) as bot:
        assert tg.commands[('{"type": "default"}', "")][0] == {"command": "start", "description": "Bắt đầu"}
        assert [c["description"] for c in tg.commands[('{"type": "default"}', "")]] == [d for _, d in COMMANDS]
        assert (tg.webhook_url is not None) == webhook and tg.webhook_secret == (SECRET if webhook else None)

        welcome = await bot.type("/start")
        assert "Xin chào" in welcome[0].text and "Xóa dữ liệu của tôi" in welcome[-1].text
        assert welcome[-1].button_texts() == ["Đồng ý", "Để sau", "Đọc thêm"]
        assert welcome[-1].button_data() == ["agree", "later", "details"]
        assert welcome[-1].reply_markup == {"inline_keyboard": [
            [{"text": "Đồng ý", "callback_data": "agree"}],
            [{"text": "Để sau", "callback_data": "later"}],
            [{"text": "Đọc thêm", "callback_data": "details"}],
        ]}

        asked_name = await bot.tap("agree")
        assert "Cảm ơn" in asked_name[0].text and "gọi bạn là gì" in asked_name[-1].text
        assert asked_name[-1].button_texts() == ["Bỏ qua"]
        assert len(tg.answered_callbacks) == 1

        asked_age = await bot.type("Bà Lan")
        assert "Bà Lan" in asked_age[0].text
        assert asked_age[-1].button_texts() == ["Dưới 16 tuổi", "Từ 16 đến 59 tuổi", "Từ 60 tuổi trở lên", "Quay lại"]

        asked_ward = await bot.tap(asked_age[-1].button_data()[2])
        assert asked_ward[-1].button_texts()[:3] == ["Hưng Đạo", "Ái Quốc", "Chu Văn An"]

        asked_tdp = await bot.tap(asked_ward[-1].button_data()[0])
        assert asked_tdp[-1].button_texts()[0] == "Tổ dân phố số 1"

        menu = await bot.type("tổ 5")
        assert "Chào Bà Lan" in menu[-1].text and len(menu[-1].button_texts()) >= 3

        user = await bot.user()
        assert user is not None and user.state == "menu" and user.display_name == "Bà Lan"
        assert user.consent_at is not None and user.age_band == "60+" and user.unreachable_at is None
        async with bot.runtime.db.sessions() as session:
            tdp = await session.get(Tdp, user.tdp_id)
        assert tdp is not None and tdp.number == 5
        assert tg.min_interval_per_chat() >= 0.05


async def test_an_old_button_is_explained_not_obeyed(tmp_path: Path, tg: FakeTelegramServer) -> None:
    async with running_telegram(tmp_path, tg, webhook=False) as bot:
        await bot.type("/start")
        await bot.tap("agree")
        answer = await bot.tap("details")  # the consent screen's button, tapped on the name screen
        assert "tin nhắn cũ" in answer[0].text
        assert (await bot.user()).state == "onboarding.name"


async def test_deep_link_payload_reaches_the_engine(tmp_path: Path, tg: FakeTelegramServer) -> None:
    seen = []
    async with running_telegram(tmp_path, tg, webhook=False) as bot:
        handle = bot.runtime.engine.handle

        async def spy(incoming):  # type: ignore[no-untyped-def]
            seen.append(incoming)
            return await handle(incoming)

        bot.runtime.engine.handle = spy  # type: ignore[method-assign]
        await bot.type("/start lop-to5")
    assert seen[0].start_payload == "lop-to5" and seen[0].external_id == str(USER)
    assert seen[0].display_name == "Bà Lan" and seen[0].channel == "telegram"


async def test_quick_messages_of_one_person_are_handled_in_order(tmp_path: Path, tg: FakeTelegramServer) -> None:
    async with running_telegram(tmp_path, tg, webhook=False) as bot:
        for text in ("/start", "đồng ý", "Bà Lan", "3", "1"):  # one getUpdates batch, handled concurrently
            tg.push_message(USER, text)
        await tg.wait_for(lambda: any("tổ dân phố nào" in t for t in tg.texts_to(USER)))
        user = await bot.user()
        assert user is not None and user.state == "onboarding.tdp"
        assert (user.display_name, user.age_band) == ("Bà Lan", "60+")


async def test_webhook_without_the_secret_changes_nothing(tmp_path: Path, tg: FakeTelegramServer) -> None:
    async with running_telegram(tmp_path, tg, webhook=True) as bot:
        for header in (None, "wrong-secret", "", SECRET + "x", "bí mật"):
            status, _ = await tg.deliver(tg.make_message_update(USER, "/start"), secret=header)
            assert status == 401
        await asyncio.sleep(0.2)
        assert tg.sent_to(USER) == []
        assert await bot.rows(User) == 0 and await bot.rows(ProcessedUpdate) == 0


async def test_webhook_ignores_malformed_bodies(tmp_path: Path, tg: FakeTelegramServer) -> None:
    async with running_telegram(tmp_path, tg, webhook=True) as bot, ClientSession() as http:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        for body in (b"{not json", b"[1, 2]", b'{"update_id": "x", "message": 5}', b'{"no": "update_id"}'):
            async with http.post(tg.webhook_url, data=body, headers=headers) as resp:
                assert resp.status in (200, 400)
        await asyncio.sleep(0.2)
        assert tg.sent_to(USER) == [] and await bot.rows(User) == 0 and await bot.rows(ProcessedUpdate) == 0


async def test_polling_skips_an_update_it_cannot_read_and_handles_the_rest(
    tmp_path: Path, tg: FakeTelegramServer
) -> None:
    async with running_telegram(tmp_path, tg, webhook=False) as bot:
        tg.push_message(USER, "/start")
        tg.push_update({"message": {"message_id": "not a number", "chat": "nowhere"}})
        tg.push_message(USER + 1, "/start")
        await tg.wait_for(lambda: tg.sent_to(USER) and tg.sent_to(USER + 1))
        await eventually(lambda: tg.pending_updates == [])  # all three confirmed, the broken one too
        assert await bot.rows(User) == 2 and await bot.rows(ProcessedUpdate) == 2
        assert len(tg.sent_to(USER)) == len(tg.sent_to(USER + 1)) == 1


@pytest.mark.parametrize("webhook", MODES)
async def test_a_redelivered_update_is_answered_once(tmp_path: Path, tg: FakeTelegramServer, webhook: bool) -> None:
    serial = tg.make_message_update(USER, "/start")
    together = tg.make_message_update(USER + 1, "/start")
    if webhook:
        async with running_telegram(tmp_path, tg, webhook=True) as bot:
            assert [await tg.deliver(serial) for _ in range(3)] == [(200, "")] * 3
            await asyncio.gather(*(tg.deliver(together) for _ in range(3)))
            await tg.wait_sent(USER, 1)
            await tg.wait_sent(USER + 1, 1)
            await asyncio.sleep(0.3)
    else:
        for _ in range(3):  # polling: the update comes again after a restart that lost the offset
            tg.push_update(serial)
            async with running_telegram(tmp_path, tg, webhook=False) as bot:
                await eventually(lambda: not tg.pending_updates)  # confirmed by the next getUpdates
        for _ in range(3):
            tg.push_update(together)
        async with running_telegram(tmp_path, tg, webhook=False) as bot:
            await tg.wait_sent(USER + 1, 1)
            await asyncio.sleep(0.3)
    assert len(tg.sent_to(USER)) == 1 and len(tg.sent_to(USER + 1)) == 1  # the welcome and the notice: one message
    async with bot.runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 2


@pytest.mark.parametrize("webhook", MODES)
async def test_rate_limit_pauses_then_retries_the_same_message(
    tmp_path: Path, tg: FakeTelegramServer, webhook: bool
) -> None:
    async with running_telegram(tmp_path, tg, webhook=webhook) as bot:
        tg.fail("sendMessage", 429, retry_after=1)
        welcome = await bot.type("/start")
        limited = tg.injected[0]
        assert limited.status == 429 and welcome[0].text == limited.text
        assert welcome[0].at - limited.at >= 1.0
        assert tg.violations == []


@pytest.mark.parametrize("webhook", MODES)
async def test_a_person_who_blocked_the_bot_is_marked_unreachable(
    tmp_path: Path, tg: FakeTelegramServer, webhook: bool
) -> None:
    async with running_telegram(tmp_path, tg, webhook=webhook) as bot:
        tg.block(USER)
        await bot.send_update(tg.make_message_update(USER, "/start"))
        await tg.wait_for(lambda: any(c.status == 403 for c in tg.calls))
        for _ in range(50):
            user = await bot.user()
            if user is not None and user.unreachable_at is not None:
                break
            await asyncio.sleep(0.02)
        assert user is not None and user.unreachable_at is not None
        assert len(tg.calls_of("sendMessage")) == 1  # the rest of that chat's queue was dropped
        assert await bot.channel.send(USER, Reply("Còn đó không?")) == Outcome.UNREACHABLE


@pytest.mark.parametrize("webhook", MODES)
async def test_a_long_reply_goes_in_paced_parts_that_rejoin(
    tmp_path: Path, tg: FakeTelegramServer, webhook: bool
) -> None:
    paragraphs = [f"Đoạn {n}: " + " ".join(["Bà con nhớ giữ bí mật mã OTP."] * 30) for n in range(6)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 5000
    pacing = 0.05 if webhook else 1.0  # the real 1 s once is enough to show it holds
    async with running_telegram(tmp_path, tg, webhook=webhook, per_chat_interval=pacing) as bot:
        outcome = await bot.channel.send(USER, Reply(text, [Option("menu", "Về trang chính")]))
        assert outcome == Outcome.SENT
    parts = tg.texts_to(USER)
    assert len(parts) == 2 and all(len(p) <= 4096 for p in parts)
    assert "\n\n".join(parts) == text  # cut at a paragraph break, nothing else lost
    assert tg.sent_to(USER)[-1].button_texts() == ["Về trang chính"] and tg.sent_to(USER)[0].reply_markup is None
    assert tg.min_interval_per_chat() >= pacing


async def test_photo_and_document_are_uploaded_with_the_buttons_last(tmp_path: Path, tg: FakeTelegramServer) -> None:
    async with running_telegram(tmp_path, tg, webhook=False) as bot:
        chart = bot.runtime.services.files_dir / "chart-1.png"
        chart.write_bytes(PNG)
        pdf = bot.runtime.services.files_dir / "cert-1.pdf"
        pdf.write_bytes(b"%PDF-1.4 chung chi")
        reply = Reply("Chúc mừng bạn!", [Option("menu", "Về trang chính")],
                      image=Attachment(chart, "bieu-do.png", "image/png"),
                      document=Attachment(pdf, "chung-chi.pdf", "application/pdf"))
        assert await bot.channel.send(USER, reply) == Outcome.SENT
    sent = tg.sent_to(USER)
    assert [c.method for c in sent] == ["sendMessage", "sendPhoto", "sendDocument"]
    assert sent[2].files["document"].filename == "chung-chi.pdf" and sent[2].button_texts() == ["Về trang chính"]
    assert sent[1].files["photo"].size == len(PNG)


async def test_typing_is_shown_while_a_turn_takes_a_while(tmp_path: Path, tg: FakeTelegramServer) -> None:
    async with running_telegram(tmp_path, tg, webhook=False, typing_delay=0.05) as bot:
        handle = bot.runtime.engine.handle

        async def slow(incoming):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.15)
            return await handle(incoming)

        bot.runtime.engine.handle = slow  # type: ignore[method-assign]
        await bot.type("/start")
    typing = tg.calls_of("sendChatAction")
    assert typing and typing[0].params == {"chat_id": USER, "action": "typing"}


def test_option_ids_too_long_for_callback_data_travel_as_labels() -> None:
    markup = keyboard([Option("agree", "Đồng ý"), Option("x" * 65, "Bài rất dài")])
    assert markup is not None
    assert [row[0]["callback_data"] for row in markup["inline_keyboard"]] == ["agree", "#2"]


async def test_long_option_id_tap_comes_back_as_its_label(tmp_path: Path, tg: FakeTelegramServer) -> None:
    seen = []
    async with running_telegram(tmp_path, tg, webhook=True) as bot:
        await bot.channel.send(USER, Reply("Chọn bài", [Option("a" * 70, "Học VNeID")]))
        await tg.wait_sent(USER)
        handle = bot.runtime.engine.handle

        async def spy(incoming):  # type: ignore[no-untyped-def]
            seen.append(incoming)
            return await handle(incoming)

        bot.runtime.engine.handle = spy  # type: ignore[method-assign]
        await bot.tap("#1")
    assert seen[0].text == "Học VNeID" and seen[0].option is None


async def test_webhook_mode_refuses_to_start_without_a_secret(tmp_path: Path, tg: FakeTelegramServer) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.create_all()
    settings = make_settings(db.url, telegram_bot_token=TOKEN, telegram_api_url=tg.base_url,
                             public_base_url="https://bot.example.vn")
    runtime = await build_runtime(settings, db=db, content=shipped_content())
    try:
        with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
            await start_channels(runtime, create_app(runtime))
        assert tg.calls == []
    finally:
        await runtime.close()


async def test_start_channels_starts_what_has_a_token(tmp_path: Path, tg: FakeTelegramServer) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.create_all()
    runtime = await build_runtime(make_settings(db.url), db=db, content=shipped_content())
    try:
        assert (await start_channels(runtime, None)).running == {}
        runtime.settings = runtime.services.settings = make_settings(
            db.url, telegram_bot_token=TOKEN, telegram_api_url=tg.base_url
        )
        channels = await start_channels(runtime, create_app(runtime), per_chat_interval=0.05)
        assert list(channels.running) == ["telegram"]
        tg.push_message(USER, "/start")
        await tg.wait_sent(USER, 1)
        assert await channels.send("telegram", str(USER), Reply("Thông báo của phường")) == Outcome.SENT
        await channels.stop()
    finally:
        await runtime.close()
