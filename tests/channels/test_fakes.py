"""The fake platform servers behave like the real ones where our bot depends on it.

Why: the end-to-end tests trust these fakes; if a fake accepted what the real
server refuses (or answered in a shape aiogram cannot parse) those tests would
pass for the wrong reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiohttp import ClientSession, web

from tests.fakes import FakeTelegramServer, FakeZaloServer, QuickSession

TOKEN = "123456789:TEST-fake-telegram-token"
USER = 555001



@pytest_asyncio.fixture
async def tg() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(TOKEN) as server:
        yield server


@pytest_asyncio.fixture
async def bot(tg: FakeTelegramServer) -> AsyncIterator[Bot]:
    session = QuickSession(api=TelegramAPIServer.from_base(tg.base_url))
    bot = Bot(TOKEN, session=session)
    yield bot
    await session.close()


@pytest_asyncio.fixture
async def zalo() -> AsyncIterator[FakeZaloServer]:
    async with FakeZaloServer() as server:
        yield server


@pytest_asyncio.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def _receiver(path: str) -> tuple[web.AppRunner, str, list[tuple[dict[str, str], Any]]]:
    """A tiny webhook endpoint that records headers and JSON bodies."""
    seen: list[tuple[dict[str, str], Any]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(path, handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}{path}", seen


# ---------------------------------------------------------------- Telegram


@pytest.mark.asyncio
async def test_aiogram_get_me_and_keyboards(tg: FakeTelegramServer, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456789 and me.is_bot and me.username == "test_bot"

    reply_kb = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Học Zalo"), KeyboardButton(text="Hỏi đáp")]])
    first = await bot.send_message(USER, "Chào bác!", reply_markup=reply_kb)
    inline_kb = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Có", callback_data="quiz:1:yes")]]
    )
    second = await bot.send_message(USER, "Bác đã thử chưa?", reply_markup=inline_kb)

    assert (first.message_id, second.message_id) == (1, 2)
    assert second.chat.id == USER and second.from_user and second.from_user.is_bot
    assert second.reply_markup is not None and second.reply_markup.inline_keyboard[0][0].callback_data == "quiz:1:yes"
    assert tg.texts_to(USER) == ["Chào bác!", "Bác đã thử chưa?"]
    sent = tg.sent_to(USER)
    assert sent[0].button_texts() == ["Học Zalo", "Hỏi đáp"]
    assert sent[1].button_data() == ["quiz:1:yes"]
    assert isinstance(sent[0].params["chat_id"], int)
    assert tg.rejected == []


@pytest.mark.asyncio
async def test_send_document_upload_and_commands(tg: FakeTelegramServer, bot: Bot) -> None:
    data = b"%PDF-1.4 chung chi" * 10
    msg = await bot.send_document(USER, BufferedInputFile(data, filename="chung-chi.pdf"), caption="Chứng chỉ")
    assert msg.document is not None and msg.document.file_name == "chung-chi.pdf"
    assert msg.document.file_size == len(data) and msg.caption == "Chứng chỉ"
    call = tg.sent_to(USER)[0]
    assert call.files["document"].filename == "chung-chi.pdf" and call.files["document"].size == len(data)

    again = await bot.send_document(USER, msg.document.file_id)  # re-send by file_id
    assert again.document is not None and again.document.file_name == "chung-chi.pdf"

    assert await bot.set_my_commands([BotCommand(command="start", description="Bắt đầu")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await bot.send_chat_action(USER, "typing")
    assert tg.rejected == []


@pytest.mark.asyncio
async def test_get_updates_offset_and_long_poll(tg: FakeTelegramServer, bot: Bot) -> None:
    u1 = tg.push_message(USER, "/start")
    u2 = tg.push_message(USER, "xin chào", first_name="Ông Tư")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [u1["update_id"], u2["update_id"]]
    assert updates[0].message and updates[0].message.text == "/start"
    second = updates[1].message
    assert second is not None and second.from_user is not None and second.from_user.first_name == "Ông Tư"

    # offset confirms both; the long poll then wakes as soon as an update arrives
    asyncio.get_running_loop().call_later(0.1, tg.push_message, USER, "1")
    started = time.monotonic()
    later = await bot.get_updates(offset=u2["update_id"] + 1, timeout=2)
    assert 0.05 < time.monotonic() - started < 1.5
    assert [u.message.text for u in later if u.message] == ["1"]

    sent = await bot.send_message(USER, "Chọn:", reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]))
    cb = tg.push_callback(USER, "a")
    got = await bot.get_updates(offset=later[-1].update_id + 1)
    query = got[0].callback_query
    assert query is not None and query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(cb["callback_query"]["id"])
    edited = await bot.edit_message_text("Đã chọn A", chat_id=USER, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "Đã chọn A"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Đã chọn A", chat_id=USER, message_id=sent.message_id)
    assert len(tg.rejected) == 1
    assert (await bot.get_updates(offset=got[-1].update_id + 1, timeout=0)) == []
    assert tg.pending_updates == []


@pytest.mark.asyncio
async def test_invalid_requests_are_rejected_and_recorded(tg: FakeTelegramServer, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "a" * 4097)
    await bot.send_message(USER, "a" * 4096)  # the limit itself is fine

    button = InlineKeyboardButton(text="x", callback_data="é" * 32 + "x")  # 65 bytes, 33 chars
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "Chọn", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))

    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "1 < 2 <br>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="reserved"):
        await bot.send_message(USER, "Xong rồi.", parse_mode="MarkdownV2")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")

    assert [c.error for c in tg.rejected][:2] == [
        "Bad Request: message is too long",
        "Bad Request: BUTTON_DATA_INVALID",
    ]
    assert all(c.status == 400 for c in tg.rejected) and len(tg.rejected) == 5
    assert tg.texts_to(USER) == ["a" * 4096]


@pytest.mark.asyncio
async def test_raw_http_errors(tg: FakeTelegramServer, http: ClientSession) -> None:
    async with http.post(f"{tg.base_url}/bot1:wrong/getMe") as resp:
        assert resp.status == 401 and (await resp.json())["description"] == "Unauthorized"
    async with http.post(f"{tg.base_url}/bot{TOKEN}/sendDice", json={"chat_id": 1}) as resp:
        assert resp.status == 404
        assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
    async with http.post(f"{tg.base_url}/bot{TOKEN}/sendMessage", data={"text": "hi"}) as resp:
        assert resp.status == 400 and "chat_id" in (await resp.json())["description"]
    async with http.post(f"{tg.base_url}/bot{TOKEN}/sendMessage",
                         json={"chat_id": 1, "text": "hi", "reply_markup": "{not json"}) as resp:
        assert resp.status == 400
    assert [c.status for c in tg.rejected] == [401, 404, 400, 400]


@pytest.mark.asyncio
async def test_retry_after_and_forbidden(tg: FakeTelegramServer, bot: Bot) -> None:
    tg.fail("sendMessage", 429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(USER, "một")
    assert info.value.retry_after == 7
    with pytest.raises(TelegramRetryAfter):  # too early: recorded as a violation
        await bot.send_message(USER + 1, "hai")
    assert len(tg.violations) == 1 and tg.violations[0].early_by > 6
    tg.clear_failures()

    tg.block(USER)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(USER, "ba")
    await bot.send_message(USER + 1, "bốn")
    assert tg.texts_to(USER + 1) == ["bốn"] and tg.texts_to(USER) == []
    assert tg.rejected == [] and len(tg.injected) == 2


@pytest.mark.asyncio
async def test_random_failures_block_sticks(tg: FakeTelegramServer, bot: Bot) -> None:
    tg.random_failures(rate_429=0.0, rate_403=0.3, seed=7)
    outcome: dict[int, list[str]] = {}
    for _ in range(2):
        for chat in range(1000, 1020):
            try:
                await bot.send_message(chat, "tin")
                outcome.setdefault(chat, []).append("ok")
            except TelegramForbiddenError:
                outcome.setdefault(chat, []).append("403")
    blocked = {c for c, r in outcome.items() if r[0] == "403"}
    assert blocked and all(outcome[c] == ["403", "403"] for c in blocked)
    assert blocked <= tg.blocked_chats


@pytest.mark.asyncio
async def test_pacing_helpers(tg: FakeTelegramServer, bot: Bot) -> None:
    assert tg.min_interval_per_chat() is None and tg.max_rate() == 0
    await bot.send_message(1, "a")
    await bot.send_message(2, "b")
    await asyncio.sleep(0.12)
    await bot.send_message(1, "c")
    interval = tg.min_interval_per_chat()
    assert interval is not None and 0.1 <= interval < 1.0
    assert tg.max_rate(window=1.0) == 3 and tg.max_rate(window=0.1) == 2


@pytest.mark.asyncio
async def test_webhook_delivery(tg: FakeTelegramServer, bot: Bot) -> None:
    runner, url, seen = await _receiver("/tg/hook")
    try:
        assert await bot.set_webhook(url, secret_token="s3cret_TOKEN-1")
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()

        update = tg.make_message_update(USER, "/start")
        assert await tg.deliver(update) == (200, "ok")
        assert await tg.deliver(update, secret=None) == (200, "ok")
        assert seen[0][0]["X-Telegram-Bot-Api-Secret-Token"] == "s3cret_TOKEN-1"
        assert "X-Telegram-Bot-Api-Secret-Token" not in seen[1][0]
        assert seen[0][1] == seen[1][1] == update

        with pytest.raises(TelegramBadRequest, match="secret token"):
            await bot.set_webhook(url, secret_token="có dấu")
        assert await bot.delete_webhook()
        assert await bot.get_updates() == []
        assert [c.method for c in tg.rejected] == ["getUpdates", "setWebhook"]
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_webhook_answer_with_method_is_executed(tg: FakeTelegramServer) -> None:
    async def handle(request: web.Request) -> web.Response:
        update = await request.json()
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "Dạ"})

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        status, _ = await tg.deliver(tg.make_message_update(USER, "hi"), url=url)
        assert status == 200 and tg.texts_to(USER) == ["Dạ"]
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------- Zalo


@pytest.mark.asyncio
async def test_zalo_get_updates_one_then_timeout(zalo: FakeZaloServer, http: ClientSession) -> None:
    url = f"{zalo.base_url}/bot{zalo.token}/getUpdates"
    first = zalo.push_text("6ede9afa66b88fe6d6a9", "Xin chào")
    zalo.push_text(1234, "2")
    async with http.post(url, json={"timeout": 1}) as resp:
        body = await resp.json()
    assert body == {"ok": True, "result": first}
    assert body["result"]["message"]["from"] == {"id": "6ede9afa66b88fe6d6a9", "display_name": "Bà Lan"}
    assert isinstance(body["result"]["message"]["date"], int) and body["result"]["message"]["date"] > 10**12
    async with http.post(url, json={"timeout": 1}) as resp:
        assert (await resp.json())["result"]["message"]["chat"] == {"id": "1234", "chat_type": "PRIVATE"}

    started = time.monotonic()
    async with http.post(url, json={"timeout": 0.2}) as resp:
        body = await resp.json()
    assert 0.15 < time.monotonic() - started < 1.0
    assert body == {"ok": False, "error_code": 408, "description": "Request timeout"}
    assert zalo.rejected == []


@pytest.mark.asyncio
async def test_zalo_send_limits(zalo: FakeZaloServer, http: ClientSession) -> None:
    base = f"{zalo.base_url}/bot{zalo.token}"
    async with http.post(f"{base}/getMe", json={}) as resp:
        assert (await resp.json())["result"]["id"] == zalo.token.split(":")[0]
    async with http.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": "x" * 2000}) as resp:
        result = (await resp.json())["result"]
    assert isinstance(result["message_id"], str) and isinstance(result["date"], int)
    async with http.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": "x" * 2001}) as resp:
        body = await resp.json()
    assert body["ok"] is False and body["error_code"] == 400
    async with http.post(f"{base}/sendChatAction", json={"chat_id": "u1", "action": "typing"}) as resp:
        assert await resp.json() == {"ok": True}
    async with http.post(f"{base}/sendPhoto", json={"chat_id": "u1", "photo": "https://x.invalid/a.jpg",
                                                    "caption": "Ảnh"}) as resp:
        assert (await resp.json())["ok"] is True
    async with http.post(f"{base}/sendMessage", json={"chat_id": 42, "text": "số"}) as resp:
        assert (await resp.json())["ok"] is False  # ids are strings

    zalo.fail("sendMessage", 429, retry_after=3)
    async with http.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": "a"}) as resp:
        assert (await resp.json())["parameters"] == {"retry_after": 3}
    async with http.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": "b"}) as resp:
        assert (await resp.json())["error_code"] == 429
    assert len(zalo.violations) == 1

    assert zalo.texts_to("u1") == ["x" * 2000, "Ảnh"]
    assert [c.status for c in zalo.rejected] == [400, 400]


@pytest.mark.asyncio
async def test_zalo_webhook(zalo: FakeZaloServer, http: ClientSession) -> None:
    base = f"{zalo.base_url}/bot{zalo.token}"
    runner, url, seen = await _receiver("/zalo/hook")
    try:
        async with http.post(f"{base}/setWebhook", json={"url": url, "secret_token": "short"}) as resp:
            assert (await resp.json())["ok"] is False
        async with http.post(f"{base}/setWebhook", json={"url": url, "secret_token": "zalo-secret-123"}) as resp:
            assert (await resp.json())["result"]["url"] == url
        async with http.post(f"{base}/getUpdates", json={"timeout": 1}) as resp:
            assert (await resp.json())["error_code"] == 409

        update = zalo.make_text_update("u9", "Học gọi video")
        assert await zalo.deliver(update) == (200, "ok")
        assert await zalo.deliver(update, secret="wrong-secret", envelope=True) == (200, "ok")
        assert seen[0][0]["X-Bot-Api-Secret-Token"] == "zalo-secret-123"
        assert seen[0][1] == update and seen[1][1] == {"ok": True, "result": update}
        assert seen[1][0]["X-Bot-Api-Secret-Token"] == "wrong-secret"

        async with http.post(f"{base}/deleteWebhook", json={}) as resp:
            assert (await resp.json())["result"]["url"] == ""
        async with http.post(f"{base}/getWebhookInfo", json={}) as resp:
            assert (await resp.json())["result"]["url"] == ""
    finally:
        await runner.cleanup()
