"""The Đại sứ số network: residents in the web chat, mentors on Telegram (their work reaches other
people, so it belongs to a Telegram or Zalo account); mentees, help requests, households, group sessions."""

from __future__ import annotations

import itertools
import re
import uuid

from sqlalchemy import func, select, update

from bot.core.limits import InboundGuard, Limit
from bot.core.messages import Incoming
from bot.db.learning import Certificate, LessonProgress, QuizAttempt
from bot.db.models import User
from bot.db.network import HelpSession, HelpSessionAttendee, Mentor, Mentorship
from bot.db.staff import OutboxMessage
from bot.network import mentors as net
from bot.people.audit import Actor
from bot.web.api import reply_json
from bot.web.keys import RUNTIME

TEST = Actor("test", "test")
_updates = itertools.count(1)


class Person:
    """One person: a resident in the web chat, or (channel "telegram") someone on Telegram."""

    def __init__(self, client, name: str, channel: str = "web") -> None:
        self.client, self.name, self.channel = client, name, channel
        self.id = uuid.uuid4().hex if channel == "web" else str(900_000 + next(_updates))
        self.replies: list[dict] = []
        self.runtime = client.app[RUNTIME]
        self.runtime.inbound = InboundGuard(Limit("inbound", 100_000, 10.0))  # faster than any person

    async def say(self, text: str | None = None, option: str | None = None) -> list[dict]:
        if self.channel != "web":
            replies = await self.runtime.engine.handle(Incoming(self.channel, self.id, f"u{next(_updates)}",
                                                                text=text, option=option))
            self.replies = [reply_json(reply, self.runtime.settings) for reply in replies]
            return self.replies
        body = {"user_id": self.id, **({"text": text} if text is not None else {"option": option})}
        response = await self.client.post("/api/messages", json=body)
        assert response.status == 200, await response.text()
        self.replies = (await response.json())["replies"]
        return self.replies

    async def inbox(self) -> str:
        """Messages queued for this Telegram person since the last look (the outbox worker would send them)."""
        async with self.runtime.db.transaction() as session:
            me = await session.scalar(select(User.id).where(User.channel == self.channel, User.external_id == self.id))
            rows = list(await session.scalars(select(OutboxMessage).where(
                OutboxMessage.user_id == me, OutboxMessage.status == "queued").order_by(OutboxMessage.id)))
            await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([r.id for r in rows]))
                                  .values(status="sent"))
        return "\n".join(row.text for row in rows)

    def code(self) -> str:
        found = re.search(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b", self.text)
        assert found is not None, self.text
        return found.group(0)

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.replies)

    @property
    def screen(self) -> str:
        return self.replies[-1]["screen"]

    async def onboard(self, tdp: str = "tổ 3") -> None:
        for text in ["/start", "đồng ý", self.name, "2", "hung dao", tdp, "để sau"]:
            await self.say(text)
        assert self.screen == "menu"


async def user_id(runtime, person: Person) -> int:
    async with runtime.db.sessions() as session:
        return await session.scalar(select(User.id).where(User.external_id == person.id))


async def invite_code(mentor: Person) -> str:
    """A fresh single-use invitation from the mentor's "Mời người học" screen."""
    await mentor.say("menu")
    await mentor.say("dai su so")
    await mentor.say("moi nguoi hoc")
    return mentor.code()


async def make_mentor(runtime, client, name: str = "Anh Tuấn", tdp: str = "tổ 3",
                      full_name: str = "Nguyễn Minh Tuấn", org: str = "doan thanh nien") -> tuple[Person, str]:
    mentor = Person(client, name, channel="telegram")
    await mentor.onboard(tdp)
    await mentor.say("dang ky lam dai su so")
    await mentor.say(full_name)
    await mentor.say(org)
    assert "Đã gửi đơn" in mentor.text
    async with runtime.db.transaction() as session:
        row = await session.scalar(select(Mentor).where(Mentor.full_name == full_name))
        assert row.status == "pending"
        await net.decide(session, row, True, TEST)
    await mentor.inbox()
    return mentor, await invite_code(mentor)


async def test_approve_invite_consent_pair_and_refusal(runtime, client) -> None:
    mentor, code = await make_mentor(runtime, client)
    await mentor.say("menu")
    assert mentor.replies[-1]["options"][0]["label"] == "Đại sứ số"
    await mentor.say("dai su so")
    assert "Người tôi hướng dẫn: 0/5 — cần thêm 5" in mentor.text

    refuser = Person(client, "Bà Hoa")
    await refuser.onboard()
    await refuser.say("nhap ma")
    await refuser.say(code.lower())
    assert "Đồng ý để Nguyễn Minh Tuấn" in refuser.text
    await refuser.say("khong, cam on")
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Mentorship)) == 0

    mentee = Person(client, "Bà Lan")
    await mentee.onboard()
    await mentee.say("nhap ma")
    await mentee.say(code)
    await mentee.say("co")
    assert "là người hướng dẫn của bạn" in mentee.text
    assert "🎉 Bà Lan đã nhận lời" in await mentor.inbox()  # the alert is queued for the mentor's Telegram
    await mentor.say("menu")
    await mentor.say("dai su so")
    assert "Người tôi hướng dẫn: 1/5 — cần thêm 4" in mentor.text and "• Bà Lan" in mentor.text


