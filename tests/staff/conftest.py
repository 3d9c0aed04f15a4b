"""The staff console under aiohttp's test client: staff identities, signing in with the code the
assistant sent to their chat (read from the outbox, where the Telegram worker would take it)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app.runtime import Runtime
from bot.db.models import AuditEntry, Tdp, User
from bot.db.staff import OutboxMessage
from bot.web.app import create_app
from bot.web.staff import overview

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b")


@pytest.fixture(autouse=True)
def fresh_figures() -> None:
    overview._CACHE.clear()


@pytest.fixture
async def console(runtime: Runtime) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(runtime))) as client:
        yield client


async def add_identity(runtime: Runtime, external_id: str, role: str = "staff", *, channel: str = "telegram",
                       tdp_number: int | None = None, name: str = "Chị Hoa") -> User:
    async with runtime.db.transaction() as session:
        tdp = await session.scalar(select(Tdp).where(Tdp.number == tdp_number).order_by(Tdp.id)) if tdp_number else None
        user = User(channel=channel, external_id=external_id, display_name=name, role=role, state="menu",
                    state_data={}, scope_tdp_id=tdp.id if tdp and role == "tdp-leader" else None,
                    tdp_id=tdp.id if tdp else None, ward_id=tdp.ward_id if tdp else None)
        session.add(user)
    return user


async def csrf_of(client: TestClient, path: str) -> str:
    response = await client.get(path)
    found = CSRF.search(await response.text())
    assert found is not None, f"no CSRF token on {path}"
    return found.group(1)


async def last_code(runtime: Runtime, user_id: int) -> str | None:
    async with runtime.db.sessions() as session:
        text = await session.scalar(select(OutboxMessage.text).where(
            OutboxMessage.user_id == user_id, OutboxMessage.kind == "signin").order_by(OutboxMessage.id.desc()))
    found = CODE.search(text or "")
    return found.group(1) if found else None


async def ask_code(client: TestClient, who: str) -> str:
    token = await csrf_of(client, "/staff/login")
    response = await client.post("/staff/login", data={"csrf": token, "who": who})
    assert response.status == 200
    return token


async def sign_in(client: TestClient, runtime: Runtime, user: User) -> None:
    token = await ask_code(client, user.key)
    code = await last_code(runtime, user.id)
    assert code is not None
    response = await client.post("/staff/login/code", data={"csrf": token, "who": user.key, "code": code},
                                 allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff", await response.text()


async def audit_rows(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.db.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
