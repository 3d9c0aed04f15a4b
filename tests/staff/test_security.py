"""Who may open the staff console, and every refusal in the audit log: no cookie, a resident's account,
a web-chat id, an expired or reused code, a missing CSRF token, a TDP leader reaching another TDP,
and 20 wrong codes in a minute locking that account's sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.db.models import Code, Tdp
from bot.web.staff import signin
from bot.web.staff.console import COOKIE, PAGES
from tests.staff.conftest import add_identity, ask_code, audit_rows, csrf_of, last_code, sign_in


@pytest.mark.parametrize("path", [href for _, href in PAGES])
async def test_every_page_without_a_session_goes_to_sign_in_and_is_audited(console, runtime, path) -> None:
    response = await console.get(path, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff/login"
    refused = await audit_rows(runtime, "staff.refused")
    assert refused[-1].target == f"GET {path}" and refused[-1].detail == "no session"
    assert refused[-1].actor.startswith("anonymous@")


async def test_a_forged_cookie_is_no_session(console, runtime) -> None:
    console.session.cookie_jar.update_cookies({COOKIE: "x" * 43})
    response = await console.get("/staff", allow_redirects=False)
    assert response.status == 303
    assert (await audit_rows(runtime, "staff.refused"))[-1].detail == "session over"


async def test_a_residents_account_gets_no_code_and_cannot_sign_in(console, runtime) -> None:
    resident = await add_identity(runtime, "5555", role="learner", name="Bà Lan")
    token = await ask_code(console, resident.key)
    assert await last_code(runtime, resident.id) is None  # nothing was sent to the resident
    response = await console.post("/staff/login/code", data={"csrf": token, "who": resident.key, "code": "ABCD-EFGH"})
    assert response.status == 403 and "Mã không đúng" in await response.text()
    details = [row.detail for row in await audit_rows(runtime, "staff.refused")]
    assert "not a staff identity: telegram:5555" in details and "wrong, expired or used sign-in code" in details


async def test_a_web_chat_id_never_signs_in_even_with_a_staff_role(console, runtime) -> None:
    web = await add_identity(runtime, "f" * 32, role="admin", channel="web")
    await ask_code(console, f"web:{web.external_id}")
    await ask_code(console, web.external_id)
    assert await last_code(runtime, web.id) is None


async def test_the_page_answers_the_same_for_staff_and_strangers(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    token = await csrf_of(console, "/staff/login")
    known = await (await console.post("/staff/login", data={"csrf": token, "who": staff.key})).text()
    unknown = await (await console.post("/staff/login", data={"csrf": token, "who": "telegram:404"})).text()
    assert known.replace(staff.key, "?") == unknown.replace("telegram:404", "?")


async def test_a_code_works_once(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    token = await ask_code(console, staff.key)
    code = await last_code(runtime, staff.id)
    first = await console.post("/staff/login/code", data={"csrf": token, "who": staff.key, "code": code},
                               allow_redirects=False)
    assert first.status == 303
    console.session.cookie_jar.clear()
    token = await csrf_of(console, "/staff/login")
    again = await console.post("/staff/login/code", data={"csrf": token, "who": staff.key, "code": code})
    assert again.status == 403
    assert (await audit_rows(runtime, "staff.refused"))[-1].detail == "wrong, expired or used sign-in code"


async def test_an_expired_code_is_refused(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    token = await ask_code(console, staff.key)
    code = await last_code(runtime, staff.id)
    async with runtime.db.transaction() as session:
        await session.execute(update(Code).where(Code.kind == signin.SIGNIN).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    response = await console.post("/staff/login/code", data={"csrf": token, "who": staff.key, "code": code})
    assert response.status == 403 and "đã hết hạn" in await response.text()


async def test_the_code_is_stored_only_as_a_digest_bound_to_its_account(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    other = await add_identity(runtime, "9002")
    token = await ask_code(console, staff.key)
    code = await last_code(runtime, staff.id)
    assert code is not None and len(signin.codes.ALPHABET) ** signin.codes.LENGTH >= 2 ** 40
    async with runtime.db.sessions() as session:
        stored = list(await session.scalars(select(Code.digest).where(Code.kind == signin.SIGNIN)))
    assert stored and code.replace("-", "") not in "".join(stored)
    response = await console.post("/staff/login/code", data={"csrf": token, "who": other.key, "code": code})
    assert response.status == 403  # another staff member's code does not open this account


async def test_sign_in_forms_need_their_csrf_token(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    await csrf_of(console, "/staff/login")
    response = await console.post("/staff/login", data={"who": staff.key})
    assert response.status == 403 and await last_code(runtime, staff.id) is None
    assert "CSRF" in ((await audit_rows(runtime, "staff.refused"))[-1].detail or "")


async def test_a_form_without_its_csrf_token_is_refused_and_audited(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    await sign_in(console, runtime, staff)
    response = await console.post("/staff/broadcasts", data={"text": "Họp tổ 19h", "audience": "all"})
    assert response.status == 403 and "Biểu mẫu đã cũ" in await response.text()
    refused = (await audit_rows(runtime, "staff.refused"))[-1]
    assert refused.actor == staff.key and refused.detail == "missing or wrong CSRF token"
    assert not await audit_rows(runtime, "broadcast.send")


async def test_twenty_wrong_codes_in_a_minute_lock_that_accounts_sign_in(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    bystander = await add_identity(runtime, "9002")
    token = await ask_code(console, staff.key)
    code = await last_code(runtime, staff.id)
    for _ in range(20):
        wrong = await console.post("/staff/login/code", data={"csrf": token, "who": staff.key, "code": "ZZZZ-ZZZZ"})
        assert wrong.status == 403
    locked = await console.post("/staff/login/code", data={"csrf": token, "who": staff.key, "code": code})
    assert locked.status == 429 and "tạm khóa 15 phút" in await locked.text()
    assert (await audit_rows(runtime, "staff.refused"))[-1].detail == "sign-in locked after too many wrong codes"
    console.session.cookie_jar.clear()
    await sign_in(console, runtime, bystander)  # another staff member is not locked out


async def test_a_tdp_leader_asking_for_another_tdp_is_refused_and_audited(console, runtime) -> None:
    leader = await add_identity(runtime, "7005", role="tdp-leader", tdp_number=5)
    await sign_in(console, runtime, leader)
    async with runtime.db.sessions() as session:
        other = await session.scalar(select(Tdp).where(Tdp.number == 6).order_by(Tdp.id))
    assert other is not None
    response = await console.get(f"/staff?tdp={other.id}")
    assert response.status == 403 and "tổ dân phố của mình" in await response.text()
    page = await console.get("/staff/broadcasts")
    token = (await page.text()).split('name="csrf" value="')[1].split('"')[0]
    ward = await console.get("/staff/broadcasts/count", params={"audience": "all"})
    assert ward.status == 200
    sent = await console.post("/staff/broadcasts", data={"csrf": token, "text": "Họp", "audience": "tdp",
                                                         "tdp": "hung-dao/6"})
    assert sent.status == 403
    details = [row.detail for row in await audit_rows(runtime, "staff.refused") if row.actor == leader.key]
    assert any("outside scope" in (d or "") for d in details) and len(details) == 2
    assert not await audit_rows(runtime, "broadcast.send")


async def test_signing_out_ends_the_session(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    await sign_in(console, runtime, staff)
    token = await csrf_of(console, "/staff")
    out = await console.post("/staff/logout", data={"csrf": token}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/staff/login"
    assert (await console.get("/staff", allow_redirects=False)).status == 303
    assert [row.actor for row in await audit_rows(runtime, "staff.signout")] == [staff.key]


async def test_the_cookie_is_httponly_strict_and_idle_sessions_end(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    token = await ask_code(console, staff.key)
    code = await last_code(runtime, staff.id)
    response = await console.post("/staff/login/code", data={"csrf": token, "who": staff.key, "code": code},
                                  allow_redirects=False)
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/staff"
    assert not cookie["secure"]  # plain http on 127.0.0.1; https (PUBLIC_BASE_URL) makes it Secure
    async with runtime.db.transaction() as session:
        await session.execute(update(Code).where(Code.kind == signin.SESSION).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert (await console.get("/staff", allow_redirects=False)).status == 303


async def test_losing_the_staff_role_ends_the_session_at_once(console, runtime) -> None:
    staff = await add_identity(runtime, "9001")
    await sign_in(console, runtime, staff)
    assert (await console.get("/staff")).status == 200
    from bot.db.models import User

    async with runtime.db.transaction() as session:
        await session.execute(update(User).where(User.id == staff.id).values(role="learner"))
    assert (await console.get("/staff", allow_redirects=False)).status == 303


async def test_a_script_hammering_the_console_is_refused_without_filling_the_audit_log(console, runtime) -> None:
    for _ in range(70):
        assert (await console.get("/staff/audit", allow_redirects=False)).status == 303
    assert len(await audit_rows(runtime, "staff.refused")) == 60
