"""The console's pages as a staff member uses them: what they read, and what residents then receive."""

from __future__ import annotations

import html
import re
from pathlib import Path

from sqlalchemy import func, select

from bot.db.learning import UnansweredQuestion
from bot.db.models import AuditEntry, Tdp, User
from bot.db.network import HelpRequest, Mentor
from bot.db.staff import Broadcast, OutboxMessage
from bot.network.mentors import request_mentor
from tests.conftest import Chat
from tests.staff.conftest import add_identity, audit_rows, csrf_of, sign_in


async def text_of(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", await response.text()))


async def resident(runtime, name: str, tdp: str = "tổ 5", channel: str = "web") -> Chat:
    chat = Chat(runtime, channel=channel)
    await chat.onboard(name, tdp)
    return chat


async def user_of(runtime, chat: Chat) -> User:
    async with runtime.db.sessions() as session:
        user = await session.scalar(select(User).where(User.external_id == chat.user))
    assert user is not None
    return user


async def staff_in(console, runtime, role: str = "staff", tdp_number: int | None = None) -> User:
    staff = await add_identity(runtime, "9001", role=role, tdp_number=tdp_number)
    await sign_in(console, runtime, staff)
    return staff


async def test_overview_counts_each_tdp_against_the_target(console, runtime) -> None:
    await resident(runtime, "Bà Lan")
    await resident(runtime, "Ông Ba", channel="telegram")
    await staff_in(console, runtime)
    page = await text_of(await console.get("/staff"))
    assert "Tổng quan" in page and "Tiến độ từng tổ dân phố" in page and "Quý" in page
    row = re.search(r"Tổ dân phố số 5 \*?\s+([\d.]+)\s+(\d+)", page)
    assert row is not None and row.group(2) == "2", page[:3000]
    assert "(giờ Việt Nam, UTC+7)" in page and "Mục tiêu năm nay" in page


async def test_english_is_one_tap_away(console, runtime) -> None:
    await staff_in(console, runtime)
    await console.get("/staff/language", params={"to": "en", "back": "/staff/mentors"})
    page = await text_of(await console.get("/staff/mentors"))
    assert "Applications waiting (0)" in page and "Vietnam time (UTC+7)" in page


async def test_a_broadcast_to_one_tdp_counts_and_reaches_web_and_telegram_residents(console, runtime) -> None:
    web = await resident(runtime, "Bà Lan")
    telegram = await resident(runtime, "Ông Ba", channel="telegram")
    await resident(runtime, "Cô Tư", tdp="tổ 6")
    await staff_in(console, runtime)
    page = await console.get("/staff/broadcasts")
    assert page.status == 200
    refs = re.findall(r'<option value="([a-z\-]+/5)"', await page.text())
    assert refs and refs[0].startswith("hung-dao/")
    counted = await (await console.get("/staff/broadcasts/count", params={"audience": "tdp", "tdp": refs[0]})).json()
    assert counted["channels"] == {"telegram": 1, "zalo": 0, "web": 1} and "trang web 1" in counted["text"]
    token = await csrf_of(console, "/staff/broadcasts")
    sent = await console.post("/staff/broadcasts", data={"csrf": token, "text": "Họp tổ 5 lúc 19h tối thứ Sáu.",
                                                          "audience": "tdp", "tdp": refs[0], "urgent": "1"})
    assert sent.status == 200
    assert "Đã đưa thông báo vào hàng gửi cho 2 người." in await text_of(sent)
    async with runtime.db.sessions() as session:
        rows = list(await session.execute(select(User.external_id, OutboxMessage.text).join(
            User, User.id == OutboxMessage.user_id).where(OutboxMessage.kind == "broadcast")))
    assert {r[0] for r in rows} == {web.user, telegram.user}
    assert all("tắt thông báo" in r[1] for r in rows)
    replies = await web.send("menu")  # the web resident sees it at their next turn
    assert any("Họp tổ 5 lúc 19h" in r.text for r in replies)
    status = await (await console.get("/staff/broadcasts/status")).json()
    (counts,) = status.values()
    assert counts["sent"] == 1 and counts["queued"] == 1 and counts["percent"] == 50
    assert [e.actor for e in await audit_rows(runtime, "broadcast.send")] == ["telegram:9001"]


async def test_a_queued_broadcast_can_be_cancelled(console, runtime) -> None:
    await resident(runtime, "Ông Ba", channel="telegram")
    await staff_in(console, runtime)
    token = await csrf_of(console, "/staff/broadcasts")
    await console.post("/staff/broadcasts", data={"csrf": token, "text": "Lịch họp", "audience": "all",
                                                  "at": "2099-01-02T08:00"})
    async with runtime.db.sessions() as session:
        broadcast = await session.scalar(select(Broadcast))
    assert broadcast is not None
    cancelled = await console.post(f"/staff/broadcasts/{broadcast.id}/cancel", data={"csrf": token})
    page = await text_of(cancelled)
    assert "Đã hủy: 2 tin chưa gửi được rút lại." in page  # the resident and the staff member (Telegram)
    assert "08:00 02/01/2099 (giờ Việt Nam, UTC+7)" in page


async def test_bad_broadcast_input_gets_a_clear_answer(console, runtime) -> None:
    await staff_in(console, runtime)
    token = await csrf_of(console, "/staff/broadcasts")
    empty = await console.post("/staff/broadcasts", data={"csrf": token, "text": "", "audience": "all"})
    assert empty.status == 400 and "Nội dung trống" in await text_of(empty)
    past = await console.post("/staff/broadcasts", data={"csrf": token, "text": "Chào", "audience": "all",
                                                         "at": "2001-01-01T08:00"})
    assert past.status == 400 and "Giờ gửi đã qua" in await text_of(past)
    nobody = await console.post("/staff/broadcasts", data={"csrf": token, "text": "Chào", "audience": "age", "age": "u16"})
    assert nobody.status == 400 and "Không có ai nhận" in await text_of(nobody)


async def test_answering_a_question_group_reaches_everyone_who_asked(console, runtime) -> None:
    lan = await resident(runtime, "Bà Lan")
    ba = await resident(runtime, "Ông Ba", channel="telegram")
    async with runtime.db.transaction() as session:
        for chat, text in ((lan, "làm sao đổi ảnh đại diện zalo"), (ba, "lam sao doi anh dai dien zalo")):
            user = await session.scalar(select(User).where(User.external_id == chat.user))
            session.add(UnansweredQuestion(text=text, channel=chat.channel, user_id=user.id if user else None))
    await staff_in(console, runtime)
    page = await console.get("/staff/questions")
    shown = await text_of(page)
    assert "Đã hỏi 2 lần" in shown
    group = re.search(r'name="group" value="([^"]+)"', await page.text())
    assert group is not None
    token = await csrf_of(console, "/staff/questions")
    answered = await console.post("/staff/questions/answer", data={
        "csrf": token, "group": html.unescape(group.group(1)),
        "answer": "Bạn mở Zalo, bấm vào ảnh của mình, chọn Đổi ảnh đại diện."})
    assert "Đã gửi câu trả lời cho 2 người đã hỏi." in await text_of(answered)
    replies = await lan.send("menu")
    assert any("chọn Đổi ảnh đại diện" in r.text for r in replies)
    async with runtime.db.sessions() as session:
        to_ba = await session.scalar(select(OutboxMessage.text).join(User, User.id == OutboxMessage.user_id)
                                     .where(User.external_id == ba.user, OutboxMessage.kind == "answer"))
    assert to_ba is not None and "Đổi ảnh đại diện" in to_ba
    assert "Không còn câu hỏi nào chờ trả lời." in await text_of(await console.get("/staff/questions"))


async def test_a_question_becomes_a_faq_draft(console, runtime) -> None:
    lan = await resident(runtime, "Bà Lan")
    async with runtime.db.transaction() as session:
        user = await session.scalar(select(User).where(User.external_id == lan.user))
        session.add(UnansweredQuestion(text="cách chặn tin nhắn rác", channel="web", user_id=user.id if user else None))
    await staff_in(console, runtime)
    token = await csrf_of(console, "/staff/questions")
    done = await console.post("/staff/questions/draft", data={"csrf": token, "group": "cách chặn tin nhắn rác",
                                                              "topic": "general"})
    assert "Đã tạo bản nháp" in await text_of(done)
    drafts = (runtime.services.files_dir.parent / "faq-drafts.yaml").read_text(encoding="utf-8")
    assert 'question: "cách chặn tin nhắn rác"' in drafts


async def test_approving_a_mentor_tells_them(console, runtime) -> None:
    applicant = await add_identity(runtime, "8001", role="learner", name="Anh Nam")
    async with runtime.db.transaction() as session:
        user = await session.get(User, applicant.id)
        assert user is not None
        mentor = await request_mentor(session, user, "Nguyễn Văn Nam", "doan-thanh-nien", None)
    await staff_in(console, runtime)
    page = await text_of(await console.get("/staff/mentors"))
    assert "Đơn đăng ký chờ duyệt (1)" in page and "Nguyễn Văn Nam" in page
    token = await csrf_of(console, "/staff/mentors")
    done = await text_of(await console.post(f"/staff/mentors/{mentor.id}/decide", data={"csrf": token, "decision": "approve"}))
    assert "Đã duyệt." in done and "Đại sứ số đang hoạt động (1)" in done and "0/5" in done
    async with runtime.db.sessions() as session:
        assert (await session.get(Mentor, mentor.id)).status == "approved"
        told = await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == applicant.id))
    assert told == 1
    assert [e.actor for e in await audit_rows(runtime, "mentor.approve")] == ["telegram:9001"]


