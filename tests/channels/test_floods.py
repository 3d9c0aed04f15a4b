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
from tests.channels.drivers import MODES, Platform, running_zalo
from tests.fakes import FakeZaloServer

FLOOD = 500
TOO_FAST = "Bạn gửi nhanh quá"


@pytest.mark.parametrize("webhook", MODES)
async def test_a_flood_is_answered_once_and_others_are_still_answered(
        tmp_path: Path, platform: Platform, webhook: bool) -> None:
    fake, flooder = platform.fake, platform.user
    async with platform.running(tmp_path, webhook=webhook) as bot:
        await bot.say("/start", user=flooder)
        flood = [platform.text_update(flooder, f"câu hỏi lạ số {n} về chuyện gì đó") for n in range(FLOOD)]
        if webhook:
            await asyncio.gather(*(bot.send_update(update) for update in flood))
        else:
            for update in flood:
                fake.push_update(update)
        other = await bot.say("/start", user=platform.other)
        assert other.options  # the other person got their answer with its options
        await fake.wait_for(lambda: any(TOO_FAST in t for t in fake.texts_to(flooder)), timeout=30)
        await asyncio.sleep(0.5)
        assert sum(TOO_FAST in t for t in fake.texts_to(flooder)) == 1
        assert await bot.rows(ProcessedUpdate) <= 2 + 20  # two /start, and no more than the limit of the flood
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


async def test_webhooks_answer_bad_bodies_with_400(tmp_path: Path, platform: Platform) -> None:
    async with platform.running(tmp_path, webhook=True) as bot:
        assert platform.fake.webhook_url is not None
        async with aiohttp.ClientSession() as http:
            for body in BAD_BODIES:
                async with http.post(platform.fake.webhook_url, data=body,
                                     headers={platform.secret_header: platform.secret}) as response:
                    assert response.status == 400, body[:20]
        assert await bot.rows(ProcessedUpdate) == 0
