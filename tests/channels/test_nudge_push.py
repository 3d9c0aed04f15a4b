"""A nudge on Telegram and Zalo through the real adapters: chosen in chat, queued by the job on a fake
Thursday evening, sent by the outbox worker, started with its one button (a tap, or "1" on Zalo),
and "DỪNG" stops the next ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bot.app.delivery import deliver_through
from bot.app.jobs import run_nudges
from bot.channels import Channels
from bot.db.staff import OutboxMessage
from bot.outbox.worker import OutboxWorker
from tests.channels.drivers import Platform
from tests.conversation.test_nudges import THURSDAY, moments


async def test_a_nudge_arrives_with_one_button_that_starts_the_lesson(tmp_path: Path, platform: Platform) -> None:
    async with platform.running(tmp_path, webhook=False) as bot:
        runtime = bot.runtime
        await bot.say("/start")
        await bot.choose("Đồng ý")
        await bot.say("Bà Lan")
        await bot.choose("Từ 60 tuổi trở lên")
        await bot.choose("Hưng Đạo")
        offer = await bot.say("tổ 5")
        assert "Nhắc tôi học?" in offer.texts[-1]
        await bot.choose("Có")
        await bot.choose("Thứ 5")
        saved = await bot.choose("Buổi tối (19:00–20:30)")
        assert "Thứ 5, buổi tối" in saved.texts[-1]
        await bot.choose("Thế là đủ")

        for moment in moments(THURSDAY, 1):  # the job, until it queues the nudge (then the worker sends it)
            if await run_nudges(runtime.db, runtime.settings, runtime.services.content, moment):
                break
        async with runtime.db.transaction() as session:  # Thursday evening has come on the real clock too
            await session.execute(update(OutboxMessage).values(not_before=datetime.now(UTC) - timedelta(seconds=1)))
        before = len(bot.fake.sent_to(bot.user_id))
        await OutboxWorker(runtime.db, deliver_through(Channels({platform.name: bot.channel})), poll=0.05) \
            .run_until_empty()
        [nudge] = bot.fake.sent_to(bot.user_id)[before:]
        assert (nudge.text or "").startswith("Chào Bà Lan! Bài tiếp: ")
        assert bot.options(nudge) == ["▶ Học ngay"]
        title = (nudge.text or "").split("Bài tiếp: ", 1)[1].split(" — ")[0]

        lesson = await bot.choose("▶ Học ngay")  # Telegram: the button's tap; Zalo: "1"
        assert title in lesson.texts[-1] and "Tiếp" in lesson.options

        stopped = await bot.say("DỪNG")
        assert "Đã dừng nhắc học, trên mọi kênh" in stopped.texts[0] and title in stopped.texts[-1]
        assert sum([await run_nudges(runtime.db, runtime.settings, runtime.services.content, m)
                    for m in moments(THURSDAY + timedelta(days=7), 1)]) == 0