async def test_a_help_request_answered_from_the_console(console, runtime) -> None:
    lan = await resident(runtime, "Bà Lan")
    user = await user_of(runtime, lan)
    async with runtime.db.transaction() as session:
        session.add(HelpRequest(mentee_id=user.id, tdp_id=user.tdp_id, question="Tôi quên mật khẩu VNeID, số 0912345678"))
    await staff_in(console, runtime)
    page = await text_of(await console.get("/staff/help"))
    assert "quên mật khẩu VNeID" in page and "0912345678" not in page and "chưa có Đại sứ số" in page
    async with runtime.db.sessions() as session:
        request = await session.scalar(select(HelpRequest))
    token = await csrf_of(console, "/staff/help")
    done = await text_of(await console.post(f"/staff/help/{request.id}/answer",
                                            data={"csrf": token, "answer": "Bạn mang căn cước ra công an phường nhé."}))
    assert "Đã gửi câu trả lời" in done
    replies = await lan.send("menu")
    assert any("mang căn cước ra công an phường" in r.text for r in replies)


async def test_people_search_masks_and_a_delete_needs_confirmation(console, runtime) -> None:
    lan = await resident(runtime, "Bà Lan")
    user = await user_of(runtime, lan)
    await staff_in(console, runtime)
    found = await text_of(await console.get("/staff/people", params={"q": "lan"}))
    assert "Bà Lan" in found and lan.user not in found and f"web:…{lan.user[-3:]}" in found
    token = await csrf_of(console, f"/staff/people/{user.id}")
    copy = await console.post(f"/staff/people/{user.id}/export", data={"csrf": token})
    assert "Bản sao đã sẵn sàng" in await text_of(copy)
    link = re.search(rf'href="(/staff/people/{user.id}/copies/[^"]+\.json)"', await copy.text())
    assert link is not None
    assert "Bà Lan" in await (await console.get(link.group(1))).text()
    kept = await console.post(f"/staff/people/{user.id}/delete", data={"csrf": token})
    assert "Chưa xóa" in await text_of(kept)
    gone = await console.post(f"/staff/people/{user.id}/delete", data={"csrf": token, "confirm": "yes"})
    assert "Đã xóa toàn bộ dữ liệu" in await text_of(gone)
    async with runtime.db.sessions() as session:
        assert await session.get(User, user.id) is None
        actions = list(await session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "telegram:9001")))
    assert "data.export" in actions and "data.delete" in actions
    assert (await console.get(link.group(1))).status == 404  # the copy staff made went with the person
    assert not [p for p in Path(runtime.services.files_dir).rglob("*.json") if "Bà Lan" in p.read_text("utf-8")]


