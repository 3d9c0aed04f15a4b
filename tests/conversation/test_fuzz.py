"""10,000 random inputs on every screen, on SQLite and on PostgreSQL: never a 5xx, never an exception.

Half go through the web chat's HTTP API as raw bodies (random bytes, Unicode
edge cases, huge and deeply nested JSON, random option ids) from web
residents placed on every screen; every answer must be 2xx, or 4xx with a
JSON error and a Vietnamese sentence. The other half drive the engine as a
Telegram ward admin who is also a mentor, so the staff and mentor screens run
their own code on the same garbage; every turn must end with a reply that has
a way on. The inputs come from a fixed seed: a failure names the seed and the
input, and replays exactly.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest
from sqlalchemy import update

from bot.core.limits import InboundGuard, Limit
from bot.core.messages import Incoming
from bot.db.models import User
from bot.db.network import Mentor
from bot.people.audit import Actor
from bot.people.roles import grant_role

SEED = 20261206
INPUTS = 10_000
WORDS = ["menu", "0", "quay lại", "trợ giúp", "hủy", "1", "2", "3", "6", "9", "đúng", "sai", "tiep", "có", "không",
         "/start", "/start m_K7QM9TXA", "tổ 5", "tổ -1", "K7QM-9TXA", "0912 345 678", "hoc bai", "dai su so",
         "gui thong bao", "bao cao", "Nguyễn Văn A", "10", "bỏ qua", "20/12 8:00", "telegram:1 staff"]
EDGES = ["\x00", "\ud800", "\udfff", "\u202e", "\u200b", "\ufeff", "e\u0301\u0301\u0301", "🙂" * 50, "\n" * 30,
         "\t", "'; DROP TABLE users; --", "<script>alert(1)</script>", "{{placeholder}}", "%s%s%n", "\\u0000"]
OPTIONS = ["menu", "back", "help", "cancel", "again", "next", "more", "yes", "no", "confirm", "urgent", "now",
           "60+", "u16", "16-59", "topic:vneid", "lesson:vneid-1", "lesson:nope", "faq:xyz", "read:nope", "cert:999",
           "mentee:1", "mentee:-1", "mentee:x", "m:5", "req:1", "y:1", "n:1", "assign:1", "cancel:1", "w1", "t1", "w99999", "t99999", "q9", "a9",
           "unlink:1", "q0", "a1", "min:15", "min:x", "topic:", "lesson:", "quarter", "code", "invite", "leave"]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def random_text(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        return rng.choice(WORDS)
    if kind < 0.55:
        return "".join(rng.choice(EDGES + WORDS) for _ in range(rng.randint(1, 6)))
    if kind < 0.8:
        return "".join(chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x2FFF), rng.randint(0xD800, 0xDFFF),
                                       rng.randint(0x1F300, 0x1FAFF), rng.randint(0xE000, 0x10FFFF)]))
                       for _ in range(rng.randint(1, 40)))
    return rng.choice(WORDS) * rng.randint(50, 500)


def random_body(rng: random.Random, user: str) -> bytes:
    """A request body: mostly well-formed messages, some broken in every way a client can break one."""
    kind = rng.random()
    if kind < 0.45:
        return json.dumps({"user_id": user, "text": random_text(rng)}).encode()
    if kind < 0.7:
        option = rng.choice(OPTIONS) if rng.random() < 0.8 else random_text(rng)[:140]
        return json.dumps({"user_id": user, "option": option, "message_id": uuid.uuid4().hex[:rng.randint(1, 70)]}
                          ).encode()
    if kind < 0.8:
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 300)))
    if kind < 0.87:
        depth = rng.choice([10, 500, 5000])
        return (b'{"user_id": "%s", "text": ' % user.encode()) + b"[" * depth + b"]" * depth + b"}"
    junk: Any = rng.choice([None, 1, [], {}, "x", {"user_id": 5}, {"user_id": user, "text": ["a"]},
                            {"user_id": user, "text": "a", "option": "b"}, {"user_id": "../../etc", "text": "a"},
                            {"user_id": user, "text": "x" * 4001}, {"user_id": user, "message_id": 7, "text": "a"}])
    return json.dumps(junk).encode()


SCREEN_DATA: dict[str, dict[str, Any]] = {
    "lesson.step": {"lesson": "vneid-1", "step": 1}, "lesson.practice": {"lesson": "vneid-1"},
    "lesson.check": {"lesson": "vneid-1"}, "lesson.feedback": {"lesson": "vneid-1"},
    "lesson.done": {"lesson": "vneid-1"}, "topic.lessons": {"topic": "vneid"}, "quiz.intro": {"topic": "antoan"},
    "mentor.mentee": {"mentee": 1}, "mentor.answer": {"request": 1}, "household.join": {"household": 1},
    "mentee.join": {"mentor": 1},
    "broadcast.audience": {"text": "Họp tổ 19h"}, "broadcast.tdp": {"text": "Họp tổ 19h"},
    "broadcast.when": {"text": "Họp tổ 19h", "audience": "all"},
    "broadcast.preview": {"text": "Họp tổ 19h", "audience": "all", "at": "2026-12-20T01:00:00+00:00"},
    "mentor.offline_age": {"name": "Bà Tư"}, "mentor.offline_phone": {"name": "Bà Tư", "age": "60+"},
    "mentor.offline_consent": {"name": "Bà Tư", "age": "60+", "phone": None},
    "mentor.session_topic": {"attendees": [1]}, "mentor.session_lesson": {"attendees": [1], "topic": "vneid"},
    "mentor.session_minutes": {"attendees": [1], "topic": "vneid", "lesson": "vneid-1"},
    "mentor.session_place": {"attendees": [1], "topic": "vneid", "lesson": "vneid-1", "minutes": 30},
}
"""What a screen keeps about where the person is, as the screens themselves write it."""


async def place(runtime, channel: str, external_id: str, screen: str) -> None:
    """Puts the person on `screen` (with buttons they might have been shown), as if they had walked there."""
    async with runtime.db.transaction() as session:
        await session.execute(update(User).where(User.channel == channel, User.external_id == external_id).values(
            state=screen, state_data={"data": SCREEN_DATA.get(screen, {}),
                                      "options": [{"id": o, "label": o} for o in OPTIONS[:12]], "history": []}))


async def test_ten_thousand_random_inputs_never_break_a_request(runtime, client, backend) -> None:
    rng = random.Random(SEED)
    runtime.inbound = InboundGuard(Limit("inbound", 10**9, 10.0))  # the fuzzer types faster than any person
    runtime.settings.web_address_limit = 10**9
    screens = sorted(runtime.engine.flow.screens)
    async with runtime.db.transaction() as session:
        admin = await grant_role(session, Actor("test", "test"), "telegram", "1", "admin", None)
        session.add(Mentor(user_id=admin.id, full_name="Mentor", organisation="tdp", status="approved"))
    residents = [uuid.uuid4().hex for _ in range(4)]
    for resident in residents:
        await client.post("/api/messages", json={"user_id": resident, "text": "/start"})
    statuses: dict[int, int] = {}
    for n in range(INPUTS):
        screen = screens[n // 20 % len(screens)]
        if n % 2 == 0:
            user = residents[n // 2 % len(residents)]
            if n % 20 == 0:
                await place(runtime, "web", user, screen)
            body = random_body(rng, user)
            response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
            statuses[response.status] = statuses.get(response.status, 0) + 1
            payload = await response.json()
            assert response.status < 500, (SEED, n, body[:200], await response.text())
            assert response.status < 300 or (payload.get("error") and payload.get("message")), (SEED, n, body[:200])
        else:
            if n % 20 == 1:
                await place(runtime, "telegram", "1", screen)
            text = random_text(rng) if rng.random() < 0.6 else None
            incoming = Incoming("telegram", "1", f"f{n}", text=text,
                                option=None if text is not None else rng.choice(OPTIONS))
            replies = await runtime.engine.handle(incoming)
            assert replies and replies[-1].options, (SEED, n, screen, incoming)
    assert statuses.get(200, 0) > INPUTS // 5 and statuses.get(400, 0) > INPUTS // 20, statuses
