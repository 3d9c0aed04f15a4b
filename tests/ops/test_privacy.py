"""A person's data from creation to deletion: everything they leave is in their copy, and nothing of it
stays after "Xóa dữ liệu của tôi" — not in any table, the files folder, Redis or the SQLite file.
Then the paper certificate they hold says "đã thu hồi", not "không hợp lệ"."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text

from bot.app.jobs import apply_retention
from bot.db.learning import Certificate, LessonProgress, QuizAttempt, UnansweredQuestion
from bot.db.models import User
from bot.db.network import HelpRequest
from bot.db.staff import Broadcast, OutboxMessage
from bot.logs import setup_logging
from bot.network import households
from bot.privacy.inventory import HOLDINGS, tables, unclassified
from bot.quiz import certificates as certs
from bot.quiz import codes as cert_codes
from bot.scale.counter import SharedCounter
from bot.scale.link import RedisLink
from tests.conversation.test_network import Person, make_mentor

REDIS_URL = "redis://127.0.0.1:6379/0"
NAME = "Trần Thị Hoa Mai"
HELP_WORD = "Qwxhelp"
ASK_WORD = "Qwxask"
HOME = "Nhà Qwxhome"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def test_every_column_is_exported_deleted_scrubbed_or_said_to_be_nobodys() -> None:
    assert unclassified() == []
    assert set(HOLDINGS) == set(tables())


async def _join_and_ask_for_help(me: Person, invite: str) -> None:
    """Joins the mentor by their invitation, starts a lesson, and opens "Nhờ người hướng dẫn" at step 2."""
    for step in ["nhap ma", invite, "co", "hoc bai", "bo qua ca ba cau"]:
        await me.say(step)
    await me.say(option="topic:vneid")
    await me.say(option="lesson:vneid-2")
    await me.say("tiep")
    await me.say("nho nguoi huong dan")
    assert me.screen == "help_request.new", me.text


async def _person_with_everything(runtime, client) -> tuple[Person, Person, dict[str, str]]:
    """A Telegram resident with a mentor, progress, a quiz, a certificate (files made), a help request,
    a question nobody answered, a household, a link code, a failed code guess, a queued broadcast."""
    mentor, invite = await make_mentor(runtime, client)
    me = Person(client, NAME, channel="telegram")
    me.id = "7733991155"
    await me.onboard()
    await _join_and_ask_for_help(me, invite)
    await me.say(f"{HELP_WORD} không thấy nút cài đặt, stk 0011004123456")
    await me.say("gui")
    await me.say("menu")
    await me.say("hoi dap")
    await me.say(f"{ASK_WORD} con mèo nhà tôi thích ăn quả gì vào mùa đông")
    await me.say("menu")
    await me.say("nhap ma")
    await me.say("ZZZZ-ZZZZ")  # a failed guess: a counter keyed by their identity
    await me.say("menu")
    await me.say("cai dat")
    await me.say(option="profile")
    await me.say(option="link")
    await me.say(option="code")
    async with runtime.db.transaction() as session:
        user = await session.scalar(select(User).where(User.external_id == me.id))
        await households.create(session, user, HOME)
        session.add(QuizAttempt(user_id=user.id, topic_id="vneid", question_ids=["q1"], orders=[[0, 1]],
                                answers=[0], score=100, passed=True))
        code = cert_codes.new_code(runtime.settings.signing_key)
        session.add(Certificate(code=code, user_id=user.id, topic_id="vneid", holder_name=NAME, ward_name="Hưng Đạo",
                                tdp_name="Tổ 3", topics=["vneid"]))
        broadcast = Broadcast(created_by="telegram:1", text="Lịch họp tổ", audience={})
        session.add(broadcast)
        await session.flush()
        session.add(OutboxMessage(broadcast_id=broadcast.id, user_id=user.id, text="Lịch họp tổ"))
    await me.say("menu")
    await me.say("chung nhan cua toi")
    await me.say("1")
    assert any("/files/p-" in (r.get("document_url") or "") for r in me.replies), me.replies
    async with runtime.db.sessions() as session:
        assert await session.scalar(select(LessonProgress.id).where(LessonProgress.user_id == user.id))
        assert await session.scalar(select(HelpRequest.question).where(HelpRequest.mentee_id == user.id))
        assert await session.scalar(select(UnansweredQuestion.text).where(UnansweredQuestion.user_id == user.id))
    return me, mentor, {"external id": me.id, "name": NAME, "help request": HELP_WORD, "question": ASK_WORD,
                        "household": HOME.split()[-1], "certificate code": code}


async def _everything_stored(runtime) -> str:
    chunks = []
    async with runtime.db.sessions() as session:
        for name, table in tables().items():
            for row in (await session.execute(select(table))).all():
                chunks.append(f"{name}: {tuple(row)}")
    return "\n".join(chunks)


def _files_text(folder: Path) -> str:
    """Every file's name and bytes (as Latin-1, so any byte sequence reads)."""
    return "\n".join(f"{p.name}\n{p.read_bytes().decode('latin-1')}" for p in folder.rglob("*") if p.is_file())