async def test_offline_mentee_with_recorded_lesson_counts_toward_five(runtime, client) -> None:
    mentor, _ = await make_mentor(runtime, client)
    await mentor.say("dai su so")
    await mentor.say("ghi nguoi khong co dien thoai")
    await mentor.say("Trần Thị Tư")
    await mentor.say("tu 60 tuoi tro len")
    await mentor.say("0912345678")
    await mentor.say("da dong y")
    assert mentor.screen == "mentor.mentee" and "Trần Thị Tư" in mentor.text
    await mentor.say("ghi bai da hoc cung")
    await mentor.say(option="topic:vneid")
    await mentor.say("1")
    await mentor.say("30 phut")
    await mentor.say("tai nha")
    assert "Đã ghi buổi hướng dẫn: 1 người" in mentor.text
    assert "Người tôi hướng dẫn: 1/5" in mentor.text
    async with runtime.db.sessions() as session:
        tu = await session.scalar(select(User).where(User.display_name == "Trần Thị Tư"))
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 0  # a session is no quiz

    await mentor.say(option="mentees")
    await mentor.say(option=f"mentee:{tu.id}")
    await mentor.say("lam bai kiem tra cung")
    await mentor.say(option="topic:vneid")
    while mentor.screen == "mentor.quiz":
        async with runtime.db.sessions() as session:
            attempt = await session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == tu.id))
        question = runtime.services.content.question(attempt.question_ids[len(attempt.answers)])
        await mentor.say(option=f"q{attempt.orders[len(attempt.answers)].index(question.answer)}")
    assert "Trần Thị Tư đúng 10/10" in mentor.text and "Giấy chứng nhận của người học" in mentor.text
    assert any(reply["document_url"] for reply in mentor.replies)
    async with runtime.db.sessions() as session:
        assert tu.channel == "offline" and tu.phone_masked == "09******78"
        assert await session.scalar(select(func.count()).select_from(LessonProgress)
                                    .where(LessonProgress.user_id == tu.id, LessonProgress.completed_at.is_not(None))) == 1
        assert await session.scalar(select(Certificate.topic_id).where(Certificate.user_id == tu.id)) == "vneid"
        attempt = await session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == tu.id))
        assert attempt.passed and all(answer["with_mentor"] for answer in attempt.answers)
        assert (await session.scalar(select(HelpSession))).place == "tai-nha"


async def test_switch_and_leave(runtime, client) -> None:
    _first, code1 = await make_mentor(runtime, client)
    _second, code2 = await make_mentor(runtime, client, "Chị Mai", full_name="Lê Thị Mai", org="hoi phu nu")
    mentee = Person(client, "Ông Ba")
    await mentee.onboard()
    for code in (code1, code2):
        await mentee.say("menu")
        await mentee.say("nhap ma")
        await mentee.say(code)
        await mentee.say("co")
    async with runtime.db.sessions() as session:
        active = list(await session.scalars(select(Mentorship).where(Mentorship.ended_at.is_(None))))
    assert len(active) == 1
    await mentee.say("menu")
    await mentee.say("nho nguoi huong dan")
    assert "Lê Thị Mai" in mentee.text
    await mentee.say("thoi nhan huong dan")
    assert "Lê Thị Mai" in mentee.text and mentee.screen == "mentee.mine"  # asked first, not done on one tap
    await mentee.say("co, thoi nhan huong dan")
    assert "không còn xem được" in mentee.text
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Mentorship).where(Mentorship.ended_at.is_(None))) == 0


async def test_help_request_reaches_mentor_with_context_and_answer_returns(runtime, client) -> None:
    mentor, code = await make_mentor(runtime, client)
    mentee = Person(client, "Bà Lan")
    await mentee.onboard()
    await mentee.say("nhap ma")
    await mentee.say(code)
    await mentee.say("co")
    await mentee.say("hoc bai")
    await mentee.say("bo qua ca ba cau")
    await mentee.say(option="topic:vneid")
    await mentee.say(option="lesson:vneid-2")
    await mentee.say("tiep")
    await mentee.say("nho nguoi huong dan")
    assert mentee.screen == "help_request.new"
    await mentee.say("Tôi không tìm thấy nút cài đặt, số tôi 0912345678")
    assert "bước 2" in mentee.text
    await mentee.say("gui")
    assert mentee.screen == "lesson.step" and "Bước 2/" in mentee.text

    alert = await mentor.inbox()
    assert "Bà Lan nhờ giúp" in alert and "Tải VNeID đúng chỗ" in alert and "bước 2" in alert
    await mentor.say("dai su so")
    await mentor.say("cau hoi cho tra loi")
    assert "<phone>" in mentor.text and "0912345678" not in mentor.text  # the list masks numbers
    await mentor.say("1")
    await mentor.say("Bác mở CH Play, gõ VNeID, bấm Cài đặt nhé.")
    assert "Đã gửi câu trả lời" in mentor.text
    await mentee.say("tiep")
    assert "Nguyễn Minh Tuấn trả lời" in mentee.replies[0]["text"] and "CH Play" in mentee.replies[0]["text"]


