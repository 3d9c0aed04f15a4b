"""What only Telegram has, end to end: the real aiogram client against the local fake Bot API.

Commands, inline buttons and their callback data (old buttons, labels for ids
too long for callback_data), deep-link payloads, uploads, a polled update it
cannot read. What Telegram shares with Zalo (the first conversation, order,
webhook secret, junk, redelivery, rate limits, blocked people, long replies,
typing…) runs on both platforms in test_push_channels.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.sender import Outcome
from bot.channels.telegram import COMMANDS, keyboard
from bot.core.messages import Attachment, Option, Reply
from bot.db.models import ProcessedUpdate, User
from tests.channels.drivers import MODES, TELEGRAM_USER, eventually, running_telegram
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