async def test_a_tdp_leader_finds_only_their_tdp(console, runtime) -> None:
    await resident(runtime, "Bà Lan", tdp="tổ 6")
    await staff_in(console, runtime, role="tdp-leader", tdp_number=5)
    assert "Không tìm thấy ai." in await text_of(await console.get("/staff/people", params={"q": "lan"}))
    assert (await console.get("/staff/reports")).status == 403


async def test_a_quarterly_report_to_download(console, runtime) -> None:
    await resident(runtime, "Bà Lan")
    await staff_in(console, runtime)
    token = await csrf_of(console, "/staff/reports")
    made = await console.post("/staff/reports", data={"csrf": token, "kind": "quarterly", "year": "2026", "quarter": "4",
                                                      "ward": "hung-dao"})
    assert made.status == 200 and "Báo cáo đã xong" in await text_of(made)
    link = re.search(r'href="(/staff/reports/files/[^"]+\.xlsx)"', await made.text())
    chart = re.search(r'src="(/staff/reports/files/[^"]+\.png)"', await made.text())
    assert link and chart
    workbook = await console.get(link.group(1))
    assert workbook.status == 200 and (await workbook.read())[:2] == b"PK"
    assert (await (await console.get(chart.group(1))).read())[:4] == b"\x89PNG"
    pdf = await console.get(link.group(1).replace(".xlsx", ".pdf"))
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(BytesIO(await pdf.read())).pages)
    assert "Quý IV/2026, phường Hưng Đạo:" in text and "Tổ dân phố số 5" in text


