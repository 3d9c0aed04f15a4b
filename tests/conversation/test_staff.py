"""Staff tools: roles, audiences with hand-computed expectations, scheduling and quiet hours, the audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.app.jobs import remind_help_requests, remind_report_deadlines
from bot.broadcasts import service
from bot.broadcasts.audience import Audience, AudienceError, UnknownUnit, count, recipients_query
from bot.broadcasts.schedule import ScheduleError, in_quiet_hours, outside_quiet_hours, parse_when
from bot.core.messages import Incoming
from bot.db.learning import Certificate, LessonProgress
from bot.db.models import AuditEntry, Tdp, User, Ward
from bot.db.network import Mentor
from bot.db.staff import Broadcast, OutboxMessage
from bot.people.audit import Actor
from bot.text.i18n import WARD_TZ


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


async def seed(runtime) -> dict[str, int]:
    """Ten people; the comment on each says which audiences must contain them."""
    async with runtime.db.transaction() as session:
        hd = await session.scalar(select(Ward).where(Ward.code == "hung-dao"))
        aq = await session.scalar(select(Ward).where(Ward.code == "ai-quoc"))
        t5 = await session.scalar(select(Tdp).where(Tdp.ward_id == hd.id, Tdp.number == 5))
        t6 = await session.scalar(select(Tdp).where(Tdp.ward_id == hd.id, Tdp.number == 6))
        a1 = await session.scalar(select(Tdp).where(Tdp.ward_id == aq.id, Tdp.number == 1))
        people: dict[str, tuple[str, Ward, Tdp | None, dict[str, Any]]] = {
            "lan": ("telegram", hd, t5, {}),                          # all, ward hd, tdp 5, learner, uncertified
            "hung": ("zalo", hd, t5, {}),                              # + certified (below)
            "mai": ("telegram", hd, t6, {}),                           # mentor (below)
            "tu": ("telegram", hd, t6, {"notifications_off": True}),  # nobody: said "không nhận thông báo"
            "ba": ("zalo", aq, a1, {}),                                # ward aq
            "blocked": ("telegram", hd, t5, {"unreachable_at": datetime.now(UTC)}),  # nobody
            "web": ("web", hd, t5, {"consent_at": datetime.now(UTC)}),  # a web resident: all, hd, tdp 5
            "visitor": ("web", hd, None, {}),                          # nobody: a web visitor who never consented
            "offline": ("offline", hd, t5, {}),                        # nobody (no phone)
            "started": ("telegram", aq, a1, {}),                       # started vneid (below)
            "staff": ("telegram", hd, None, {"role": "staff"}),        # all (staff get announcements too)
        }
        ids = {}
        for name, (channel, ward, tdp, extra) in people.items():
            user = User(channel=channel, external_id=name, ward_id=ward.id, tdp_id=tdp.id if tdp else None,
                        state="menu", state_data={}, display_name=name, **extra)
            session.add(user)
            await session.flush()
            ids[name] = user.id
        session.add(Certificate(code="AAAA-BBBB-CCCC", user_id=ids["hung"], topic_id="vneid", holder_name="h",
                                topics=["vneid"]))
        session.add(Mentor(user_id=ids["mai"], full_name="Mai", organisation="tdp", status="approved"))
        session.add(LessonProgress(user_id=ids["started"], lesson_id="vneid-1", topic_id="vneid"))
        ids["t5"], ids["a1"] = t5.id, a1.id
    return ids


async def names(runtime, audience: Audience, scope: int | None = None) -> set[str]:
    async with runtime.db.sessions() as session:
        query = await recipients_query(session, audience, scope)
        ids = list(await session.scalars(query))
        return set(await session.scalars(select(User.external_id).where(User.id.in_(ids))))


async def test_audiences_select_exactly_the_right_people(runtime) -> None:
    ids = await seed(runtime)
    everyone = {"lan", "hung", "mai", "ba", "started", "staff", "web"}
    assert await names(runtime, Audience.parse("all")) == everyone
    assert await names(runtime, Audience.parse("ward:hung-dao")) == {"lan", "hung", "mai", "staff", "web"}
    assert await names(runtime, Audience.parse("tdp:hung-dao/5")) == {"lan", "hung", "web"}
    assert await names(runtime, Audience.parse("role:mentor")) == {"mai"}
    assert await names(runtime, Audience.parse("role:learner")) == everyone - {"mai"}
    assert await names(runtime, Audience.parse("uncertified")) == everyone - {"hung"}
    assert await names(runtime, Audience.parse("not_started:vneid")) == everyone - {"started"}
    assert await names(runtime, Audience.parse("channel:zalo")) == {"hung", "ba"}
    assert await names(runtime, Audience.parse("channel:web")) == {"web"}
    assert await names(runtime, Audience.parse("all"), scope=ids["t5"]) == {"lan", "hung", "web"}
    async with runtime.db.sessions() as session:
        assert await count(session, Audience.parse("all")) == {"telegram": 4, "zalo": 2, "web": 1}
        for unknown in ("tdp:hung-dao/99", "ward:xyz", "tdp:xyz/5"):  # refused, not silently empty
            with pytest.raises(UnknownUnit):
                await count(session, Audience.parse(unknown))
    for bad in ["everyone", "ward", "role:admin", "channel:sms", "all:x"]:
        with pytest.raises(AudienceError):
            Audience.parse(bad)


async def test_broadcast_rows_written_once_with_stop_footer(runtime) -> None:
    await seed(runtime)
    async with runtime.db.transaction() as session:
        broadcast = await service.create(session, actor=Actor("telegram:1", "test"), text="Lớp học VNeID 8h sáng thứ Bảy tại nhà văn hóa.",
                                         audience=Audience.parse("ward:hung-dao"), urgent=True)
    async with runtime.db.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast.id)))
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "broadcast.send"))
    assert len(rows) == broadcast.total == 5  # lan, hung, mai, staff and the web resident
    assert all("tắt thông báo" in row.text and row.status == "queued" for row in rows)
    assert audit.actor == "telegram:1" and "recipients=5" in audit.detail
    async with runtime.db.transaction() as session:
        assert await service.cancel(session, broadcast.id, Actor("telegram:1", "test")) == 5
        state = await service.status(session, broadcast.id)
    assert state is not None
    assert state.counts["queued"] == 0 and state.broadcast.status == "cancelled"


async def test_tdp_leader_cannot_reach_other_tdps(runtime) -> None:
    ids = await seed(runtime)
    async with runtime.db.transaction() as session:
        with pytest.raises(service.BroadcastRefused):
            await service.create(session, actor=Actor("x", "test"), text="hi", audience=Audience.parse("tdp:ai-quoc/1"),
                                 scope_tdp_id=ids["t5"])
    async with runtime.db.transaction() as session:
        with pytest.raises(service.BroadcastRefused):
            await service.create(session, actor=Actor("x", "test"), text="hi", audience=Audience.parse("ward:hung-dao"),
                                 scope_tdp_id=ids["t5"])
    async with runtime.db.transaction() as session:
        own = await service.create(session, actor=Actor("x", "test"), text="hi", audience=Audience.parse("all"),
                                   scope_tdp_id=ids["t5"], urgent=True)
    assert own.total == 3


def test_schedule_parsing_and_quiet_hours() -> None:
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Hải Phòng
    local = lambda moment: moment.astimezone(WARD_TZ).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    assert local(parse_when("20/12 8:00", now)) == "2026-12-20 08:00"
    assert local(parse_when("20/12/2026 08:00", now)) == "2026-12-20 08:00"
    assert local(parse_when("8h 20/12", now)) == "2026-12-20 08:00"
    assert local(parse_when("2026-12-20 08:00", now)) == "2026-12-20 08:00"
    assert local(parse_when("1/1 7:30", now)) == "2027-01-01 07:30"
    for bad in ["hôm qua", "32/12 8:00", "2026-11-01 08:00", "20/12 25:00"]:
        with pytest.raises(ScheduleError):
            parse_when(bad, now)
    late = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 22:30 local
    assert in_quiet_hours(late)
    assert local(outside_quiet_hours(late, urgent=False)) == "2026-11-24 07:00"
    assert outside_quiet_hours(late, urgent=True) == late
    early = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 05:00 local next day
    assert local(outside_quiet_hours(early, urgent=False)) == "2026-11-24 07:00"


async def test_non_staff_cannot_broadcast_and_the_attempt_is_audited(chat) -> None:
    await chat.onboard()
    await chat.send("menu")
    assert "Cán bộ phường" not in chat.labels()
    async with chat.runtime.db.transaction() as session:  # a forged state: the screen itself refuses
        user = await session.scalar(select(User).where(User.external_id == chat.user))
        user.state, user.state_data = "broadcast.compose", {"data": {"step": "preview", "text": "x", "at":
                                                                      datetime.now(UTC).isoformat()},
                                                             "options": [{"id": "confirm", "label": "OK"}]}
    await chat.send(option="confirm")
    assert "chỉ dành cho cán bộ" in chat.text
    async with chat.runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "right.refused", AuditEntry.actor == f"web:{chat.user}",
            AuditEntry.via == "screen:broadcast.compose")) == 1


async def test_web_chat_never_has_staff_rights(runtime) -> None:
    from bot.people.roles import is_staff

    user = User(channel="web", external_id="x", role="admin")
    assert not is_staff(user, runtime.settings)
    assert is_staff(User(channel="telegram", external_id="9", role="staff"), runtime.settings)


async def test_staff_broadcast_in_chat_with_preview_count(runtime) -> None:
    await seed(runtime)

    async def say(text: str | None = None, option: str | None = None):
        return await runtime.engine.handle(Incoming("telegram", "staff", None, text=text, option=option))

    await say("menu")
    replies = await say("can bo phuong")
    assert replies[-1].screen == "staff.home"
    replies = await say("gui thong bao")
    assert replies[-1].screen == "broadcast.list"
    await say("soan thong bao moi")
    await say("Họp tổ dân phố lúc 19h thứ Sáu.")
    replies = await say("mot to dan pho")
    replies = await say("to 5")
    replies = await say("gui ngay")
    assert "gửi tới 3 người" in replies[-1].text and "trang web 1" in replies[-1].text
    assert "tắt thông báo" in replies[-1].text
    replies = await say(replies[-1].options[0].label)
    assert "3 người nhận" in replies[0].text
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


async def test_a_form_step_whose_earlier_answers_are_gone_leads_home(runtime) -> None:
    """A state saved by an older version (or forged) without the text to send: a word and the menu, no crash."""
    await seed(runtime)
    async with runtime.db.transaction() as session:
        await session.execute(update(User).where(User.external_id == "staff").values(
            state="broadcast.preview", state_data={"data": {"audience": "all"}, "history": [],
                                                "options": [{"id": "confirm", "label": "Gửi"}]}))
    replies = await runtime.engine.handle(Incoming("telegram", "staff", None, option="confirm"))
    assert "hết hạn" in replies[0].text and replies[-1].screen == "menu" and replies[-1].options
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_reminders_for_help_requests_and_report_deadlines(runtime) -> None:
    from bot.db.network import HelpRequest

    ids = await seed(runtime)
    async with runtime.db.transaction() as session:
        mentor = await session.scalar(select(Mentor))
        session.add(HelpRequest(mentee_id=ids["lan"], mentor_id=mentor.id, question="Làm sao quét mã QR?",
                                created_at=datetime.now(UTC) - timedelta(hours=25)))
        session.add(HelpRequest(mentee_id=ids["ba"], mentor_id=mentor.id, question="mới hỏi"))
    now = datetime.now(UTC)
    async with runtime.db.transaction() as session:
        assert await remind_help_requests(session, now) == 1
        assert await remind_help_requests(session, now) == 0  # once only
    before_deadline = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # quarterly due 15/12
    async with runtime.db.transaction() as session:
        first = await remind_report_deadlines(session, runtime.settings, before_deadline)
        again = await remind_report_deadlines(session, runtime.settings, before_deadline)
    assert first >= 1 and again == 0
    async with runtime.db.sessions() as session:
        texts = list(await session.scalars(select(OutboxMessage.text).where(OutboxMessage.user_id == ids["staff"])))
    assert any("Quý IV/2026" in t and "15/12/2026" in t for t in texts)


def test_cli_admin_add_and_audit(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("CERT_SIGNING_KEY", "x" * 32)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["admin", "add", "telegram:555", "--role", "tdp-leader", "--tdp", "hung-dao/5"])
    assert result.exit_code == 1 and "no TDP" in result.output  # units are loaded by `bot run`, not here
    assert runner.invoke(app, ["admin", "add", "web:abc", "--role", "staff"]).exit_code == 2
    result = runner.invoke(app, ["admin", "add", "zalo:777", "--role", "staff"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["audit"])
    assert "role.change" in result.output and "zalo:777" in result.output


async def test_admin_gives_a_tdp_leader_role_in_chat(runtime) -> None:
    async with runtime.db.transaction() as session:
        ward = await session.scalar(select(Ward).where(Ward.code == "hung-dao"))
        session.add(User(channel="telegram", external_id="boss", role="admin", ward_id=ward.id, state="menu",
                         state_data={}))

    async def say(text: str, who: str = "boss"):
        return await runtime.engine.handle(Incoming("telegram", who, None, text=text))

    await say("menu")
    await say("can bo phuong")
    await say("mang luoi dai su so")
    replies = await say("them can bo to truong")
    assert replies[-1].screen == "staff.roles"
    replies = await say("zalo:leader-1 tdp-leader tổ 5")
    assert "tdp-leader" in replies[-1].text
    async with runtime.db.sessions() as session:
        leader = await session.scalar(select(User).where(User.external_id == "leader-1"))
        tdp = await session.get(Tdp, leader.scope_tdp_id)
        assert leader.role == "tdp-leader" and tdp.number == 5
        assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "role.change")) == 1
    await runtime.engine.handle(Incoming("zalo", "leader-1", None, text="xin chào"))
    replies = await runtime.engine.handle(Incoming("zalo", "leader-1", None, text="để sau"))
    assert replies[-1].options[0].label == "Cán bộ phường"


async def test_staff_get_the_quarterly_report_in_chat(runtime) -> None:
    from openpyxl import load_workbook

    await seed(runtime)

    async def say(text: str):
        return await runtime.engine.handle(Incoming("telegram", "staff", None, text=text))

    await say("menu")
    await say("can bo phuong")
    await say("bao cao tien do")
    replies = await say("quy nay")
    report = next(r for r in replies if r.screen == "report")
    assert report.document.path.suffix == ".xlsx" and report.image.path.read_bytes()[:4] == b"\x89PNG"
    assert "người trưởng thành" in report.text and len(report.text) <= 600
    workbook = load_workbook(report.document.path)
    assert {"Tổng hợp", "Theo tổ dân phố"} <= set(workbook.sheetnames)
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "report.export", AuditEntry.actor == "telegram:staff")) == 1
