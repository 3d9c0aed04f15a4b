"""What only Telegram has, end to end: the real client (python-telegram-bot on aiohttp) against the local fake Bot API.

Commands, inline buttons and their callback data (old buttons, labels for ids
too long for callback_data), deep-link payloads, uploads, a polled update it
cannot read. What Telegram shares with Zalo (the first conversation, order,
webhook secret, junk, redelivery, rate limits, blocked people, long replies,
typing…) runs on both platforms in test_push_channels.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from bot.app.runtime import build_runtime
from bot.channels import telegram_api
from bot.channels.sender import Failure, Outcome
from bot.channels.telegram import COMMANDS, TelegramChannel, classify, keyboard
from bot.config import SettingsError
from bot.core.messages import Attachment, Option, Reply
from bot.db.models import ProcessedUpdate, User
from bot.db.session import Database
from tests.channels.drivers import MODES, TELEGRAM_USER, eventually, running_telegram
from tests.conftest import make_settings, shipped_content
from tests.fakes import FakeTelegramServer

USER = TELEGRAM_USER
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize("webhook", MODES)
async def test_the_first_screens_come_with_the_commands_and_inline_buttons(
    tmp_path: Path, tg: FakeTelegramServer, webhook: bool
) -> None:
    """What only Telegram has on the way to the menu (the way itself: test_push_channels.py)."""
    async with running_telegram(tmp_path, tg, webhook=webhook) as bot:
        assert tg.commands[('{"type": "default"}', "")][0] == {"command": "start", "description": "Bắt đầu"}
        assert [c["description"] for c in tg.commands[('{"type": "default"}', "")]] == [d for _, d in COMMANDS]

        welcome = await bot.type("/start")
        assert welcome[-1].button_data() == ["agree", "later", "details"]
        assert welcome[-1].reply_markup == {"inline_keyboard": [
            [{"text": "Đồng ý", "callback_data": "agree"}],
            [{"text": "Để sau", "callback_data": "later"}],
            [{"text": "Đọc thêm", "callback_data": "details"}],
        ]}

        await bot.tap("agree")
        assert len(tg.answered_callbacks) == 1


async def test_an_old_button_is_explained_not_obeyed(tmp_path: Path, tg: FakeTelegramServer) -> None:
    async with running_telegram(tmp_path, tg, webhook=False) as bot:
        await bot.type("/start")
        await bot.tap("agree")
        answer = await bot.tap("details")  # the consent screen's button, tapped on the name screen
        assert answer[0].text is not None and "tin nhắn cũ" in answer[0].text
        person = await bot.user()
        assert person is not None and person.state == "onboarding.name"


async def test_deep_link_payload_reaches_the_engine(tmp_path: Path, tg: FakeTelegramServer) -> None:
    seen = []
    async with running_telegram(tmp_path, tg, webhook=False) as bot:
        handle = bot.runtime.engine.handle

        async def spy(incoming):
            seen.append(incoming)
            return await handle(incoming)

        bot.runtime.engine.handle = spy  # type: ignore[method-assign]
        await bot.type("/start lop-to5")
    assert seen[0].start_payload == "lop-to5" and seen[0].external_id == str(USER)
    assert seen[0].display_name == "Bà Lan" and seen[0].channel == "telegram"


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

        async def spy(incoming):
            seen.append(incoming)
            return await handle(incoming)

        bot.runtime.engine.handle = spy  # type: ignore[method-assign]
        await bot.tap("#1")
    assert seen[0].text == "Học VNeID" and seen[0].option is None


def test_a_token_not_shaped_like_botfathers_is_refused_before_any_call() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN is invalid: expected"):
        telegram_api.make_bot("not-a-token", "http://127.0.0.1:9")


async def test_a_token_telegram_refuses_stops_the_start_with_a_clear_reason(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.create_all()
    async with FakeTelegramServer() as tg:  # not the fixture: this server is meant to refuse a call
        wrong = telegram_api.make_bot("987654321:WRONG-fake-telegram-token", tg.base_url)
        runtime = await build_runtime(make_settings(db.url, telegram_bot_token=tg.token, telegram_api_url=tg.base_url),
                                      db=db, content=shipped_content())
        channel = TelegramChannel(runtime, bot=wrong)
        try:
            with pytest.raises(SettingsError, match="Telegram answered Unauthorized"):
                await channel.start(web.Application())
        finally:
            await telegram_api.close(wrong)
            await runtime.close()
        assert [(c.method, c.status) for c in tg.rejected] == [("getMe", 401)]


async def test_the_library_errors_become_the_senders_outcomes(tg: FakeTelegramServer) -> None:
    """429 waits the seconds Telegram names, 403 marks the person unreachable, 413 and 400 are not retried,
    a refused connection is retried: each read by python-telegram-bot from a real answer."""
    bot = telegram_api.make_bot(tg.token, tg.base_url)
    down = telegram_api.make_bot(tg.token, "http://127.0.0.1:9")
    seen = {}
    try:
        for code, retry_after in ((429, 3), (403, None), (413, None), (400, None)):
            tg.fail("sendMessage", code, retry_after=retry_after)
            with pytest.raises(Exception) as caught:
                await telegram_api.call(bot, "sendMessage", {"chat_id": TELEGRAM_USER, "text": "chào"})
            seen[code] = classify(caught.value)
            tg.clear_failures()
        with pytest.raises(Exception) as caught:
            await telegram_api.call(down, "sendMessage", {"chat_id": TELEGRAM_USER, "text": "chào"})
        seen[0] = classify(caught.value)
    finally:
        await telegram_api.close(bot)
        await telegram_api.close(down)
    assert seen == {429: Failure("retry_after", 3.0), 403: Failure("unreachable"), 413: Failure("permanent"),
                    400: Failure("permanent"), 0: Failure("transient")}


async def test_a_voice_reply_goes_as_sendvoice_with_the_buttons(tmp_path: Path, tg: FakeTelegramServer) -> None:
    ogg = tmp_path / "step.ogg"
    ogg.write_bytes(b"OggS" + bytes(200))
    async with running_telegram(tmp_path, tg, webhook=False) as bot:
        reply = Reply("Bấm ▶ để nghe.", [Option("menu", "Trang chính")], audio=Attachment(ogg, "step.ogg", "audio/ogg"))
        assert await bot.channel.send(TELEGRAM_USER, reply) == Outcome.SENT
    voice = [call for call in tg.calls if call.method == "sendVoice"]
    assert len(voice) == 1 and "inline_keyboard" in str(voice[0].params.get("reply_markup"))
