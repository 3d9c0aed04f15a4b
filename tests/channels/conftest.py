"""The fake Telegram and Zalo servers, for every test of the channels.

Each fails the test that used it if the bot sent something the real platform
refuses, or sent during a `retry_after` wait (`tests/fakes`). `platform` runs a
test once on each of them, through its driver (`drivers.py`, which also starts
the bot against them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.channels.drivers import TELEGRAM_TOKEN, Platform, Telegram, Zalo
from tests.fakes import FakeTelegramServer, FakeZaloServer


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(TELEGRAM_TOKEN) as server:
        yield server
    assert server.rejected == [], [(c.method, c.error) for c in server.rejected]  # nothing the platform refuses
    assert server.violations == []


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloServer]:
    async with FakeZaloServer() as server:
        yield server
    assert server.rejected == [], [(c.method, c.error) for c in server.rejected]  # nothing the platform refuses
    assert server.violations == []


@pytest.fixture(params=["telegram", "zalo"])
def platform(request: pytest.FixtureRequest) -> Platform:
    """Telegram or Zalo, with its fake server: a test asking for it runs on both."""
    if request.param == "telegram":
        return Telegram(request.getfixturevalue("tg"))
    return Zalo(request.getfixturevalue("zalo"))
