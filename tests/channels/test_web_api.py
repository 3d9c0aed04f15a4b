"""The web chat JSON API of the design file, through aiohttp's test client."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from bot.db.models import User


def uid() -> str:
    return uuid.uuid4().hex


async def send(client, user: str, **body):
    response = await client.post("/api/messages", json={"user_id": user, **body})
    assert response.status == 200, await response.text()
    return (await response.json())["replies"]


async def test_onboarding_through_the_api(client) -> None:
    user = uid()
    replies = await send(client, user, text="/start")
    assert replies[-1]["screen"] == "onboarding.consent"
    assert set(replies[-1]) == {"text", "screen", "options", "image_url", "document_url", "audio_url"}
    assert replies[-1]["options"][0] == {"id": "agree", "label": "Đồng ý"}
    replies = await send(client, user, option="agree")
    assert replies[-1]["screen"] == "onboarding.name"
    await send(client, user, text="Chú Ba")
    await send(client, user, text="tu 16 den 59")
    await send(client, user, text="chu van an")
    replies = await send(client, user, text="to 3")
    assert replies[-1]["screen"] == "nudges.offer"  # "Nhắc tôi học?" closes onboarding
    replies = await send(client, user, option="later")
    assert replies[-1]["screen"] == "menu"
    assert "Chú Ba" in replies[-1]["text"]
    assert all(len(r["options"]) <= 6 for r in replies)


async def test_bad_requests_get_clear_json_errors_and_change_nothing(client, runtime) -> None:
    cases = [
        (b"{not json", "bad_json"),
        (b"[1, 2]", "bad_json"),
        (b'{"text": "hi"}', "bad_user_id"),
        (b'{"user_id": "", "text": "hi"}', "bad_user_id"),
        (b'{"user_id": "a b", "text": "hi"}', "bad_user_id"),
        (b'{"user_id": "abc"}', "text_or_option"),
        (b'{"user_id": "abc", "text": "x", "option": "y"}', "text_or_option"),
        (b'{"user_id": "abc", "text": 5}', "bad_text"),
        (b'{"user_id": "abc", "option": "a\\u0001b"}', "bad_option"),
        (('{"user_id": "abc", "option": "' + "o" * 129 + '"}').encode(), "bad_option"),
        (('{"user_id": "abc", "text": "' + "a" * 4001 + '"}').encode(), "text_too_long"),
    ]
    for body, code in cases:
        response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        assert response.status == 400, body[:40]
        payload = await response.json()
        assert payload["error"] == code and payload["message"]
    huge = await client.post("/api/messages", data=b"x" * 200_000)
    assert huge.status == 413
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_text_of_exactly_4000_characters_is_accepted(client) -> None:
    user = uid()
    await send(client, user, text="/start")
    await send(client, user, text="đồng ý")
    replies = await send(client, user, text="a" * 4000)
    assert replies[-1]["options"]


async def test_flood_is_answered_with_429(client) -> None:
    user = uid()
    statuses = []
    for _ in range(25):
        response = await client.post("/api/messages", json={"user_id": user, "text": "menu"})
        statuses.append(response.status)
    assert statuses[:20] == [200] * 20
    assert 429 in statuses[20:]
    assert (await response.json())["message"]


async def test_message_id_deduplicates_retries(client) -> None:
    """A resend ("Gửi lại") is handled once and gets the same answer back, so the page keeps its buttons."""
    user = uid()
    await send(client, user, text="/start", message_id="m1")
    first = await send(client, user, option="agree", message_id="m2")
    retry = await send(client, user, option="agree", message_id="m2")
    assert first and retry == first and first[-1]["screen"] == "onboarding.name"
    after = await send(client, user, option="skip", message_id="m3")
    assert after[-1]["screen"] == "onboarding.age"  # the retry did not move the conversation twice


async def test_message_ids_belong_to_one_person(client) -> None:
    """Two browsers counting their messages from 1 must not drop each other's."""
    one, other = uid(), uid()
    assert await send(client, one, text="/start", message_id="1")
    assert await send(client, other, text="/start", message_id="1")


async def test_chat_page_health_and_files(client, runtime) -> None:
    page = await client.get("/")
    assert page.status == 200
    html = await page.text()
    assert "Trợ lý Bình dân học vụ số" in html and "/static/chat.js" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # no CDN
    assert (await client.get("/static/chat.js")).status == 200
    health = await client.get("/healthz")
    assert health.status == 200 and (await health.json())["status"] == "ok"
    (runtime.services.files_dir / "abc123.pdf").write_bytes(b"%PDF-1.4")
    assert (await client.get("/files/abc123.pdf")).status == 200
    assert (await client.get("/files/missing.pdf")).status == 404
    assert (await client.get("/files/..%2Fbot.db")).status == 404


async def test_the_60_plus_age_band_can_be_tapped(client) -> None:
    """The web chat offers the option id "60+": tapping it must pass the API and finish the step."""
    user = "sixty-plus"
    await send(client, user, text="/start")
    await send(client, user, option="agree")
    await send(client, user, option="skip")
    replies = await send(client, user, option="60+")
    assert replies[-1]["screen"] == "onboarding.ward"
