"""Shared fixtures: a fresh database (SQLite file or a PostgreSQL schema), the runtime, a chat driver."""

from __future__ import annotations

import functools
import itertools
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.runtime import Runtime, build_runtime
from bot.config import Settings
from bot.content.loader import Content, load_content
from bot.core.messages import Incoming, Reply
from bot.db.session import Database
from bot.web.app import create_app

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://root@127.0.0.1:5432/test")
TEST_KEY = "test-signing-key-0123456789abcdef"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "cert_signing_key": TEST_KEY,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


class PgSchema:
    """A throw-away PostgreSQL schema, so tests never see each other's rows."""

    def __init__(self) -> None:
        self.name = f"t_{uuid.uuid4().hex[:12]}"

    def database(self) -> Database:
        return Database(PG_URL, connect_args={"server_settings": {"search_path": self.name}})

    async def create(self) -> None:
        admin = Database(PG_URL)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{self.name}"')
        await admin.dispose()

    async def drop(self) -> None:
        admin = Database(PG_URL)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        await admin.dispose()


async def open_database(backend: str, tmp_path) -> tuple[Database, PgSchema | None]:
    if backend == "sqlite":
        return Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"), None
    schema = PgSchema()
    await schema.create()
    return schema.database(), schema


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite by default; modules that must also prove PostgreSQL override this fixture."""
    return request.param


@pytest.fixture
async def runtime(backend: str, tmp_path) -> AsyncIterator[Runtime]:
    db, schema = await open_database(backend, tmp_path)
    await db.create_all()
    settings = make_settings(db.url)
    rt = await build_runtime(settings, db=db, content=shipped_content())
    rt.services.files_dir = tmp_path / "files"
    rt.services.files_dir.mkdir()
    try:
        yield rt
    finally:
        await rt.close()
        if schema is not None:
            await schema.drop()


@functools.lru_cache(maxsize=1)
def shipped_content() -> Content:
    return load_content()


_update_ids = itertools.count(1)


@dataclass
class Chat:
    """Drives the engine like one resident typing in a chat."""

    runtime: Runtime
    user: str = field(default_factory=lambda: uuid.uuid4().hex)
    channel: str = "web"
    replies: list[Reply] = field(default_factory=list)

    async def send(self, text: str | None = None, *, option: str | None = None,
                   update_id: str | None = None) -> list[Reply]:
        incoming = Incoming(
            channel=self.channel,
            external_id=self.user,
            update_id=update_id if update_id is not None else str(next(_update_ids)),
            text=text,
            option=option,
        )
        self.replies = await self.runtime.engine.handle(incoming)
        return self.replies

    @property
    def last(self) -> Reply:
        return self.replies[-1]

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def screen(self) -> str:
        return self.replies[-1].screen

    def code(self) -> str:
        """The one-time code shown in the last replies ("K7QM-9TXA")."""
        found = re.search(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b", self.text)
        assert found is not None, f"no code in {self.text!r}"
        return found.group(0)

    def option_ids(self) -> list[str]:
        return [o.id for o in self.last.options]

    def labels(self) -> list[str]:
        return [o.label for o in self.last.options]

    async def onboard(self, name: str = "Bà Lan", tdp: str = "tổ 5") -> None:
        """The usual first conversation: agree, name, age 60+, first ward, TDP."""
        await self.send("/start")
        await self.send("đồng ý")
        await self.send(name)
        await self.send("3")
        await self.send("1")
        await self.send(tdp)
        if self.screen == "nudges.offer":  # "Nhắc tôi học?" closes onboarding
            await self.send(option="later")
        assert self.screen == "menu", self.text


@pytest.fixture
def chat(runtime: Runtime) -> Chat:
    return Chat(runtime)


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(runtime))) as test_client:
        yield test_client
