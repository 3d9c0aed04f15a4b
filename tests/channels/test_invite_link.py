"""A mentor's Telegram invite link (?start=m_<code>) through the fake Telegram server."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from bot.core.messages import Incoming
from bot.db.network import Mentor, Mentorship
from bot.network import mentors as net
from bot.people.audit import Actor
from tests.channels.drivers import running_telegram
from tests.fakes import FakeTelegramServer


async def test_deep_link_invite_asks_consent_then_pairs(tmp_path: Path, tg: FakeTelegramServer) -> None:
    async with running_telegram(tmp_path, tg, webhook=False) as bot:
        engine = bot.runtime.engine
        for step, text in enumerate(["/start", "đồng ý", "Anh Tuấn", "2", "1", "tổ 3", "dang ky lam dai su so",
                                     "Nguyễn Minh Tuấn", "doan thanh nien"]):
            await engine.handle(Incoming("zalo", "mentor-zalo", f"w{step}", text=text))
        async with bot.runtime.db.transaction() as session:
            mentor = await session.scalar(select(Mentor))
            assert mentor is not None
            await net.decide(session, mentor, True, Actor("test", "test"))
        replies = await engine.handle(Incoming("zalo", "mentor-zalo", "w-inv1", text="menu"))
        replies = await engine.handle(Incoming("zalo", "mentor-zalo", "w-inv2", text="dai su so"))
        replies = await engine.handle(Incoming("zalo", "mentor-zalo", "w-inv3", text="moi nguoi hoc"))
        link = re.search(r"start=m_([A-Z2-9]{8})", replies[-1].text)
        assert link is not None
        code = link.group(1)
        assert f"https://t.me/test_bot?start=m_{code}" in replies[-1].text
        assert replies[-1].image is not None and replies[-1].image.path.read_bytes()[:4] == b"\x89PNG"

        question = await bot.type(f"/start m_{code}", user=777)
        assert question[-1].text is not None and "Đồng ý để Nguyễn Minh Tuấn" in question[-1].text
        assert question[-1].button_texts() == ["Có", "Không, cảm ơn"]
        welcome = await bot.tap("yes", user=777)
        assert welcome[0].text is not None and "là người hướng dẫn của bạn" in welcome[0].text
        privacy = welcome[-1].text  # a newcomer continues with the privacy notice
        assert privacy is not None and "Trước khi bắt đầu" in privacy
        async with bot.runtime.db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Mentorship)) == 1

        async with bot.runtime.db.sessions() as session:  # one invitation, one person: a new one for the next
            mentor = await session.scalar(select(Mentor))
            assert mentor is not None
            code = await net.new_invite(session, mentor)
            await session.commit()
        refusal = await bot.type(f"/start m_{code}", user=778)
        await bot.tap("no", user=778)
        assert "không ghi gì" in "".join(c.text or "" for c in tg.sent_to(778)[len(refusal):])
        async with bot.runtime.db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Mentorship)) == 1
