"""Progress you can see: this week's lessons (ward weeks, never a streak), a stamp per finished topic,
the mentor's list with stamps and last activity, and the weekly digest with its one-tap "Nhắc nhẹ"."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app.runtime import Runtime
from bot.core.messages import Incoming, Reply
from bot.db.learning import LessonProgress
from bot.db.models import User
from bot.db.network import Mentor, Mentorship
from bot.db.staff import OutboxMessage
from bot.lessons.rhythm import progress_of, week_start
from bot.network.digest import queue_digests, week_key
from tests.conftest import shipped_content

# Monday 8 Dec 2026, 09:30 in Hà Nội (UTC+7): the digest's hour.
MONDAY = datetime(2026, 12, 8, 2, 30, tzinfo=UTC)
SCOLDING = ("bỏ lỡ", "lâu rồi", "quên", "tuần trước", "chuỗi", "mất", "không học")


def test_weeks_are_ward_weeks_from_monday() -> None:
    sunday_night = datetime(2026, 12, 13, 16, 59, tzinfo=UTC)  # Sunday 23:59 in the ward
    assert week_start(sunday_night) == datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # Monday 00:00 ward time
    monday_morning = datetime(2026, 12, 13, 17, 1, tzinfo=UTC)  # Monday 00:01 in the ward
    assert week_start(monday_morning) == datetime(2026, 12, 13, 17, 0, tzinfo=UTC)
    assert week_key(sunday_night) == "2026-W50" and week_key(monday_morning) == "2026-W51"


async def person(runtime: Runtime, channel: str = "web", name: str = "Bà Lan", seen: datetime | None = None) -> User:
    async with runtime.db.transaction() as session:
        user = User(channel=channel, external_id=uuid.uuid4().hex, locale="vi", state="menu", state_data={},
                    consent_at=datetime(2026, 1, 1, tzinfo=UTC), display_name=name, last_seen_at=seen)
        session.add(user)
    return user


async def finish(runtime: Runtime, user: User, lesson_ids: list[str], when: datetime) -> None:
    content = shipped_content()
    async with runtime.db.transaction() as session:
        for lesson_id in lesson_ids:
            session.add(LessonProgress(user_id=user.id, lesson_id=lesson_id, topic_id=content.lessons[lesson_id].topic,
                                       step=0, started_at=when, updated_at=when, completed_at=when))


def topic_lessons(topic: str) -> list[str]:
    return [lesson.id for lesson in shipped_content().lessons_by_topic[topic]]


async def test_this_weeks_lessons_and_stamps_from_the_progress_rows(runtime: Runtime) -> None:
    content = shipped_content()
    user = await person(runtime)
    safety = topic_lessons("antoan")
    await finish(runtime, user, safety[:-1], MONDAY - timedelta(days=9))  # the week before last
    await finish(runtime, user, [safety[-1], topic_lessons("vneid")[0]], MONDAY - timedelta(hours=2))  # this Monday
    async with runtime.db.sessions() as session:
        now = await progress_of(session, content, user.id, MONDAY)
        next_week = await progress_of(session, content, user.id, MONDAY + timedelta(days=7))
    assert (now.this_week, now.finished, [t.id for t in now.stamps]) == (2, len(safety) + 1, ["antoan"])
    assert (next_week.this_week, [t.id for t in next_week.stamps]) == (0, ["antoan"])  # a stamp stays


async def send(runtime: Runtime, user: User, text: str | None = None, option: str | None = None) -> list[Reply]:
    return await runtime.engine.handle(Incoming(user.channel, user.external_id, uuid.uuid4().hex, text=text,
                                                option=option))


async def test_my_certificates_shows_the_week_and_the_stamps_without_scolding(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    learner = await person(runtime)
    await finish(runtime, learner, topic_lessons("antoan"), week_start(now) + timedelta(seconds=1))
    text = (await send(runtime, learner, "chứng nhận của tôi"))[-1].text
    assert f"📅 Tuần này bạn đã học {len(topic_lessons('antoan'))} bài." in text
    assert "🏅 Con dấu An toàn" in text and "Con dấu VNeID" not in text

    away = await person(runtime, name="Ông Hải")
    await finish(runtime, away, topic_lessons("vneid")[:1], week_start(now) - timedelta(days=20))
    text = (await send(runtime, away, "chứng nhận của tôi"))[-1].text
    assert text.startswith("📅 Tuần mới đã bắt đầu. Bạn học lúc nào tiện cũng được.")
    assert "Học xong mọi bài của một chủ đề, bạn nhận một con dấu" in text
    assert not any(word in text.lower() for word in SCOLDING), text


async def mentor_with(runtime: Runtime, mentees: list[User]) -> tuple[User, Mentor]:
    account = await person(runtime, channel="telegram", name="Anh Tuấn", seen=MONDAY)
    async with runtime.db.transaction() as session:
        mentor = Mentor(user_id=account.id, full_name="Anh Tuấn", organisation="doan-thanh-nien", status="approved")
        session.add(mentor)
        await session.flush()
        for mentee in mentees:
            session.add(Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, how="invite",
                                   started_at=MONDAY - timedelta(days=60)))
    return account, mentor


async def test_the_mentors_list_shows_last_activity_and_stamps(runtime: Runtime) -> None:
    lan = await person(runtime, channel="zalo", seen=datetime(2026, 11, 20, 3, tzinfo=UTC))
    await finish(runtime, lan, topic_lessons("antoan"), datetime(2026, 11, 20, 3, tzinfo=UTC))
    account, _ = await mentor_with(runtime, [lan])
    replies = await send(runtime, account, "đại sứ số")
    row = next(line for r in replies for line in r.text.splitlines() if line.startswith("• Bà Lan"))
    assert "lần cuối 20/11/2026" in row and row.endswith("🏅 An toàn")


async def outbox(runtime: Runtime, user: User) -> list[OutboxMessage]:
    async with runtime.db.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id)
                                          .order_by(OutboxMessage.id)))


async def test_weekly_digest_lists_mentees_away_14_days_and_nhac_nhe_reaches_them(runtime: Runtime) -> None:
    lan = await person(runtime, channel="zalo", name="Bà Lan", seen=MONDAY - timedelta(days=15))
    hai = await person(runtime, channel="telegram", name="Ông Hải", seen=MONDAY - timedelta(days=13))
    account, _ = await mentor_with(runtime, [lan, hai])
    busy, _ = await mentor_with(runtime, [await person(runtime, name="Cô Mai", seen=MONDAY - timedelta(days=1))])

    async with runtime.db.transaction() as session:
        assert await queue_digests(session, MONDAY - timedelta(hours=3)) == 0  # 06:30: too early in the ward
        assert await queue_digests(session, MONDAY) == 1  # only the mentor with someone away
        assert await queue_digests(session, MONDAY + timedelta(hours=3)) == 0  # once a week
    [digest] = await outbox(runtime, account)
    assert digest.kind == "digest" and digest.priority == 1
    assert digest.text.splitlines() == [
        "📋 Tuần này có 1 người bạn giúp chưa ghé lại từ 14 ngày trở lên:",
        "• Bà Lan: lần cuối 23/11/2026",
        "Bấm \"Nhắc nhẹ\" để gửi họ một lời hỏi thăm ngắn.",
    ]
    assert digest.options == [{"id": f"gentle:{lan.id}", "label": "💌 Nhắc nhẹ Bà Lan"}]
    assert await outbox(runtime, busy) == []

    replies = await send(runtime, account, option=f"gentle:{lan.id}")  # tapped from the pushed message
    assert replies[-1].text == "Đã gửi lời nhắc nhẹ tới Bà Lan." and replies[-1].options
    [note] = await outbox(runtime, lan)
    assert note.kind == "gentle" and note.text.startswith("🌷 Anh Tuấn gửi lời hỏi thăm bạn.")
    assert len(note.text) <= 160 and not any(word in note.text.lower() for word in SCOLDING)
    again = await send(runtime, account, option=f"gentle:{lan.id}")
    assert "đã nhận một lời nhắc trong tuần này rồi" in again[-1].text and len(await outbox(runtime, lan)) == 1

    stranger, _ = await mentor_with(runtime, [])
    refused = await send(runtime, stranger, option=f"gentle:{lan.id}")  # not their mentee: reaches nobody
    assert "gentle" not in refused[-1].text and len(await outbox(runtime, lan)) == 1
    resident = await person(runtime, channel="telegram", name="Bà Tư")
    await send(runtime, resident, option=f"gentle:{lan.id}")
    assert len(await outbox(runtime, lan)) == 1

    async with runtime.db.transaction() as session:  # next Monday, still away: listed again
        assert await queue_digests(session, MONDAY + timedelta(days=7)) == 1


async def test_deleting_a_mentee_withdraws_the_digest_that_names_them(runtime: Runtime) -> None:
    """A digest names several mentees and so is about none alone: it goes with any of them, sent or not."""
    from bot.people.audit import Actor
    from bot.privacy.erase import erase_person

    lan = await person(runtime, channel="zalo", name="Bà Lan", seen=MONDAY - timedelta(days=15))
    hai = await person(runtime, channel="telegram", name="Ông Hải", seen=MONDAY - timedelta(days=20))
    account, _ = await mentor_with(runtime, [lan, hai])
    other, _ = await mentor_with(runtime, [await person(runtime, name="Cô Mai", seen=MONDAY - timedelta(days=30))])
    async with runtime.db.transaction() as session:
        assert await queue_digests(session, MONDAY) == 2
    [digest] = await outbox(runtime, account)
    assert "Bà Lan" in digest.text and "Ông Hải" in digest.text
    async with runtime.db.transaction() as session:
        gone = await session.get(User, lan.id)
        assert gone is not None
        await erase_person(session, gone, Actor("cli", "test"), "asked")
    left = await outbox(runtime, account)
    assert all("Bà Lan" not in m.text for m in left) and all(m.kind != "digest" for m in left)
    assert [m.kind for m in await outbox(runtime, other)] == ["digest"]  # another mentor's digest stays
