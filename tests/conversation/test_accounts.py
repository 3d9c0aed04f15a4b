"""The same person on Zalo and Telegram: two accounts until they link them, then one path."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.learning import LessonProgress
from bot.db.models import User
from tests.conftest import Chat


async def test_link_merges_progress_and_continues_on_both_channels(runtime) -> None:
    telegram = Chat(runtime, user="111", channel="telegram")
    zalo = Chat(runtime, user="zz-1", channel="zalo")
    await telegram.onboard(name="Bà Lan")
    await zalo.send("/start")
    await zalo.send("de sau")
    for chat, lesson in ((telegram, "vneid-1"), (zalo, "antoan-1")):
        await chat.send("hoc bai")
        await chat.send("bo qua ca ba cau")
        await chat.send(option=f"topic:{lesson.split('-')[0]}")
        await chat.send(option=f"lesson:{lesson}")
        while chat.screen == "lesson.step":
            await chat.send("tiep")
        await chat.send("tiep")
        await chat.send("1")
        await chat.send("menu")

    await telegram.send("cai dat")
    await telegram.send("thong tin cua toi")
    await telegram.send("lien ket tai khoan")
    await telegram.send("lay ma lien ket")
    code = telegram.code()
    await zalo.send("nhap ma")
    await zalo.send("ABCD-EFGH")  # a wrong code changes nothing
    await zalo.send("nhap ma")
    await zalo.send(code)
    assert "Đã liên kết" in zalo.text and "Chào Bà Lan" in zalo.text

    async with runtime.db.sessions() as session:
        tg = await session.scalar(select(User).where(User.external_id == "111"))
        za = await session.scalar(select(User).where(User.external_id == "zz-1"))
        lessons = set(await session.scalars(select(LessonProgress.lesson_id).where(LessonProgress.user_id == tg.id)))
    assert za.merged_into_id == tg.id and lessons == {"vneid-1", "antoan-1"}
    await zalo.send("hoc bai")
    assert "✓" in zalo.text or "1/" in zalo.text
    await zalo.send("nhap ma")
    await zalo.send(code)  # one use only
    assert "không đúng" in zalo.text
