"""What only Zalo has, end to end: our thin client against the local fake Zalo Bot Platform.

Zalo has no buttons: a resident reads a numbered list and types the number or
the words. Its webhook may wrap the update in an envelope, a photo needs a
public address, and an error may come as "ok": false or as an HTTP status.
What Zalo shares with Telegram (the first conversation, order, webhook secret,
junk, redelivery, rate limits, blocked people, long replies, stickers,
typing…) runs on both platforms in test_push_channels.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.sender import Outcome
from bot.channels.zalo import ZaloApiError, ZaloClient
from bot.core.messages import Attachment, Option, Reply
from bot.db.models import User
from tests.channels.drivers import ZALO_USER, running_zalo
from tests.fakes import FakeZaloServer

USER = ZALO_USER


async def test_webhook_accepts_the_envelope(tmp_path: Path, zalo: FakeZaloServer) -> None:
    """One public reference shows webhook bodies wrapped as {"ok": true, "result": update}."""
    async with running_zalo(tmp_path, zalo, webhook=True) as bot:
        assert await zalo.deliver(zalo.make_text_update(USER, "/start"), envelope=True) == (200, "")
        await zalo.wait_sent(USER, 1)
        assert await bot.rows(User) == 1


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
        assert sent[1].text is not None and f"{base}/files/cert-1.pdf" in sent[1].text
    else:
        assert [c.method for c in sent] == ["sendMessage"]
        text = sent[0].text
        assert text is not None and "hình ảnh" in text and "chung-chi.pdf" in text and "/files/" not in text
    assert sent[-1].text is not None and sent[-1].text.endswith("\n\n1. Về trang chính")


@pytest.mark.parametrize("mirror", [False, True], ids=["ok-false", "http-status"])
async def test_client_reads_both_error_styles(zalo: FakeZaloServer, mirror: bool) -> None:
    zalo.mirror_error_status = mirror
    client = ZaloClient(zalo.token, zalo.base_url)
    try:
        assert (await client.get_me())["id"] == zalo.token.split(":")[0]
        assert await client.get_updates(timeout=0) is None  # 408: nothing came
        zalo.push_text(USER, "Xin chào")
        update = await client.get_updates(timeout=1)
        assert update is not None and update["message"]["text"] == "Xin chào"
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