async def test_deletion_deletes_everything_and_the_copy_held_all_of_it(runtime, client, backend, tmp_path) -> None:
    link = RedisLink(REDIS_URL, f"test-{uuid.uuid4().hex}:")
    runtime.services.limits = SharedCounter(link)
    redis = Redis.from_url(REDIS_URL)
    try:
        me, mentor, values = await _person_with_everything(runtime, client)
        stored = await _everything_stored(runtime)
        for what, value in values.items():
            assert value in stored, what
        assert [k async for k in redis.scan_iter(match=f"{link.prefix}*{me.id}*")]

        await me.say("menu")
        await me.say("cai dat")
        await me.say(option="privacy")
        await me.say(option="export")
        documents = [r["document_url"] for r in me.replies if r.get("document_url")]
        assert len(documents) == 2, me.replies
        copy = (await (await client.get(urlsplit(documents[1]).path)).read()).decode()
        page = (await (await client.get(urlsplit(documents[0]).path)).read()).decode()
        exported = json.loads(copy)
        for section in exported["sections"]:  # field by field, as the inventory says
            assert all(set(row) == set(HOLDINGS[section["table"]].export) for row in section["rows"]), section
        for what, value in values.items():
            assert value in copy and value in page, what
        assert {s["table"] for s in exported["sections"]} >= {"users", "lesson_progress", "quiz_attempts",
                                                               "certificates", "help_requests", "households",
                                                               "unanswered_questions", "mentorships", "outbox"}

        await me.say("menu")
        await me.say("cai dat")
        await me.say("xoa du lieu cua toi")
        await me.say("xoa het")
        assert me.screen == "deleted" and "Đã xóa" in me.text

        stored = await _everything_stored(runtime)
        for what, value in values.items():
            assert value not in stored, what
        async with runtime.db.sessions() as session:
            assert await session.scalar(select(OutboxMessage.id).where(OutboxMessage.text == "Lịch họp tổ")) is None
        leftover = _files_text(runtime.services.files_dir)
        for what, value in values.items():
            assert value not in leftover, what
        assert not list(runtime.services.files_dir.glob("p-*"))
        assert [k async for k in redis.scan_iter(match=f"{link.prefix}*{me.id}*")] == []
        if backend == "sqlite":
            await runtime.db.dispose()
            raw = b"".join(p.read_bytes() for p in tmp_path.glob("bot.db*"))
            for what, value in values.items():
                assert value.encode() not in raw, what

        response = await client.get(f"/verify/{values['certificate code']}")
        body = await response.text()
        assert response.status == 200 and "đã được thu hồi" in body and NAME not in body

        told = await mentor.inbox()
        assert "rời chương trình" in told and NAME not in told
    finally:
        await redis.aclose()
        await link.close()


async def test_a_code_signed_with_another_key_is_not_valid_rather_than_revoked(runtime) -> None:
    settings = runtime.settings
    async with runtime.db.sessions() as session:
        forged = await certs.verify(session, settings, cert_codes.new_code(b"another ward's key"))
    assert forged.status == "invalid"


