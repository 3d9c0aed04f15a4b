"""Whatever a person sends, on whatever screen: a reply with a way on, never an exception."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.messages import Incoming
from bot.db.models import User
from bot.handlers import build_flow

TEXTS = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["menu", "0", "quay lại", "trợ giúp", "hủy", "1", "2", "7", "a", "đúng", "sai", "tiep",
                     "/start", "/start m_XXXX", "tổ 5", "ABCD2345", "   ", "🙂", "x" * 5000]),
)
OPTIONS = st.one_of(st.sampled_from(["menu", "back", "help", "cancel", "again", "next", "q0", "a1", "topic:vneid",
                                     "lesson:vneid-1", "faq:xyz", "read:nope", "cert:999", "mentee:1", "m:5",
                                     "w1", "t1", "more", "yes", "no"]), st.text(max_size=20))


def screens_with_data() -> list[tuple[str, dict[str, Any]]]:
    data: dict[str, dict[str, Any]] = {"lesson.step": {"lesson": "vneid-1", "step": 1}, "lesson.practice": {"lesson": "vneid-1"},
            "lesson.check": {"lesson": "vneid-1"}, "lesson.done": {"lesson": "vneid-1"},
            "topic.lessons": {"topic": "vneid"}, "quiz.intro": {"topic": "antoan"}}
    return [(name, data.get(name, {})) for name in sorted(build_flow().screens)]


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_any_input_on_any_screen_gets_a_reply_with_a_way_on(runtime, data) -> None:
    screen, screen_data = data.draw(st.sampled_from(screens_with_data()))
    text = data.draw(TEXTS)
    option = data.draw(st.one_of(st.none(), OPTIONS))
    external = uuid.uuid4().hex

    async with runtime.db.transaction() as session:
        session.add(User(channel="telegram", external_id=external, state=screen, consent_at=None,
                         state_data={"data": screen_data, "options": [], "history": []}, display_name="Lan"))
    first = await runtime.engine.handle(Incoming("telegram", external, str(uuid.uuid4()), text=text))
    second = await runtime.engine.handle(
        Incoming("telegram", external, str(uuid.uuid4()), text=None if option else text, option=option))
    for replies in (first, second):
        assert replies, f"no reply on {screen}"
        assert replies[-1].options, f"dead end on {screen}: {replies[-1].text!r}"
        assert all(r.text for r in replies)
        assert all(len(r.options) <= 6 for r in replies), [(r.screen, len(r.options)) for r in replies]
