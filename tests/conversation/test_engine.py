"""The engine's promises: one effect per update id, per-person order, people in parallel."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.core.messages import Incoming
from bot.db.models import ProcessedUpdate, User


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_duplicate_update_id_has_one_effect_and_one_reply(chat) -> None:
    await chat.send("/start", update_id="u-1")
    first = await chat.send("đồng ý", update_id="u-2")
    assert first and chat.screen == "onboarding.name"
    again = await chat.send("đồng ý", update_id="u-2")
    assert again == []
    async with chat.runtime.db.sessions() as session:
        user = await session.scalar(select(User).where(User.external_id == chat.user))
        assert user.state == "onboarding.name"


async def test_concurrent_duplicates_of_one_update_give_one_reply(chat) -> None:
    await chat.send("/start", update_id="c-1")
    results = await asyncio.gather(*(chat.send("đồng ý", update_id="c-2") for _ in range(5)))
    assert sum(1 for replies in results if replies) == 1
    async with chat.runtime.db.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(ProcessedUpdate).where(
            ProcessedUpdate.update_id == "c-2"))
    assert count == 1


async def test_updates_of_one_person_are_handled_in_order(runtime) -> None:
    """Onboarding answers sent at once still land in order: consent, name, age, ward."""
    texts = ["/start", "đồng ý", "Bà Tư", "3", "1", "tổ 2"]
    tasks = []
    for index, text in enumerate(texts):
        incoming = Incoming(channel="telegram", external_id="42", update_id=str(index + 1000), text=text)
        tasks.append(asyncio.ensure_future(runtime.engine.handle(incoming)))
        await asyncio.sleep(0)  # arrival order, as a webhook would see it
    results = await asyncio.gather(*tasks)
    assert [r[-1].screen for r in results] == [
        "onboarding.consent", "onboarding.name", "onboarding.age", "onboarding.ward", "onboarding.tdp", "nudges.offer",
    ]


async def test_many_people_at_once(runtime) -> None:
    async def person(n: int) -> str:
        last = ""
        for step, text in enumerate(["/start", "đồng ý", f"Người {n}", "2", "3", "tổ 1"]):
            replies = await runtime.engine.handle(
                Incoming(channel="web", external_id=f"p{n}", update_id=f"p{n}-{step}", text=text))
            last = replies[-1].screen
        return last

    screens = await asyncio.gather(*(person(n) for n in range(30)))
    assert screens == ["nudges.offer"] * 30  # "Nhắc tôi học?" closes onboarding
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User).where(User.tdp_id.is_not(None))) == 30


async def test_stale_button_is_explained_and_shows_the_screen_again(chat) -> None:
    await chat.send("/start")
    await chat.send(option="agree")
    await chat.send(option="agree")  # a button from the previous message
    assert "cũ" in chat.replies[0].text
    assert chat.screen == "onboarding.name"


async def test_oversize_text_is_cut_not_crashed(chat) -> None:
    await chat.send("/start")
    await chat.send("đồng ý")
    await chat.send("a" * 10_000)
    assert chat.screen == "onboarding.name"
    assert chat.last.options
