"""The live web chat (GET /api/events): outbox messages reach an open page once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app.runtime import Runtime
from bot.broadcasts.service import status as broadcast_status
from bot.db.models import User
from bot.db.staff import Broadcast, OutboxMessage
from bot.outbox.queue import enqueue
from bot.web.app import create_app
from bot.web.keys import LIVE

FAST = 0.05  # the hub's poll in these tests (1 s in production)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def fast_app(runtime: Runtime, **hub: float):
    app = create_app(runtime)
    app[LIVE].poll = FAST
    for name, value in hub.items():
        setattr(app[LIVE], name, value)
    return app


@pytest.fixture
async def live(runtime: Runtime) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(fast_app(runtime))) as test_client:
        yield test_client


@dataclass
class EventReader:
    """Reads an event stream the way the page does: events (confirmed with POST /api/events/ack when
    `confirm`), comment lines apart."""

    response: ClientResponse
    client: TestClient
    user: str
    confirm: bool = True
    comments: list[str] = field(default_factory=list)

    async def ack(self, ids: list[int]) -> dict[str, Any]:
        response = await self.client.post("/api/events/ack", json={"user_id": self.user, "ids": ids})
        assert response.status == 200, await response.text()
        return dict(await response.json())

    async def next(self, timeout: float = 5.0) -> dict[str, Any] | None:
        """The next event as {"id", "data"}; None at the end of the stream or after `timeout` with no event."""
        event: dict[str, Any] = {}
        try:
            async with asyncio.timeout(timeout):
                while True:
                    raw = await self.response.content.readline()
                    if not raw:
                        return None
                    line = raw.decode().rstrip("\n")
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    elif line.startswith("id: "):
                        event["id"] = int(line[4:])
                    elif line.startswith("data: "):
                        event["data"] = json.loads(line[6:])
                    elif line == "" and "data" in event:
                        if self.confirm:
                            await self.ack(event["data"]["ids"])
                        return event
        except TimeoutError:
            return None

    async def texts(self, timeout: float) -> list[str]:
        """Every message text that arrives within `timeout` seconds."""
        found: list[str] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while (left := end - loop.time()) > 0:
            event = await self.next(left)
            if event is None:
                break
            found.extend(r["text"] for r in event["data"]["replies"])
        return found


async def open_stream(client: TestClient, user: str, *, confirm: bool = True) -> EventReader:
    response = await client.get("/api/events", params={"user_id": user})
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    reader = EventReader(response, client, user, confirm)
    line = await response.content.readline()
    assert line.startswith(b"retry: ")
    return reader


async def resident(client: TestClient) -> str:
    """A web resident who has reached the main menu through the API."""
    user = uuid.uuid4().hex
    for body in ({"text": "/start"}, {"option": "agree"}, {"option": "skip"}, {"option": "60+"},
                 {"option": "w1"}, {"text": "tổ 5"}, {"option": "later"}):
        response = await client.post("/api/messages", json={"user_id": user, **body})
        assert response.status == 200
    assert (await response.json())["replies"][-1]["screen"] == "menu"
    return user


async def person_id(runtime: Runtime, external_id: str) -> int:
    async with runtime.db.sessions() as session:
        found = await session.scalar(select(User.id).where(User.channel == "web", User.external_id == external_id))
    assert found is not None
    return found


async def queue(runtime: Runtime, external_id: str, *texts: str, broadcast_id: int | None = None) -> None:
    pk = await person_id(runtime, external_id)
    async with runtime.db.transaction() as session:
        for text in texts:
            await enqueue(session, pk, text, kind="broadcast" if broadcast_id else "alert", broadcast_id=broadcast_id)


async def rows(runtime: Runtime) -> list[OutboxMessage]:
    async with runtime.db.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def settled(runtime: Runtime) -> list[OutboxMessage]:
    """The rows once no stream holds one any more (a row is marked sent just after it is written)."""
    for _ in range(100):
        found = await rows(runtime)
        if all(r.status != "sending" for r in found):
            return found
        await asyncio.sleep(0.02)
    raise AssertionError([r.status for r in found])


async def turn(client: TestClient, user: str, text: str = "menu") -> list[dict[str, Any]]:
    response = await client.post("/api/messages", json={"user_id": user, "text": text})
    assert response.status == 200
    return (await response.json())["replies"]


async def test_a_message_for_an_open_page_arrives_once_and_is_sent_when_the_page_confirms(live, runtime) -> None:
    user = await resident(live)
    stream = await open_stream(live, user, confirm=False)
    await queue(runtime, user, "Chị Hoa (Đại sứ số) trả lời: bấm vào “Quên mật khẩu”.")
    event = await stream.next()
    assert event is not None
    [row] = await rows(runtime)
    assert event["data"] == {"replies": [{"text": "Chị Hoa (Đại sứ số) trả lời: bấm vào “Quên mật khẩu”.",
                                          "screen": "inbox", "options": [], "image_url": None,
                                          "document_url": None}],
                             "ids": [row.id], "locale": "vi"}
    assert event["id"] == row.id and row.status == "sending" and row.sent_at is None
    assert await stream.ack([row.id]) == {"confirmed": 1}
    assert await stream.ack([row.id]) == {"confirmed": 0}  # once
    [row] = await rows(runtime)
    assert row.status == "sent" and row.sent_at is not None
    assert await stream.texts(0.4) == []  # not again
    replies = await turn(live, user)
    assert [r["screen"] for r in replies] == ["menu"]  # and not once more at the next turn


async def test_a_page_that_does_not_confirm_loses_its_stream_and_the_message_comes_again(runtime) -> None:
    """A page closed a moment ago can still accept a write: the message must not count as seen."""
    async with TestClient(TestServer(fast_app(runtime, ack_wait=0.3))) as client:
        user = await resident(client)
        closed_tab = await open_stream(client, user, confirm=False)
        await queue(runtime, user, "Bạn đã là Đại sứ số!")
        assert await closed_tab.texts(0.2) == ["Bạn đã là Đại sứ số!"]
        assert await closed_tab.next(2.0) is None and closed_tab.response.content.at_eof()  # the server ended it
        [row] = await rows(runtime)
        assert row.status == "queued"
        reopened = await open_stream(client, user)
        assert await reopened.texts(0.5) == ["Bạn đã là Đại sứ số!"]
        assert [r.status for r in await rows(runtime)] == ["sent"]
        assert [r["screen"] for r in await turn(client, user)] == ["menu"]


async def test_unconfirmed_messages_go_to_the_next_turn_when_no_page_reconnects(runtime) -> None:
    async with TestClient(TestServer(fast_app(runtime, ack_wait=0.2))) as client:
        user = await resident(client)
        stream = await open_stream(client, user, confirm=False)
        await queue(runtime, user, "Nhắc: buổi hướng dẫn lúc 9 giờ.")
        assert await stream.texts(1.0) == ["Nhắc: buổi hướng dẫn lúc 9 giờ."]
        replies = await turn(client, user)
    assert replies[0]["screen"] == "inbox" and "buổi hướng dẫn" in replies[0]["text"]
    assert [r.status for r in await rows(runtime)] == ["sent"]


async def test_confirmations_are_checked(live, runtime) -> None:
    user, other = await resident(live), await resident(live)
    stream = await open_stream(live, user, confirm=False)
    await queue(runtime, user, "Tin của riêng bạn.")
    event = await stream.next()
    assert event is not None
    for body in ({"user_id": user, "ids": []}, {"user_id": user, "ids": ["1"]}, {"user_id": user, "ids": [True]},
                 {"user_id": user, "ids": list(range(51))}, {"user_id": "a b", "ids": [1]}, [1]):
        response = await live.post("/api/events/ack", json=body)
        assert response.status == 400 and (await response.json())["message"], body
    someone_else = await live.post("/api/events/ack", json={"user_id": other, "ids": event["data"]["ids"]})
    assert (await someone_else.json()) == {"confirmed": 0}
    assert [r.status for r in await rows(runtime)] == ["sending"]


async def test_two_pages_and_two_processes_never_both_get_a_message(runtime) -> None:
    async with TestClient(TestServer(fast_app(runtime))) as one, TestClient(TestServer(fast_app(runtime))) as two:
        user = await resident(one)
        streams = [await open_stream(one, user), await open_stream(one, user), await open_stream(two, user)]
        sent = [f"Tin số {n}" for n in range(25)]
        await queue(runtime, user, *sent)
        received = await asyncio.gather(*(s.texts(1.5) for s in streams))
    everything = [text for texts in received for text in texts]
    assert sorted(everything) == sorted(sent), received
    assert {r.status for r in await settled(runtime)} == {"sent"}


async def test_a_page_and_a_turn_at_the_same_moment_show_a_message_once(live, runtime) -> None:
    user = await resident(live)
    stream = await open_stream(live, user)
    await queue(runtime, user, *[f"Nhắc việc {n}" for n in range(8)])
    streamed, replies = await asyncio.gather(stream.texts(1.0), turn(live, user))
    in_turn = [r["text"] for r in replies if r["screen"] == "inbox"]
    assert len(streamed) + len(in_turn) == 8
    assert not any(text in turn_text for text in streamed for turn_text in in_turn)


async def test_a_closed_page_gets_what_waited_when_it_opens_again(live, runtime) -> None:
    user = await resident(live)
    await queue(runtime, user, "Bạn đã là Đại sứ số!", "Thông báo của phường: họp tổ lúc 8 giờ.")
    stream = await open_stream(live, user)
    event = await stream.next()
    assert event is not None
    assert [r["text"] for r in event["data"]["replies"]] == ["Bạn đã là Đại sứ số!",
                                                             "Thông báo của phường: họp tổ lúc 8 giờ."]


async def test_a_page_that_went_away_leaves_the_message_for_the_next_turn(runtime) -> None:
    async with TestClient(TestServer(fast_app(runtime, heartbeat=0.05))) as client:
        user = await resident(client)
        stream = await open_stream(client, user)
        stream.response.close()
        hub = client.app[LIVE]
        for _ in range(100):  # the heartbeat finds the closed page
            if not hub.streams:
                break
            await asyncio.sleep(0.02)
        assert not hub.streams
        await queue(runtime, user, "Lời nhắn của người hướng dẫn.")
        await asyncio.sleep(0.2)
        [row] = await settled(runtime)
        assert row.status == "queued"
        replies = await turn(client, user)
    assert replies[0]["screen"] == "inbox" and "Lời nhắn của người hướng dẫn." in replies[0]["text"]


async def test_a_broadcast_row_delivered_live_counts_as_sent_and_finishes_the_broadcast(live, runtime) -> None:
    user = await resident(live)
    async with runtime.db.transaction() as session:
        broadcast = Broadcast(created_by="test", text="Họp tổ", audience={"kind": "tdp", "value": "hung-dao/5"},
                              total=1)
        session.add(broadcast)
        await session.flush()
        broadcast_id = broadcast.id
    stream = await open_stream(live, user)
    await queue(runtime, user, "Họp tổ dân phố số 5 lúc 8 giờ sáng Chủ nhật.", broadcast_id=broadcast_id)
    assert await stream.texts(1.0) == ["Họp tổ dân phố số 5 lúc 8 giờ sáng Chủ nhật."]
    await settled(runtime)
    async with runtime.db.sessions() as session:
        result = await broadcast_status(session, broadcast_id)
        assert result is not None and result.counts.get("sent") == 1
        assert (await session.get(Broadcast, broadcast_id)).status == "done"


async def test_heartbeats_and_the_bounds_on_open_streams(runtime) -> None:
    async with TestClient(TestServer(fast_app(runtime, heartbeat=0.05, per_user=2, max_streams=3))) as client:
        first, second = await open_stream(client, "tab-a"), await open_stream(client, "tab-a")
        third = await open_stream(client, "tab-a")  # a reload: the oldest stream makes room
        assert await first.next(2.0) is None and first.response.content.at_eof()
        assert await second.next(0.3) is None and "ping" in second.comments
        await open_stream(client, "someone-else")
        full = await client.get("/api/events", params={"user_id": "a-third-person"})
        assert full.status == 503 and full.headers["Retry-After"]
        assert "bận" in (await full.json())["message"]
        bad = await client.get("/api/events", params={"user_id": "a b"})
        assert bad.status == 400 and (await bad.json())["error"] == "bad_user_id"
        assert not third.response.content.at_eof()


async def test_the_api_says_which_language_the_page_should_speak(live) -> None:
    user = await resident(live)
    response = await live.post("/api/messages", json={"user_id": user, "text": "menu"})
    assert (await response.json())["locale"] == "vi"
    for text in ("cài đặt", "ngôn ngữ"):
        await turn(live, user, text)
    response = await live.post("/api/messages", json={"user_id": user, "text": "English"})
    payload = await response.json()
    assert payload["locale"] == "en", payload


async def test_streams_and_confirmations_count_against_the_address_limits(runtime) -> None:
    async with TestClient(TestServer(fast_app(runtime, per_address=2))) as client:
        await open_stream(client, "one-family-a")
        await open_stream(client, "one-family-b")
        third = await client.get("/api/events", params={"user_id": "one-family-c"})
        assert third.status == 503  # a third page from the same address waits; the first two stay open
        runtime.settings.web_address_limit = 5
        statuses = [(await client.get("/api/events", params={"user_id": "x y"})).status for _ in range(3)]
        statuses.append((await client.post("/api/events/ack", json={"user_id": "abc", "ids": [1]})).status)
        assert statuses[-2:] == [429, 429]  # the same budget per address as POST /api/messages
        too_many = await client.post("/api/messages", json={"user_id": "abc", "text": "menu"})
        assert too_many.status == 429 and "nhanh quá" in (await too_many.json())["message"]


async def test_a_staff_broadcast_to_a_tdp_reaches_its_web_residents_live_once_and_is_counted(live, runtime) -> None:
    """A ward officer on Telegram sends to tdp:hung-dao/5: the web residents of TDP 5 with the page open
    see it at once, exactly once; a resident of another TDP does not; the delivery counts say so."""
    from bot.core.messages import Incoming
    from bot.people.audit import Actor
    from bot.people.roles import grant_role

    in_five, also_five = await resident(live), await resident(live)
    elsewhere = uuid.uuid4().hex
    for body in ({"text": "/start"}, {"option": "agree"}, {"option": "skip"}, {"option": "60+"},
                 {"option": "w1"}, {"text": "tổ 6"}):
        await live.post("/api/messages", json={"user_id": elsewhere, **body})
    async with runtime.db.transaction() as session:
        await grant_role(session, Actor("test", "test"), "telegram", "777", "staff", None)
    streams = {user: await open_stream(live, user) for user in (in_five, also_five, elsewhere)}
    twice = await open_stream(live, in_five)  # the same resident with a second tab open

    async def staff(text: str | None = None, option: str | None = None) -> list[Any]:
        return await runtime.engine.handle(Incoming("telegram", "777", None, text=text, option=option))

    for step in ("/start", "de sau", "can bo phuong", "gui thong bao", "soan thong bao moi",
                 "Họp tổ dân phố số 5 lúc 8 giờ sáng Chủ nhật.", "mot to dan pho", "to 5"):
        preview = await staff(step)
    preview = await staff(option="now")
    if "urgent" in [o.id for o in preview[-1].options]:  # run during quiet hours (21:00–07:00 ward time)
        preview = await staff(option="urgent")
    assert "trang web 2" in preview[-1].text
    await staff(option="confirm")
    received = {user: await stream.texts(1.5) for user, stream in streams.items()}
    received_twice = await twice.texts(0.5)
    text = "Họp tổ dân phố số 5 lúc 8 giờ sáng Chủ nhật."
    assert [t for t in received[in_five] + received_twice if text in t] and \
        len([t for t in received[in_five] + received_twice if text in t]) == 1
    assert len([t for t in received[also_five] if text in t]) == 1
    assert not [t for t in received[elsewhere] if text in t]
    await settled(runtime)
    async with runtime.db.sessions() as session:
        broadcast = await session.scalar(select(Broadcast))
        result = await broadcast_status(session, broadcast.id)
    assert broadcast.total == 2 and result is not None and result.counts["sent"] == 2
