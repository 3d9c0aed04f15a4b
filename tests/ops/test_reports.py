"""Progress reports: hand-counted figures on a small ward, the workbook, the chart, the CLI, units import, demo data.

The fixture is small enough to count by hand; the expected numbers below are
literals worked out from the comments, never recomputed with the report code.
Period under test: Quý IV/2026 = 01/10/2026 00:00 to 31/12/2026 24:00 in
Asia/Ho_Chi_Minh (UTC+7), i.e. 30/09 17:00 UTC to 31/12 17:00 UTC.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.db.learning import Certificate, LessonProgress
from bot.db.models import AuditEntry, Tdp, User, Ward
from bot.db.network import HelpSession, HelpSessionAttendee, Household, HouseholdMember, Mentor, Mentorship
from bot.db.session import Database
from bot.reports.chart import render_chart_png
from bot.reports.deadlines import Deadline, due_within, upcoming_deadlines
from bot.reports.figures import tdp_figures, totals
from bot.reports.periods import Period, target_percent
from bot.reports.service import summary_text
from bot.reports.xlsx import write_report
from tests.conftest import make_settings, open_database


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


BEFORE, IN, AFTER = utc(2026, 9, 15), utc(2026, 10, 20), utc(2027, 1, 10)
Q4 = Period.quarterly(2026, 4)
TOPICS = [("vneid", "VNeID"), ("dichvucong", "Dịch vụ công"), ("thanhtoan", "Thanh toán"), ("antoan", "An toàn"),
          ("choso", "Chợ số 4T")]


@pytest.fixture
async def db(backend: str, tmp_path):
    database, schema = await open_database(backend, tmp_path)
    await database.create_all()
    try:
        yield database
    finally:
        await database.dispose()
        if schema is not None:
            await schema.drop()


async def build_ward(db: Database) -> None:
    """Ward "test-ward": TDP 1 (20 adults, 8 households) and TDP 2 (8 adults, 5 households, example figures).

    TDP 1: a1 a2 a3 a4 a5 m1 (+ a6 registered after the period, a7 merged into a1).
    TDP 2: b1 b2 b3 m2.  Another ward holds one certified resident who must never show up.
    """
    async with db.transaction() as s:
        ward, other = Ward(code="test-ward", name="Thử Nghiệm"), Ward(code="other", name="Khác")
        s.add_all([ward, other])
        await s.flush()
        t1 = Tdp(ward_id=ward.id, code="tdp-1", name="Tổ dân phố số 1", number=1, adult_population=20, households=8)
        t2 = Tdp(ward_id=ward.id, code="tdp-2", name="Tổ dân phố số 2", number=2, adult_population=8, households=5,
                 is_example=True)
        t3 = Tdp(ward_id=other.id, code="tdp-1", name="Tổ dân phố số 1", number=1, adult_population=50, households=9)
        s.add_all([t1, t2, t3])
        await s.flush()

        def person(key: str, tdp: Tdp, created: datetime, seen: datetime | None, vneid: bool | None,
                   channel: str = "telegram") -> User:
            user = User(channel=channel, external_id=key, display_name=key, ward_id=tdp.ward_id, tdp_id=tdp.id,
                        created_at=created, last_seen_at=seen, vneid_active=vneid, state_data={})
            s.add(user)
            return user

        a1 = person("a1", t1, BEFORE, IN, True)
        a2 = person("a2", t1, BEFORE, BEFORE, True)
        a3 = person("a3", t1, BEFORE, utc(2026, 9, 30, 18), False)  # 01:00 on 01/10 in the ward: in the period
        a4 = person("a4", t1, BEFORE, utc(2026, 9, 30, 16), None)  # 23:00 on 30/09 in the ward: before it
        a5 = person("a5", t1, BEFORE, None, False, channel="offline")
        m1 = person("m1", t1, BEFORE, IN, True)
        a6 = person("a6", t1, AFTER, AFTER, True)
        b1 = person("b1", t2, BEFORE, IN, True)
        b2 = person("b2", t2, BEFORE, BEFORE, False)
        b3 = person("b3", t2, IN, None, True)
        m2 = person("m2", t2, BEFORE, BEFORE, None)
        x1 = person("x1", t3, BEFORE, IN, True)
        await s.flush()
        a7 = person("a7", t1, BEFORE, IN, True)
        a7.merged_into_id = a1.id
        await s.flush()

        def lesson(user: User, lesson_id: str, updated: datetime, completed: datetime | None) -> None:
            s.add(LessonProgress(user_id=user.id, lesson_id=lesson_id, topic_id=lesson_id.split("-")[0],
                                 started_at=BEFORE, updated_at=updated, completed_at=completed))

        lesson(a1, "vneid-1", IN, IN)
        lesson(a1, "vneid-2", IN, IN)
        lesson(a1, "dichvucong-1", BEFORE, BEFORE)
        lesson(a4, "thanhtoan-1", IN, None)  # moved on in the period without finishing: active
        lesson(a7, "vneid-3", IN, IN)  # merged account: ignored
        lesson(b1, "antoan-7", IN, IN)
        lesson(b1, "choso-1", IN, IN)
        lesson(b1, "dichvucong-2", AFTER, AFTER)

        serial = iter(range(1, 100))

        def cert(user: User, topic: str, issued: datetime, revoked: datetime | None = None) -> None:
            s.add(Certificate(code=f"TEST-{next(serial):04d}", user_id=user.id, topic_id=topic, holder_name=user.key,
                              topics=[topic], issued_at=issued, revoked_at=revoked))

        core = ("vneid", "dichvucong", "thanhtoan", "antoan")
        for topic in core:
            cert(a1, topic, BEFORE if topic in ("dichvucong", "thanhtoan") else IN)
            cert(a5, topic, BEFORE)
            cert(b1, topic, BEFORE)
        cert(a1, "all", IN)
        cert(a5, "all", BEFORE)
        cert(b1, "all", IN)
        cert(a2, "vneid", BEFORE)
        cert(a2, "all", BEFORE, revoked=IN)  # revoked: not counted
        cert(a3, "vneid", AFTER)  # issued after the period: not counted
        cert(a3, "all", AFTER)
        cert(a7, "vneid", IN)  # merged account: not counted
        cert(b2, "choso", IN)
        cert(x1, "all", BEFORE)  # other ward

        mentor1 = Mentor(user_id=m1.id, full_name="m1", organisation="tdp", tdp_id=t1.id, status="approved",
                         requested_at=BEFORE, decided_at=BEFORE)
        mentor2 = Mentor(user_id=m2.id, full_name="m2", organisation="hoi-phu-nu", tdp_id=t2.id, status="approved",
                         requested_at=BEFORE, decided_at=BEFORE)
        pending = Mentor(user_id=b2.id, full_name="b2", organisation="khac", tdp_id=t2.id, status="pending",
                         requested_at=IN)
        s.add_all([mentor1, mentor2, pending])
        await s.flush()
        for mentee in (a1, a2, a3, a4, b1):  # 5 active: mentor 1 reaches the target of 5
            s.add(Mentorship(mentor_id=mentor1.id, mentee_id=mentee.id, how="invite", started_at=BEFORE))
        s.add(Mentorship(mentor_id=mentor1.id, mentee_id=a5.id, how="offline", started_at=BEFORE,
                         ended_at=BEFORE, ended_reason="moved"))  # ended: not active
        s.add(Mentorship(mentor_id=mentor2.id, mentee_id=b2.id, how="invite", started_at=BEFORE))
        s.add(Mentorship(mentor_id=mentor2.id, mentee_id=b3.id, how="invite", started_at=IN))

        in_period = HelpSession(mentor_id=mentor1.id, held_on=date(2026, 10, 5), minutes=30)
        earlier = HelpSession(mentor_id=mentor1.id, held_on=date(2026, 9, 20), minutes=30)
        last_day = HelpSession(mentor_id=mentor2.id, held_on=date(2026, 12, 31), minutes=45, is_group=True)
        s.add_all([in_period, earlier, last_day])
        await s.flush()
        s.add_all([HelpSessionAttendee(session_id=in_period.id, user_id=a5.id),  # a5 active through it
                   HelpSessionAttendee(session_id=earlier.id, user_id=a2.id),
                   HelpSessionAttendee(session_id=last_day.id, user_id=b2.id)])  # b2 active through it

        def household(code: str, tdp: Tdp, members: list[User], created: datetime = BEFORE) -> None:
            home = Household(name=code, tdp_id=tdp.id, created_at=created)
            s.add(home)
            homes.append((home, members))

        homes: list[tuple[Household, list[User]]] = []
        household("H1", t1, [a1, a2])  # a1 certified: counts
        household("H2", t1, [a3, a4])  # a3's certificates come after the period: no
        household("H3", t1, [a7, a6])  # only the merged account holds one: no
        household("H4", t2, [b2, b3])  # b2 holds the choso certificate: counts
        household("H5", t2, [m2])  # nobody certified: no
        household("H6", t1, [a5], created=AFTER)  # formed after the period: no
        await s.flush()
        for home, members in homes:
            s.add_all(HouseholdMember(household_id=home.id, user_id=m.id) for m in members)


async def test_figures_match_hand_counts(db: Database) -> None:
    await build_ward(db)
    async with db.sessions() as session:
        rows = await tdp_figures(session, Q4, "test-ward", mentor_target=5)
    assert [(r.tdp_name, r.ward_name, r.is_example) for r in rows] == [
        ("Tổ dân phố số 1", "Thử Nghiệm", False), ("Tổ dân phố số 2", "Thử Nghiệm", True)]
    one, two = rows
    # TDP 1
    assert (one.adult_population, one.households) == (20, 8)
    assert one.registered == 6  # a1 a2 a3 a4 a5 m1
    assert one.active == 5  # a1 m1 (seen), a3 (seen 01:00 local on 01/10), a4 (lesson), a5 (help session)
    assert one.lessons_completed == {"vneid": 2}
    assert one.certificates == {"vneid": 3, "dichvucong": 2, "thanhtoan": 2, "antoan": 2}  # a1 a2 a5 / a1 a5
    assert one.certified == 2  # a1, a5
    assert one.certified_percent == pytest.approx(10.0)
    assert one.target_percent == 100
    assert one.vneid_active == 3  # a1 a2 m1
    assert (one.mentors, one.mentors_at_target, one.active_mentees) == (1, 1, 4)  # a1 a2 a3 a4
    assert one.help_sessions == 1
    assert one.digital_households == 1  # H1
    # TDP 2
    assert (two.adult_population, two.households) == (8, 5)
    assert two.registered == 4  # b1 b2 b3 m2
    assert two.active == 2  # b1 (seen), b2 (help session on 31/12)
    assert two.lessons_completed == {"antoan": 1, "choso": 1}
    assert two.certificates == {"vneid": 1, "dichvucong": 1, "thanhtoan": 1, "antoan": 1, "choso": 1}
    assert two.certified == 1
    assert two.certified_percent == pytest.approx(12.5)
    assert two.vneid_active == 2  # b1 b3
    assert (two.mentors, two.mentors_at_target, two.active_mentees) == (1, 0, 3)  # b1 (mentor 1), b2 b3
    assert two.help_sessions == 1
    assert two.digital_households == 1  # H4
    # totals: the percentage comes from the sums (3/28), not from the mean of 10% and 12.5%
    total = totals(rows)
    assert (total.adult_population, total.households, total.registered, total.active) == (28, 13, 10, 7)
    assert total.lessons_completed == {"vneid": 2, "antoan": 1, "choso": 1} and total.lessons_total == 4
    assert total.certificates == {"vneid": 4, "dichvucong": 3, "thanhtoan": 3, "antoan": 3, "choso": 1}
    assert total.certified == 3
    assert total.certified_percent == pytest.approx(300 / 28)
    assert (total.vneid_active, total.mentors, total.mentors_at_target, total.active_mentees) == (5, 2, 1, 7)
    assert (total.help_sessions, total.digital_households, total.target_percent) == (2, 2, 100)


async def test_figures_of_every_ward_and_of_an_earlier_period(db: Database) -> None:
    await build_ward(db)
    async with db.sessions() as session:
        every = await tdp_figures(session, Q4)
        q3 = await tdp_figures(session, Period.quarterly(2026, 3), "test-ward")
    assert [r.ward_code for r in every] == ["test-ward", "test-ward", "other"]
    assert every[2].certified == 1 and every[2].registered == 1
    one, two = q3
    assert one.registered == 6 and two.registered == 3  # b3 registered in Q4
    assert one.certified == 1  # a5 only: a1's comes in Q4, a2's is revoked (so it never counts)
    assert one.certificates == {"vneid": 2, "dichvucong": 2, "thanhtoan": 2, "antoan": 1}  # a1 a2 a5 minus Q4 issues
    assert one.active == 3  # a1 (lesson on 15/09), a2 (seen 15/09, session 20/09), a4 (seen 30/09 23:00 local)
    assert one.lessons_completed == {"dichvucong": 1}
    assert (one.help_sessions, two.help_sessions) == (1, 0)
    assert two.active_mentees == 2  # b1 b2: b3's pairing starts in Q4
    assert two.certified == 0


def test_periods() -> None:
    assert Q4.label == "Quý IV/2026" and Period.annual(2026).label == "Năm 2026"
    assert Period.monthly(2026, 11).label == "Tháng 11/2026"
    assert Q4.start == utc(2026, 9, 30, 17) and Q4.end == utc(2026, 12, 31, 17)
    assert (Q4.first_day, Q4.last_day) == (date(2026, 10, 1), date(2026, 12, 31))
    assert Period.monthly(2026, 2).last_day == date(2026, 2, 28)
    assert Period.annual(2025).start == utc(2024, 12, 31, 17)
    assert [target_percent(y) for y in (2024, 2025, 2026, 2030)] == [None, 90, 100, 100]
    with pytest.raises(ValueError):
        Period.of("quarterly", 2026)


def test_deadlines() -> None:
    due = {"chu-van-an": (25, 10), "hung-dao": (5, 12)}
    found = upcoming_deadlines(date(2026, 10, 20), due)
    assert found == [
        Deadline("annual", "Năm 2026", date(2026, 10, 25), "chu-van-an"),
        Deadline("monthly", "Tháng 10/2026", date(2026, 10, 31)),
        Deadline("annual", "Năm 2026", date(2026, 12, 5), "hung-dao"),
        Deadline("quarterly", "Quý IV/2026", date(2026, 12, 15)),
    ]
    later = upcoming_deadlines(date(2026, 12, 16), due)
    assert Deadline("quarterly", "Quý I/2027", date(2027, 3, 15)) in later
    assert Deadline("annual", "Năm 2027", date(2027, 10, 25), "chu-van-an") in later
    assert due_within(date(2026, 6, 10), 7, due) == [Deadline("quarterly", "Quý II/2026", date(2026, 6, 15))]
    assert due_within(date(2026, 6, 25), 7, {}) == [Deadline("monthly", "Tháng 6/2026", date(2026, 6, 30))]


def _table(ws) -> dict[str, list[object]]:
    """Column header ('group / header' under a group) → values of the data rows, from the TDP sheet."""
    columns: dict[str, list[object]] = {}
    group = ""
    for col in range(1, ws.max_column + 1):
        top, bottom = ws.cell(3, col).value, ws.cell(4, col).value
        group = top if top else (group if bottom else "")
        name = f"{group} / {bottom}" if bottom else top
        columns[name] = [ws.cell(row, col).value for row in range(5, 8)]
    return columns


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_workbook_and_chart(db: Database, tmp_path: Path) -> None:
    await build_ward(db)
    async with db.sessions() as session:
        rows = await tdp_figures(session, Q4, "test-ward")
    path = write_report(rows, totals(rows), Q4, tmp_path / "q4.xlsx", topics=TOPICS, generated_on=date(2026, 11, 23))
    book = load_workbook(path)
    assert book.sheetnames == ["Tổng hợp", "Theo tổ dân phố"]
    summary, detail = book["Tổng hợp"], book["Theo tổ dân phố"]
    assert summary["A1"].value == "Báo cáo kết quả Phong trào “Bình dân học vụ số” – Quý IV/2026"
    assert any("ngày 23 tháng 11 năm 2026" in str(c.value) for c in summary["A"] if c.value)
    assert len(summary._charts) == 1
    assert detail.freeze_panes == "C5"
    assert detail.page_setup.orientation == "landscape" and detail.page_setup.fitToWidth == 1
    table = _table(detail)
    assert table["Tổ dân phố"] == ["Tổ dân phố số 1", "Tổ dân phố số 2 (ví dụ)", "Tổng cộng"]
    assert table["Người trưởng thành"] == [20, 8, 28]
    assert table["Người dân đã đăng ký"] == [6, 4, 10]
    assert table["Hoạt động trong kỳ"] == [5, 2, 7]
    assert table["Bài học hoàn thành trong kỳ / VNeID"] == [2, 0, 2]
    assert table["Chứng nhận theo chủ đề (lũy kế) / VNeID"] == [3, 1, 4]
    assert table["Chứng nhận toàn phần / Số người"] == [2, 1, 3]
    assert table["Chứng nhận toàn phần / Tỷ lệ"] == pytest.approx([0.10, 0.125, 3 / 28])
    assert table["Chứng nhận toàn phần / Mục tiêu"] == [1, 1, 1]
    assert table["Đại sứ số / Kèm ≥ 5 người"] == [1, 0, 1]
    assert table["Hộ “Gia đình số”"] == [1, 1, 2]
    assert detail.cell(5, 3).number_format == "#,##0"
    percent_col = list(table).index("Chứng nhận toàn phần / Tỷ lệ") + 1
    assert detail.cell(5, percent_col).number_format == "0.0%"
    assert detail.cell(3, 1).font.bold and detail.cell(3, 1).alignment.wrap_text
    text = summary_text(rows, totals(rows), Q4)
    assert text.startswith("Quý IV/2026, phường Thử Nghiệm: 3/28 người trưởng thành đã có chứng nhận (10,7%), "
                           "mục tiêu 100%.")
    assert "Cao nhất: Tổ dân phố số 2 – 12,5%; thấp nhất: Tổ dân phố số 1 – 10,0%." in text and len(text) <= 600
    png = render_chart_png(rows, Q4)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def _run(coro):
    return asyncio.run(coro)


def test_cli_exports_a_report_and_audits_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bot.cli.reports import report_app
    from bot.db.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    _run(_with(url, build_ward))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CERT_SIGNING_KEY", "x" * 32)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out" / "q4.xlsx"
    result = CliRunner().invoke(report_app, ["quarterly", "--year", "2026", "--quarter", "4", "--ward", "test-ward",
                                             "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Quý IV/2026, phường Thử Nghiệm: 3/28 người trưởng thành đã có chứng nhận (10,7%)" in result.output
    assert out.exists() and out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    assert load_workbook(out)["Theo tổ dân phố"].cell(5, 3).value == 20

    async def audit(db: Database) -> list[tuple[str, str, str | None]]:
        async with db.sessions() as session:
            rows = await session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target))
            return [(actor, action, target) for actor, action, target in rows]

    assert _run(_with(url, audit)) == [("cli", "report.export", str(out))]
    unknown = CliRunner().invoke(report_app, ["annual", "--year", "2026", "--ward", "nowhere"])
    assert unknown.exit_code == 1 and "nowhere" in unknown.output


async def _with(url: str, work):
    db = Database(url)
    try:
        return await work(db)
    finally:
        await db.dispose()


GOOD_CSV = """ward;ward_name;tdp_number;tdp_name;adult_population;households
hung-dao;Hưng Đạo;1;Tổ dân phố số 1;1.234;400
hung-dao;Hưng Đạo;13;Tổ dân phố số 13;600;210
tan-lap;Tân Lập;1;Tổ dân phố Đông;300;100
"""
BAD_CSV = """ward,ward_name,tdp_number,tdp_name,adult_population,households
hung-dao,Hưng Đạo,2,Tổ dân phố số 2,700,250
hung-dao,Hưng Đạo,3,Tổ dân phố số 3,nhiều,120
,Hưng Đạo,4,Tổ dân phố số 4,500,120
"""


def test_units_import_creates_updates_and_rejects_bad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bot.cli.units import units_app
    from bot.db.migrate import upgrade
    from bot.units.reference import load_units, read_units

    url = f"sqlite+aiosqlite:///{tmp_path / 'units.db'}"
    upgrade(url)

    async def shipped(db: Database) -> None:
        async with db.transaction() as session:
            await load_units(session, read_units())

    _run(_with(url, shipped))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CERT_SIGNING_KEY", "x" * 32)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.csv").write_text(GOOD_CSV, encoding="utf-8")
    (tmp_path / "bad.csv").write_text(BAD_CSV, encoding="utf-8")
    result = CliRunner().invoke(units_app, ["import", "good.csv"])
    assert result.exit_code == 0, result.output
    assert "wards: 1 created, 1 updated; TDPs: 2 created, 1 updated" in result.output
    assert "11 example TDP(s)" in result.output

    async def tdps(db: Database) -> dict[tuple[str, str], tuple[int, int, bool]]:
        async with db.sessions() as session:
            rows = await session.execute(select(Ward.code, Tdp.name, Tdp.adult_population, Tdp.households,
                                                Tdp.is_example).join(Ward, Ward.id == Tdp.ward_id))
            return {(w, n): (a, h, e) for w, n, a, h, e in rows}

    after_good = _run(_with(url, tdps))
    assert after_good[("hung-dao", "Tổ dân phố số 1")] == (1234, 400, False)
    assert after_good[("hung-dao", "Tổ dân phố số 13")] == (600, 210, False)
    assert after_good[("tan-lap", "Tổ dân phố Đông")] == (300, 100, False)
    assert after_good[("hung-dao", "Tổ dân phố số 2")] == (510, 189, True)
    bad = CliRunner().invoke(units_app, ["import", "bad.csv"])
    assert bad.exit_code == 1
    assert "dòng 3: adult_population" in bad.output and "dòng 4: mã phường" in bad.output
    assert "nothing imported" in bad.output
    assert _run(_with(url, tdps)) == after_good  # the good row 2 of the bad file changed nothing either


async def test_demo_seed_and_clear(db: Database) -> None:
    from bot.units import demo

    settings = make_settings(db.url)
    async with db.transaction() as session:
        ward = Ward(code="demo-ward", name="Mẫu")
        session.add(ward)
        await session.flush()
        session.add_all(Tdp(ward_id=ward.id, code=f"tdp-{n}", name=f"Tổ dân phố số {n}", number=n,
                            adult_population=100 * n, households=40 * n) for n in (1, 2, 3))
        await session.flush()
        real = User(channel="telegram", external_id="42", ward_id=ward.id, state_data={})
        session.add(real)
    now = utc(2026, 11, 23, 10)
    result = await demo.seed(db, settings, 600, "demo-ward", seed=3, now=now)
    assert result.residents == 600 and result.mentors >= 3 and result.households > 100
    assert result.certificates > 0 and result.lessons > 0
    with pytest.raises(demo.DemoError):
        await demo.seed(db, settings, 10, "demo-ward")
    async with db.sessions() as session:
        per_tdp = dict(list(await session.execute(select(User.tdp_id, func.count()).where(
            User.external_id.like("demo-%")).group_by(User.tdp_id))))
        assert sorted(per_tdp.values()) == [100, 200, 300]  # in proportion to the adult population
        channels = set(await session.scalars(select(User.channel).where(User.external_id.like("demo-%"))))
        assert channels == {"telegram", "zalo", "offline"}
        pairs = list(await session.scalars(select(func.count()).select_from(Mentorship).group_by(Mentorship.mentor_id)))
        assert max(pairs) <= 8
        rows = await tdp_figures(session, Q4, "demo-ward")
    total = totals(rows)
    assert total.registered == 600 and 0 < total.certified < 600 and total.digital_households > 0
    assert total.mentors == result.mentors
    assert await demo.clear(db) == 600
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1  # the real resident stays
        for table in (LessonProgress, Certificate, Mentor, Mentorship, HelpSession, Household, HouseholdMember):
            assert await session.scalar(select(func.count()).select_from(table)) == 0, table
