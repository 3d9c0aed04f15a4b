"""Floods and malformed updates on Telegram and Zalo, through their fake Bot API servers.

One account sending hundreds of updates gets one "Bạn gửi nhanh quá…" answer;
the extra updates are neither handled nor stored as questions, and another
person's message is answered meanwhile. Bodies that are not JSON, or JSON
nested thousands deep, get a 400, never a 500.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from bot.db.learning import UnansweredQuestion
from bot.db.models import ProcessedUpdate
from tests.channels.drivers import MODES, TELEGRAM_SECRET, ZALO_SECRET, running_telegram, running_zalo
from tests.fakes import FakeTelegramServer, FakeZaloServer

FLOOD = 500
TOO_FAST = "Bạn gửi nhanh quá"


@pytest.mark.parametrize("webhook", MODES)
async def test_a_telegram_flood_is_answered_once_and_others_are_still_answered(
        tmp_path: Path, tg: FakeTelegramServer, webhook: bool) -> None:
    async with running_telegram(tmp_path, tg, webhook=webhook) as bot:
        await bot.type("/start", user=1)
        flood = [tg.make_message_update(1, f"câu hỏi lạ số {n} về chuyện gì đó") for n in range(FLOOD)]
        if webhook:
            await asyncio.gather(*(bot.send_update(update) for update in flood))
        else:
            for update in flood:
                tg.push_update(update)
        other = await bot.type("/start", user=2)
        assert other[-1].reply_markup  # the other person got their answer with its buttons
        await tg.wait_for(lambda: any(TOO_FAST in (c.text or "") for c in tg.sent_to(1)))
        await asyncio.sleep(0.5)
        notices = [c for c in tg.sent_to(1) if TOO_FAST in (c.text or "")]
        assert len(notices) == 1
        handled = await bot.rows(ProcessedUpdate)
        assert handled <= 2 + 20  # two /start, and no more than the limit of the flood
        assert await bot.rows(UnansweredQuestion) <= 20


@pytest.mark.parametrize("webhook", MODES)
async def test_a_zalo_flood_is_answered_once(tmp_path: Path, zalo: FakeZaloServer, webhook: bool) -> None:
    async with running_zalo(tmp_path, zalo, webhook=webhook) as bot:
        await bot.type("/start", user="z-1")
        flood = [zalo.make_text_update("z-1", f"hỏi linh tinh {n}") for n in range(FLOOD)]
        if webhook:
            await asyncio.gather(*(bot.send_update(update) for update in flood))
        else:
            for update in flood:
                zalo.push_update(update)
        assert await bot.type("/start", user="z-2")
        await zalo.wait_for(lambda: any(TOO_FAST in t for t in zalo.texts_to("z-1")), timeout=30)
        await asyncio.sleep(0.5)
        assert sum(TOO_FAST in t for t in zalo.texts_to("z-1")) == 1
        assert await bot.rows(ProcessedUpdate) <= 2 + 20
        assert await bot.rows(UnansweredQuestion) <= 20


async def test_a_zalo_update_without_message_id_is_answered_once(tmp_path: Path, zalo: FakeZaloServer) -> None:
    update = zalo.make_text_update("z-3", "/start")
    del update["message"]["message_id"]
    async with running_zalo(tmp_path, zalo, webhook=True) as bot:
        for _ in range(3):
            await bot.send_update(update)
        await zalo.wait_sent("z-3", 1)
        await asyncio.sleep(0.3)
        assert len(zalo.sent_to("z-3")) == 1 and await bot.rows(ProcessedUpdate) == 1


BAD_BODIES = [b"{not json", b"\xff\xfe", b"[" * 5000 + b"]" * 5000, b'{"a": ' + b"{" * 5000 + b"}" * 5001]


async def test_webhooks_answer_bad_bodies_with_400(tmp_path: Path, tg: FakeTelegramServer,
                                                  zalo: FakeZaloServer) -> None:
    async with running_telegram(tmp_path / "t", tg, webhook=True) as telegram:
        async with aiohttp.ClientSession() as http:
            for body in BAD_BODIES:
                async with http.post(tg.webhook_url, data=body,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}) as response:
                    assert response.status == 400, body[:20]
        assert await telegram.rows(ProcessedUpdate) == 0
    async with running_zalo(tmp_path / "z", zalo, webhook=True) as bot:
        async with aiohttp.ClientSession() as http:
            for body in BAD_BODIES:
                async with http.post(zalo.webhook_url, data=body,
                                     headers={"X-Bot-Api-Secret-Token": ZALO_SECRET}) as response:
                    assert response.status == 400, body[:20]
        assert await bot.rows(ProcessedUpdate) == 0