async def test_units_are_corrected_and_audited(console, runtime) -> None:
    await staff_in(console, runtime)
    async with runtime.db.sessions() as session:
        tdp = await session.scalar(select(Tdp).order_by(Tdp.id))
    assert tdp is not None
    token = await csrf_of(console, "/staff/units")
    await console.post(f"/staff/units/{tdp.id}", data={"csrf": token, "adults": "812", "households": "240"})
    async with runtime.db.sessions() as session:
        saved = await session.get(Tdp, tdp.id)
    assert saved is not None and (saved.adult_population, saved.households, saved.is_example) == (812, 240, False)
    log = await text_of(await console.get("/staff/audit", params={"action": "unit."}))
    assert "unit.edit" in log and "telegram:9001" in log and "broadcast" not in log


def test_numbers_read_as_babel_writes_them() -> None:
    from bot.text.i18n import format_number
    from bot.web.staff.console import number

    for value in (0, 7, 1234, 1234567, 12.5, 99.9, 100.0, 0.1, 3.25):
        for lang in ("vi", "en"):
            assert number(value, lang) == format_number(round(value, 1) if isinstance(value, float) else value, lang), (value, lang)


async def test_overview_figures_are_counted_again_in_the_background(console, runtime, monkeypatch) -> None:
    import asyncio

    from bot.web.staff import overview

    await resident(runtime, "Bà Lan")
    await staff_in(console, runtime)

    def registered_in_tdp5(page: str) -> str:
        found = re.search(r"Tổ dân phố số 5 \*?\s+[\d.]+\s+(\d+)", page)
        assert found is not None
        return found.group(1)

    assert registered_in_tdp5(await text_of(await console.get("/staff"))) == "1"
    await resident(runtime, "Ông Ba")
    assert registered_in_tdp5(await text_of(await console.get("/staff"))) == "1"  # kept for a minute
    monkeypatch.setattr(overview, "FRESH", 0.0)
    assert registered_in_tdp5(await text_of(await console.get("/staff"))) == "1"  # shown once more while recounted
    for _ in range(50):
        if not overview._REFRESHING:
            break
        await asyncio.sleep(0.05)
    monkeypatch.setattr(overview, "FRESH", 60.0)
    assert registered_in_tdp5(await text_of(await console.get("/staff"))) == "2"


async def test_a_help_request_given_to_a_mentor_of_the_tdp(console, runtime) -> None:
    lan = await resident(runtime, "Bà Lan")
    user = await user_of(runtime, lan)
    helper = await add_identity(runtime, "8001", role="mentor", name="Anh Nam", tdp_number=5)
    async with runtime.db.transaction() as session:
        session.add(Mentor(user_id=helper.id, full_name="Nguyễn Văn Nam", organisation="doan-thanh-nien",
                           tdp_id=user.tdp_id, status="approved"))
        session.add(HelpRequest(mentee_id=user.id, tdp_id=user.tdp_id, question="Cài VNeID thế nào?"))
    await staff_in(console, runtime)
    page = await console.get("/staff/help")
    assert "Nguyễn Văn Nam" in await text_of(page)
    async with runtime.db.sessions() as session:
        request = await session.scalar(select(HelpRequest))
        mentor = await session.scalar(select(Mentor))
    assert request is not None and mentor is not None
    token = await csrf_of(console, "/staff/help")
    done = await console.post(f"/staff/help/{request.id}/assign", data={"csrf": token, "mentor": str(mentor.id)})
    assert "Đã giao cho Đại sứ số" in await text_of(done)
    async with runtime.db.sessions() as session:
        assert (await session.get(HelpRequest, request.id)).mentor_id == mentor.id
        alert = await session.scalar(select(OutboxMessage.text).where(OutboxMessage.user_id == helper.id))
    assert alert is not None and "Cài VNeID thế nào?" in alert


async def test_a_broadcast_by_age_band_counts_only_that_band(console, runtime) -> None:
    await resident(runtime, "Bà Lan")  # onboarding answers 60+
    young = Chat(runtime)
    await young.send("/start")
    for answer in ("đồng ý", "Nam", "2", "1", "tổ 5"):
        await young.send(answer)
    await staff_in(console, runtime)
    old = await (await console.get("/staff/broadcasts/count", params={"audience": "age", "age": "60+"})).json()
    middle = await (await console.get("/staff/broadcasts/count", params={"audience": "age", "age": "16-59"})).json()
    assert old["channels"]["web"] == 1 and middle["channels"]["web"] == 1
    ward = await (await console.get("/staff/broadcasts/count", params={"audience": "ward", "ward": "hung-dao"})).json()
    assert ward["channels"]["web"] == 2