async def test_no_mentor_reaches_the_tdp_team(runtime, client) -> None:
    team_member, _ = await make_mentor(runtime, client, tdp="tổ 4")
    learner = Person(client, "Cô Hằng")
    await learner.onboard(tdp="tổ 4")
    await learner.say("nho nguoi huong dan")
    assert "chưa có người hướng dẫn" in learner.text
    await learner.say("gui cau hoi")
    await learner.say("Làm sao đăng nhập dịch vụ công?")
    await learner.say("gui")
    assert "Cô Hằng nhờ giúp" in await team_member.inbox()
    await team_member.say("menu")
    await team_member.say("dai su so")
    await team_member.say("cau hoi cho tra loi")
    assert "đăng nhập dịch vụ công" in team_member.text


async def test_privacy_other_mentor_cannot_see_my_mentees_and_codes_are_throttled(runtime, client) -> None:
    mine, code = await make_mentor(runtime, client)
    mentee = Person(client, "Bà Lan")
    await mentee.onboard()
    await mentee.say("nhap ma")
    await mentee.say(code)
    await mentee.say("co")
    other, _ = await make_mentor(runtime, client, "Chị Mai", full_name="Lê Thị Mai", org="khac")
    lan = await user_id(runtime, mentee)
    await other.say("menu")
    await other.say("dai su so")
    assert "Bà Lan" not in other.text
    await other.say(option=f"mentee:{lan}")  # a forged button
    assert "Bà Lan" not in other.text
    async with runtime.db.transaction() as session:  # even with the screen forced open
        user = await session.scalar(select(User).where(User.external_id == other.id))
        user.state, user.state_data = "mentor.mentee", {"data": {"mentee": lan}, "options": [{"id": "encourage", "label": "x"}]}
    await other.say(option="encourage")
    assert "không nằm trong danh sách" in other.text

    guesser = Person(client, "Kẻ đoán mã")
    await guesser.onboard()
    await guesser.say("nhap ma")
    for attempt in range(5):
        await guesser.say(f"ZZZZ{attempt}ZZZ")
        assert "không đúng" in guesser.text
    await guesser.say(await invite_code(mine))  # even a right code is refused while throttled
    assert "chờ 10 phút" in guesser.text
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Mentorship)) == 1


async def test_household_create_join_and_digital_family(runtime, client) -> None:
    grandma = Person(client, "Bà Lan")
    await grandma.onboard()
    await grandma.say("gia dinh so")
    await grandma.say("tao gia dinh")
    await grandma.say("Nhà bà Lan")
    assert "Mã gia đình" in grandma.text
    code = grandma.code()
    assert "Chưa là Gia đình số" in grandma.text
    grandson = Person(client, "Cháu Nam")
    await grandson.onboard()
    await grandson.say("nhap ma")
    await grandson.say(code)
    await grandson.say("co")
    assert "Cháu Nam" in grandson.text and "Bà Lan" in grandson.text
    async with runtime.db.transaction() as session:
        session.add(Certificate(code="ABCD-EFGH-JKLM", user_id=await user_id(runtime, grandson), topic_id="vneid",
                                holder_name="Cháu Nam", topics=["vneid"]))
    await grandma.say("menu")
    await grandma.say("gia dinh so")
    assert "✓ Đã là Gia đình số" in grandma.text


async def test_group_session_of_eight_updates_all_records(runtime, client) -> None:
    mentor, _ = await make_mentor(runtime, client)
    for n in range(8):
        await mentor.say("menu")
        await mentor.say("dai su so")
        await mentor.say("ghi nguoi khong co dien thoai")
        await mentor.say(f"Người học {n + 1}")
        await mentor.say("3")
        await mentor.say("bo qua")
        await mentor.say("da dong y")
    await mentor.say("menu")
    await mentor.say("dai su so")
    assert "Người tôi hướng dẫn: 8/5 ✓" in mentor.text
    await mentor.say("ghi buoi huong dan")
    await mentor.say("chon tat ca")
    assert "Đã chọn 8 người" in mentor.text
    await mentor.say("xong")
    await mentor.say(option="topic:antoan")
    await mentor.say("2")
    await mentor.say("60 phut")
    await mentor.say("lop hoc")
    assert "Đã ghi buổi hướng dẫn: 8 người" in mentor.text
    async with runtime.db.sessions() as session:
        session_row = await session.scalar(select(HelpSession))
        assert session_row.is_group and session_row.minutes == 60 and session_row.place == "lop-hoc"
        assert await session.scalar(select(func.count()).select_from(HelpSessionAttendee)) == 8
        done = await session.scalar(select(func.count()).select_from(LessonProgress).where(
            LessonProgress.lesson_id == "antoan-2", LessonProgress.completed_at.is_not(None)))
        assert done == 8
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 0  # attendance is no quiz