async def test_retention_deletes_old_questions_requests_and_silent_unconsented_accounts(runtime) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=400)
    async with runtime.db.transaction() as session:
        silent = User(channel="telegram", external_id="5550001", state_data={}, created_at=old, last_seen_at=old)
        learner = User(channel="telegram", external_id="5550002", state_data={}, created_at=old, last_seen_at=now,
                       consent_at=old)
        session.add_all([silent, learner])
        await session.flush()
        session.add_all([
            UnansweredQuestion(text="cũ", channel="web", asked_at=old),
            UnansweredQuestion(text="mới", channel="web", asked_at=now),
            HelpRequest(mentee_id=learner.id, question="cũ", context={}, created_at=old),
            HelpRequest(mentee_id=learner.id, question="mới", context={}, created_at=now),
        ])
    async with runtime.db.transaction() as session:
        removed = await apply_retention(session, runtime.settings, now)
    assert removed == {"unconsented accounts": 1, "unanswered questions": 1, "help requests": 1}
    async with runtime.db.sessions() as session:
        assert set(await session.scalars(select(UnansweredQuestion.text))) == {"mới"}
        assert set(await session.scalars(select(HelpRequest.question))) == {"mới"}
        assert set(await session.scalars(select(User.external_id))) == {"5550002"}


async def test_the_privacy_screen_says_how_long_each_kind_of_data_is_kept(chat) -> None:
    await chat.onboard()
    await chat.send("cai dat")
    await chat.send(option="privacy")
    assert "180 ngày" in chat.text and "365 ngày" in chat.text and "90 ngày" in chat.text
    assert "Tải dữ liệu của tôi" in chat.labels()


async def test_a_web_account_linked_to_telegram_gets_no_copy(runtime, client) -> None:
    me = Person(client, NAME, channel="telegram")
    await me.onboard()
    await me.say("cai dat")
    await me.say(option="profile")
    await me.say(option="link")
    await me.say(option="code")
    code = me.code() if "-" in me.text else None
    assert code
    web = Person(client, "web")
    await web.say(f"/start m_{code.replace('-', '')}")
    await web.say("cai dat")
    await web.say(option="privacy")
    await web.say(option="export")
    assert "Zalo hoặc Telegram" in web.text and not any(r.get("document_url") for r in web.replies)


async def test_sql_errors_never_log_parameters(runtime) -> None:
    async with runtime.db.sessions() as session:
        with pytest.raises(Exception) as raised:
            await session.execute(text("SELECT * FROM no_such_table WHERE x = :secret"), {"secret": "0912345678"})
    assert "0912345678" not in str(raised.value)


async def test_numbers_people_type_reach_mentors_staff_and_logs_masked(runtime, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    mentor, invite = await make_mentor(runtime, client)
    me = Person(client, "Bà Lan")
    await me.onboard()
    await _join_and_ask_for_help(me, invite)
    await me.say("gọi (+84) 912 345 678 nhé, con tôi chuyển vào stk 0011004123456 rồi, cccd 0012 3456 7890")
    assert "<bank-account>" in me.text and "<phone>" in me.text
    await me.say("gui")
    await me.say("menu")
    await me.say("hoi dap")
    await me.say("so the 9704 1234 5678 9012 cua toi bi khoa thi lam sao a")
    alert = await mentor.inbox()
    async with runtime.db.sessions() as session:
        stored = " ".join([*await session.scalars(select(HelpRequest.question)),
                           *await session.scalars(select(UnansweredQuestion.text))])
    for number in ("0011004123456", "912 345 678", "0012 3456 7890", "9704 1234 5678 9012"):
        assert number not in alert and number not in stored and number not in caplog.text, number
    assert "<bank-account>" in alert


async def test_even_at_debug_level_the_log_carries_no_sql_parameters(runtime, capfd) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    setup_logging("DEBUG")
    try:
        async with runtime.db.sessions() as session:
            await session.execute(text("SELECT :said"), {"said": "Qwxparam ở tổ 5"})
    finally:
        root.handlers[:], root.level = handlers, level
    assert "Qwxparam" not in capfd.readouterr().err
