"""The attacks of the trust issue, replayed: each must fail, on SQLite and on PostgreSQL.

A web-chat id is a string the browser chooses; a link code from an admin must
not make its redeemer an admin; codes cannot be guessed by spreading guesses
over fresh ids; no right is inherited through a merged account.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from bot.db.learning import LessonProgress, UnansweredQuestion
from bot.db.models import AuditEntry, Code, User
from bot.db.network import Mentor, Mentorship
from bot.db.staff import Broadcast, OutboxMessage
from bot.handlers import build_flow
from bot.handlers import codes as code_screen
from bot.network import mentors as net
from bot.outbox.worker import OutboxWorker
from bot.people import codes
from bot.people.audit import Actor
from bot.people.roles import ADMIN, CHAT_ACCOUNT, MENTOR, STAFF, grant_role
from bot.reports.figures import TdpRow, totals
from bot.reports.periods import Period
from bot.reports.xlsx import write_report
from bot.units.reference import tdp_number
from tests.conftest import Chat

TEST = Actor("test", "test")


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


async def make_admin(runtime, user: str = "9001") -> Chat:
    """A Telegram ward admin who is also an approved Đại sứ số."""
    admin = Chat(runtime, user=user, channel="telegram")
    await admin.onboard(name="Cán bộ Hà")
    async with runtime.db.transaction() as session:
        identity = await grant_role(session, TEST, "telegram", user, "admin", None)
        session.add(Mentor(user_id=identity.id, full_name="Nguyễn Thu Hà", organisation="tdp", status="approved"))
    return admin


async def link_code(chat: Chat) -> str:
    await chat.send("menu")
    await chat.send("cai dat")
    await chat.send("thong tin cua toi")
    await chat.send("lien ket tai khoan")
    await chat.send("lay ma lien ket")
    return chat.code()


async def forge(runtime, chat: Chat, screen: str) -> None:
    """Puts the person behind `chat` on `screen` with a button "x", as a stale state or forged tap would."""
    async with runtime.db.transaction() as session:
        identity = await session.scalar(select(User).where(User.channel == chat.channel, User.external_id == chat.user))
        person_id = identity.merged_into_id or identity.id
        await session.execute(update(User).where(User.id == person_id).values(
            state=screen, state_data={"data": {"step": "preview", "text": "x", "at": datetime.now(UTC)
                                      .isoformat(), "mentee": 1, "request": 1},
                                      "options": [{"id": "x", "label": "x"}, {"id": "confirm", "label": "ok"}]}))


async def test_a_web_visitor_redeeming_an_admins_link_code_gets_no_staff_rights(runtime) -> None:
    admin = await make_admin(runtime)
    code = await link_code(admin)
    visitor = Chat(runtime)
    await visitor.send("/start")
    await visitor.send(f"/start m_{code.replace('-', '')}")  # the attack: the code typed in the web chat
    assert "Đã liên kết" in visitor.text  # learning is shared …
    await visitor.send("menu")
    assert "Cán bộ phường" not in visitor.labels() and "Đại sứ số" not in visitor.labels()  # … rights are not
    for screen in ("broadcast.compose", "staff.home", "staff.roles", "mentor.home"):
        await forge(runtime, visitor, screen)
        await visitor.send(option="confirm")
        assert visitor.screen == "menu" and ("cán bộ" in visitor.text or "Đại sứ số" in visitor.text
                                             or "quản trị" in visitor.text), screen
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
        refusals = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "right.refused")))
    assert {entry.actor for entry in refusals} == {f"web:{visitor.user}"}  # the web identity, not the admin
    assert {entry.target for entry in refusals} == {"broadcast.compose", "staff.home", "staff.roles", "mentor.home"}
    await admin.send("menu")
    assert "Cán bộ phường" in admin.labels()  # the admin's own rights are untouched


async def test_every_guarded_screen_refuses_a_resident_a_web_visitor_and_a_web_visitor_linked_to_an_admin(
        runtime) -> None:
    flow = build_flow()
    guarded = {name: screen.requires for name, screen in flow.screens.items() if screen.requires is not None}
    reaching_others = {name for name in flow.screens if name.startswith(("staff.", "broadcast.", "mentor."))}
    assert reaching_others <= set(guarded), reaching_others - set(guarded)  # a new staff screen must declare it
    assert guarded["mentor.apply"] is CHAT_ACCOUNT and guarded["staff.roles"] is ADMIN
    assert {guarded[n] for n in reaching_others - {"mentor.apply", "staff.roles"}} <= {STAFF, MENTOR}

    admin = await make_admin(runtime)
    resident = Chat(runtime, user="555", channel="telegram")
    await resident.onboard()
    visitor = Chat(runtime)
    await visitor.onboard()
    linked = Chat(runtime)
    await linked.send("/start")
    await linked.send(f"/start m_{(await link_code(admin)).replace('-', '')}")
    for attacker in (resident, visitor, linked):
        for name, right in guarded.items():
            if right is CHAT_ACCOUNT and attacker is resident:
                continue  # a Telegram resident may apply to be a mentor
            await forge(runtime, attacker, name)
            await attacker.send(option="x")
            assert attacker.screen == "menu", (attacker.channel, name, attacker.text)
    async with runtime.db.sessions() as session:
        actors = dict(list(await session.execute(select(AuditEntry.actor, func.count()).where(
            AuditEntry.action == "right.refused").group_by(AuditEntry.actor))))
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert actors == {"telegram:555": len(guarded) - 1, f"web:{visitor.user}": len(guarded),
                      f"web:{linked.user}": len(guarded)}


async def test_a_linked_web_account_deletes_and_unlinks_only_itself(runtime) -> None:
    admin = await make_admin(runtime)
    visitor = Chat(runtime)
    await visitor.send("/start")
    await visitor.send(f"/start m_{(await link_code(admin)).replace('-', '')}")
    await visitor.send("menu")
    await visitor.send("cai dat")
    await visitor.send("xoa du lieu cua toi")
    assert "chỉ xóa tài khoản trang web" in visitor.text
    await visitor.send(option="confirm")
    assert visitor.screen == "deleted"
    async with runtime.db.sessions() as session:
        kept = await session.scalar(select(User).where(User.channel == "telegram", User.external_id == "9001"))
        gone = await session.scalar(select(User).where(User.channel == "web", User.external_id == visitor.user))
    assert kept is not None and kept.role == "admin" and kept.display_name == "Cán bộ Hà" and gone is None

    again = Chat(runtime)
    await again.send("/start")
    await again.send(f"/start m_{(await link_code(admin)).replace('-', '')}")
    await again.send("menu")
    await again.send("cai dat")
    await again.send("thong tin cua toi")
    await again.send("lien ket tai khoan")
    assert "Telegram" in again.text and [o for o in again.option_ids() if o.startswith("unlink:")]
    await again.send(option=next(o for o in again.option_ids() if o.startswith("unlink:")))
    await again.send(option="confirm")
    async with runtime.db.sessions() as session:
        web = await session.scalar(select(User).where(User.channel == "web", User.external_id == again.user))
        assert web.merged_into_id is None and web.display_name is None  # this browser starts afresh
        assert await session.scalar(select(User.display_name).where(User.external_id == "9001")) == "Cán bộ Hà"


async def test_the_web_account_never_holds_the_person(runtime) -> None:
    """Asked on the web, redeemed on Telegram: Telegram still holds the learning, so the web can let go."""
    visitor = Chat(runtime)
    await visitor.onboard(name="Bà Tư")
    code = await link_code(visitor)
    telegram = Chat(runtime, user="4242", channel="telegram")
    await telegram.send("/start")
    await telegram.send("nhap ma")
    await telegram.send(code.lower())
    assert "Đã liên kết" in telegram.text
    async with runtime.db.sessions() as session:
        web = await session.scalar(select(User).where(User.external_id == visitor.user))
        tg = await session.scalar(select(User).where(User.external_id == "4242"))
    assert web.merged_into_id == tg.id and tg.merged_into_id is None and tg.display_name == "Bà Tư"


async def test_codes_carry_40_bits_are_stored_as_digests_and_work_once(runtime) -> None:
    assert codes.LENGTH * math.log2(len(codes.ALPHABET)) >= 40
    async with runtime.db.transaction() as session:
        code = await codes.issue(session, "approval", created_by="test")
    assert len(code) == 8 and set(code) <= set(codes.ALPHABET)
    spoken = codes.shown(code)
    for typed in (spoken, spoken.lower(), code, f"  {code[:4]} {code[4:]} ", f"mã: {spoken}"):
        assert codes.normalize(typed) == code, typed
    async with runtime.db.sessions() as session:
        stored = list(await session.scalars(select(Code)))
    assert [row.digest for row in stored] == [codes.digest(code)] and code not in repr(stored[0].__dict__)

    applicant = Chat(runtime, user="3131", channel="telegram")
    await applicant.onboard()
    await applicant.send("nhap ma")
    await applicant.send(spoken.lower())
    await applicant.send("Trần Văn Bình")
    await applicant.send("doan thanh nien")
    assert "Đại sứ số" in applicant.text
    second = Chat(runtime, user="3132", channel="telegram")
    await second.onboard()
    await second.send("nhap ma")
    await second.send(spoken)
    assert "không đúng" in second.text  # single use


async def test_guessing_from_fresh_web_ids_is_held_to_a_few_guesses(runtime, backend, monkeypatch) -> None:
    admin = await make_admin(runtime)
    live = await link_code(admin)
    evaluated = 0
    look_up = codes.look_up

    async def counted(session, text):
        nonlocal evaluated
        evaluated += 1
        return await look_up(session, text)

    monkeypatch.setattr(code_screen.codes, "look_up", counted)
    seconds = 20.0 if backend == "sqlite" else 10.0
    tries, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        guess = codes.new_code()
        await Chat(runtime).send(f"/start m_{guess}")  # a fresh id every time
        tries += 1
    assert tries > 200 and evaluated <= 30, (tries, evaluated)
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User).where(User.channel == "web")) == 0
        assert await session.scalar(select(func.count()).select_from(User).where(User.merged_into_id.is_not(None))) == 0
    lucky = Chat(runtime)  # even the right code waits out the web chat's cool-down
    await lucky.send(f"/start m_{live}")
    assert "chờ khoảng 1 phút" in lucky.text and "Đã liên kết" not in lucky.text
    latecomer = Chat(runtime, user="7777", channel="zalo")  # guessers on the web hold back no Zalo account
    await latecomer.send("/start")
    await latecomer.send("nhap ma")
    await latecomer.send(live)
    assert "Đã liên kết" in latecomer.text


async def test_the_mentor_offline_form_refuses_a_bad_phone_and_a_second_registration(runtime) -> None:
    mentor = await make_admin(runtime)
    for attempt in range(2):
        await mentor.send("menu")
        await mentor.send("dai su so")
        await mentor.send("ghi nguoi khong co dien thoai")
        await mentor.send("Trần Thị Tư")
        await mentor.send("3")
        if attempt == 0:
            await mentor.send("abc123456789xyz")
            assert "chưa đúng" in mentor.text
        await mentor.send("(+84) 912 345 678")
        await mentor.send("da dong y")
    assert "đã có trong danh sách" in mentor.text and mentor.screen == "mentor.mentee"
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User).where(User.channel == "offline")) == 1
        assert await session.scalar(select(User.phone_masked).where(User.channel == "offline")) == "09******78"


def test_typed_numbers_are_what_they_look_like() -> None:
    assert [tdp_number(t) for t in ("tổ -1", "to -1", "tổ 0", "tổ 5", "TDP 12")] == [None, None, None, 5, 12]
    cases = {"0912345678": "0912345678", "0912 345 678": "0912345678", "(+84) 912.345.678": "0912345678",
             "84912345678": "0912345678", "abc123456789xyz": None, "12345": None, "0012345678": None,
             "+84 +912345678": None}
    assert {text: net.phone_number(text) for text in cases} == cases


def test_report_cells_typed_by_people_are_never_formulas(tmp_path: Path) -> None:
    rows = [TdpRow(tdp_id=1, ward_code="w", ward_name="@SUM(1)", tdp_name='=HYPERLINK("http://x","bấm")',
                   tdp_number=1, adult_population=10), TdpRow(tdp_id=2, ward_code="w", ward_name="w",
                                                              tdp_name="+84 tổ", tdp_number=2)]
    path = write_report(rows, totals(rows), Period.quarterly(2026, 4), tmp_path / "r.xlsx", topics=[],
                        generated_on=date(2026, 12, 1))
    values = [(cell.value, cell.data_type) for sheet in load_workbook(path) for row in sheet.iter_rows()
              for cell in row if isinstance(cell.value, str) and cell.value[:1] in "=+-@"]
    assert values and all(kind == "s" for _, kind in values), values


async def test_a_crashed_workers_claims_are_recovered_within_a_minute(runtime) -> None:
    chat = Chat(runtime, user="8080", channel="telegram")
    await chat.send("/start")
    async with runtime.db.transaction() as session:
        person = await session.scalar(select(User.id).where(User.external_id == "8080"))
        session.add(OutboxMessage(user_id=person, text="hi", status="sending", claimed_by="dead-worker",
                                  claimed_at=datetime.now(UTC) - timedelta(seconds=61)))
    sent: list[str] = []

    async def deliver(channel: str, external_id: str, reply, priority: int) -> str:
        sent.append(external_id)
        return "sent"

    assert await OutboxWorker(runtime.db, deliver).run_once() == 1 and sent == ["8080"]


async def test_odd_characters_never_break_a_turn(client, runtime) -> None:
    user = uuid.uuid4().hex
    for raw in ('{"user_id": "%s", "text": "/start"}', '{"user_id": "%s", "text": "t\\u00f4i\\u0000 t\\u00ean"}',
                '{"user_id": "%s", "text": "x\\ud800y"}', '{"user_id": "%s", "text": "\\udfff"}',
                '{"user_id": "%s", "option": "agree\\ud83d"}'):
        response = await client.post("/api/messages", data=(raw % user).encode(),
                                     headers={"Content-Type": "application/json"})
        assert response.status in (200, 400), await response.text()
        assert (await response.json())
    deep = b'{"user_id": "a", "text": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = await client.post("/api/messages", data=deep, headers={"Content-Type": "application/json"})
    assert response.status == 400 and (await response.json())["error"] == "bad_json"
    async with runtime.db.sessions() as session:
        names = list(await session.scalars(select(UnansweredQuestion.text)))
    assert all("\x00" not in name for name in names)


async def test_progress_still_merges_when_accounts_link(runtime) -> None:
    admin = await make_admin(runtime)
    visitor = Chat(runtime)
    await visitor.send("/start")
    await visitor.send("de sau")
    await visitor.send("hoc bai")
    await visitor.send("bo qua ca ba cau")
    await visitor.send(option="topic:vneid")
    await visitor.send(option="lesson:vneid-1")
    while visitor.screen == "lesson.step":
        await visitor.send("tiep")
    await visitor.send(f"/start m_{(await link_code(admin)).replace('-', '')}")
    async with runtime.db.sessions() as session:
        owner = await session.scalar(select(LessonProgress.user_id))
        admin_id = await session.scalar(select(User.id).where(User.external_id == "9001"))
        assert await session.scalar(select(func.count()).select_from(Mentorship)) == 0
    assert owner == admin_id


async def test_web_requests_are_limited_per_client_address(client, runtime) -> None:
    runtime.settings.web_address_limit = 3

    async def post(forwarded: str | None = None) -> int:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        response = await client.post("/api/messages", json={"user_id": uuid.uuid4().hex, "text": "/start"},
                                     headers=headers)
        return response.status

    assert [await post() for _ in range(3)] == [200, 200, 200]
    assert await post() == 429
    assert await post("203.0.113.9") == 429  # a header from an untrusted peer changes nothing
    runtime.settings.trusted_proxies = "127.0.0.1"
    assert [await post(f"203.0.113.{n}, 127.0.0.1") for n in range(1, 4)] == [200, 200, 200]
    assert [await post("198.51.100.7") for _ in range(4)] == [200, 200, 200, 429]


async def test_silent_web_visitors_who_never_took_part_are_forgotten(runtime) -> None:
    from bot.app.jobs import forget_visitors

    passer_by, learner = Chat(runtime), Chat(runtime)
    await passer_by.send("/start")
    await learner.onboard()
    later = datetime.now(UTC) + timedelta(days=runtime.settings.retain_visitors_days, minutes=1)
    async with runtime.db.transaction() as session:
        assert await forget_visitors(session, runtime.settings, later) == 1
    async with runtime.db.sessions() as session:
        left = set(await session.scalars(select(User.external_id)))
    assert left == {learner.user}
