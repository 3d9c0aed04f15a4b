"""The outbound sender: pacing per chat, the channel's rate, replies before bulk, 429/5xx/403; and the text splitter.

Sends go through the real Telegram client (python-telegram-bot) to the fake Telegram server, which
measures the pacing and records any call made during a retry_after wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram import Bot
from telegram.error import NetworkError

from bot.app.runtime import Runtime
from bot.channels import telegram_api
from bot.channels.render import numbered, split_text, utf16_len, with_numbered_options
from bot.channels.sender import BULK, REPLY, Failure, Outcome, Sender
from bot.channels.telegram import classify
from bot.core.limits import TokenBucket
from bot.core.messages import Option
from bot.db.models import User
from bot.people.accounts import mark_unreachable
from tests.fakes import FakeTelegramServer

TOKEN = "123456789:TEST-fake-telegram-token"



@pytest.fixture
async def bot(tg: FakeTelegramServer) -> AsyncIterator[Bot]:
    bot = telegram_api.make_bot(TOKEN, tg.base_url)
    yield bot
    await telegram_api.close(bot)


def make_sender(bot: Bot, rate: float = 50.0, **options: Any) -> Sender:
    async def deliver(chat_id: str, text: str) -> None:
        await bot.send_message(int(chat_id), text)

    options = {"per_chat_interval": 1.0, "retry_base": 0.05, **options}
    sender = Sender("telegram", deliver, classify, limiter=TokenBucket(rate), **options)
    sender.start()
    return sender


async def test_pacing_per_chat_and_the_channel_rate_hold_under_load(tg: FakeTelegramServer, bot: Bot) -> None:
    sender = make_sender(bot, rate=20.0)
    started = time.monotonic()
    futures = [sender.submit(chat, [f"tin {n} cho {chat}"]) for n in range(2) for chat in range(1000, 1030)]
    assert set(await asyncio.gather(*futures)) == {Outcome.SENT}
    elapsed = time.monotonic() - started
    await sender.close()
    assert len(tg.calls_of("sendMessage")) == 60
    gap = tg.min_interval_per_chat()
    assert gap is not None and gap >= 1.0
    assert tg.max_rate(window=1.0) <= 21  # 20/s; one more at most from request jitter at the window's edge
    assert 2.9 <= elapsed < 5.0
    for chat in range(1000, 1030):
        assert tg.texts_to(chat) == [f"tin 0 cho {chat}", f"tin 1 cho {chat}"]
    assert tg.rejected == [] and tg.violations == []


async def test_a_reply_overtakes_a_queued_broadcast(tg: FakeTelegramServer, bot: Bot) -> None:
    sender = make_sender(bot, rate=40.0)
    broadcast = [sender.submit(chat, ["Thông báo họp tổ dân phố"], BULK) for chat in range(2000, 2020)]
    await tg.wait_sent(2000)
    reply = sender.submit(3000, ["Dạ, mình trả lời bác ngay"], REPLY)
    assert await reply == Outcome.SENT
    sent_before_reply = len(tg.calls_of("sendMessage")) - 1
    assert sent_before_reply <= 3
    assert set(await asyncio.gather(*broadcast)) == {Outcome.SENT}
    await sender.close()


async def test_parts_of_one_message_stay_together_and_in_order(tg: FakeTelegramServer, bot: Bot) -> None:
    sender = make_sender(bot, per_chat_interval=0.05)
    bulk = sender.submit(1, ["tin chung 1", "tin chung 2", "tin chung 3"], BULK)
    await tg.wait_sent(1)
    reply = sender.submit(1, ["trả lời"], REPLY)
    assert await asyncio.gather(bulk, reply) == [Outcome.SENT, Outcome.SENT]
    assert tg.texts_to(1) == ["tin chung 1", "tin chung 2", "tin chung 3", "trả lời"]
    await sender.close()


async def test_429_pauses_the_whole_channel_then_retries_the_same_message(
    tg: FakeTelegramServer, bot: Bot
) -> None:
    sender = make_sender(bot, rate=10.0)
    tg.fail("sendMessage", 429, retry_after=1)
    futures = [sender.submit(chat, [f"tin {chat}"]) for chat in (1, 2, 3)]
    assert set(await asyncio.gather(*futures)) == {Outcome.SENT}
    limited = tg.injected[0]
    after = [c for c in tg.calls_of("sendMessage") if c.at > limited.at]
    assert after and min(c.at for c in after) - limited.at >= 1.0
    assert tg.texts_to(limited.chat_id) == [limited.text]
    assert tg.violations == [] and tg.rejected == []
    await sender.close()


async def test_server_errors_are_retried_with_backoff_then_given_up(tg: FakeTelegramServer, bot: Bot) -> None:
    sender = make_sender(bot)
    tg.fail("sendMessage", 502, times=2)
    assert await sender.submit(1, ["thử lại"]) == Outcome.SENT
    tries = [c.at for c in tg.calls_of("sendMessage")]
    assert len(tries) == 3 and tries[1] - tries[0] >= 0.05 and tries[2] - tries[1] >= 0.1

    tg.fail("sendMessage", 500, times=None)
    assert await sender.submit(2, ["không được"]) == Outcome.FAILED
    assert len(tg.calls_of("sendMessage")) == 3 + 4
    tg.clear_failures()
    assert await sender.submit(2, ["được rồi"]) == Outcome.SENT
    await sender.close()


async def test_network_errors_are_retried_and_bad_requests_are_not() -> None:
    attempts: list[str] = []

    async def deliver(chat_id: str, text: str) -> None:
        attempts.append(text)
        if text == "mạng chập chờn" and attempts.count(text) < 3:
            raise NetworkError("ClientConnectorError")
        if text == "sai":
            raise ValueError("bad request")

    sender = Sender("telegram", deliver, classify, limiter=TokenBucket(100), retry_base=0.01)
    sender.start()
    assert await sender.submit(1, ["mạng chập chờn"]) == Outcome.SENT
    assert await sender.submit(2, ["sai"]) == Outcome.FAILED
    assert attempts == ["mạng chập chờn"] * 3 + ["sai"]
    await sender.close()


async def test_blocked_person_is_marked_unreachable_and_their_queue_dropped(
    runtime: Runtime, tg: FakeTelegramServer, bot: Bot
) -> None:
    async with runtime.db.transaction() as session:
        session.add_all([User(channel="telegram", external_id="42", state_data={}),
                         User(channel="zalo", external_id="42", state_data={})])
    sender = make_sender(bot, on_unreachable=partial(mark_unreachable, runtime.db, "telegram"), per_chat_interval=0.05)
    tg.block(42)
    blocked = [sender.submit(42, [f"tin {n}"]) for n in range(3)]
    other = sender.submit(43, ["vẫn gửi được"])
    assert await asyncio.gather(*blocked, other) == [Outcome.UNREACHABLE] * 3 + [Outcome.SENT]
    assert len([c for c in tg.calls if c.chat_id == 42]) == 1
    async with runtime.db.sessions() as session:
        rows = {u.channel: u.unreachable_at for u in await session.scalars(select(User))}
    assert rows["zalo"] is None and rows["telegram"] is not None
    assert (datetime.now(UTC) - rows["telegram"].replace(tzinfo=UTC)).total_seconds() < 60
    await sender.close()


async def test_close_sends_what_is_queued_first(tg: FakeTelegramServer, bot: Bot) -> None:
    sender = make_sender(bot, per_chat_interval=0.05)
    futures = [sender.submit(7, [f"tin {n}"]) for n in range(3)]
    await sender.close()
    assert [f.result() for f in futures] == [Outcome.SENT] * 3
    assert await sender.submit(7, ["muộn"]) == Outcome.FAILED


async def test_typing_waits_for_slow_turns_and_respects_a_pause() -> None:
    shown: list[str] = []

    async def action(chat_id: str) -> None:
        shown.append(chat_id)

    async def deliver(chat_id: str, part: object) -> None:
        raise AssertionError("nothing is sent")

    sender = Sender("zalo", deliver, lambda exc: Failure("permanent"), limiter=TokenBucket(10), typing_delay=0.05)
    quick = sender.typing("a", action)
    await asyncio.sleep(0.01)
    quick.cancel()
    slow = sender.typing("b", action)
    await asyncio.sleep(0.1)
    slow.cancel()
    sender._pause_until = time.monotonic() + 5  # a 429 wait is running
    paused = sender.typing("c", action)
    await asyncio.sleep(0.1)
    paused.cancel()
    assert shown == ["b"]
    await sender.close()


async def test_token_bucket_spaces_acquisitions() -> None:
    bucket = TokenBucket(rate=50.0)
    started = time.monotonic()
    for _ in range(11):
        await bucket.acquire("telegram")
    assert 0.19 <= time.monotonic() - started < 0.4
    await bucket.acquire("zalo")  # keys are independent
    assert time.monotonic() - started < 0.45


# ---- text splitter and numbered choices ---------------------------------------------------


def rejoins(parts: list[str], original: str) -> bool:
    """The parts appear in order in the original, with only whitespace between and around them."""
    position = 0
    for part in parts:
        found = original.find(part, position)
        if found < 0 or original[position:found].strip():
            return False
        position = found + len(part)
    return not original[position:].strip()


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    para = "a" * 30 + "\n" + "b" * 30
    text = f"{para}\n\n{para}"
    assert split_text(text, 70) == [para, para]
    assert split_text(para, 40) == ["a" * 30, "b" * 30]
    assert split_text("một hai ba bốn", 8) == ["một hai", "ba bốn"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("  ngắn  ", 4096) == ["ngắn"] and split_text(" \n ", 10) == []


def test_hard_cut_keeps_a_letter_with_its_diacritic() -> None:
    text = "a" * 9 + "e\u0301" + "b" * 5  # "é" written as e + combining accent at the cut
    parts = split_text(text, 10)
    assert parts == ["a" * 9, "e\u0301" + "b" * 5]


def test_telegram_counts_emoji_twice() -> None:
    text = "👍" * 3000
    parts = split_text(text, 4096, utf16_len)
    assert [utf16_len(p) for p in parts] == [4096, 1904] and "".join(parts) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ơ\n\t👍\u0301")), max_size=400), st.integers(2, 60))
def test_split_parts_fit_and_rejoin(text: str, limit: int) -> None:
    parts = split_text(text, limit, utf16_len)
    assert all(p and p == p.strip() and utf16_len(p) <= limit for p in parts)
    assert rejoins(parts, text)


def test_numbered_choices() -> None:
    options = [Option("learn", "Học bài"), Option("quiz", "Làm bài kiểm tra")]
    assert numbered(options) == "1. Học bài\n2. Làm bài kiểm tra"
    assert with_numbered_options("Bạn muốn làm gì?", options) == "Bạn muốn làm gì?\n\n1. Học bài\n2. Làm bài kiểm tra"
    assert with_numbered_options("Xong.", []) == "Xong."
