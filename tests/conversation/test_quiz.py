"""Quizzes and certificates, as a resident and a verifier see them."""

from __future__ import annotations

import io
import random
from datetime import UTC

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.db.learning import Certificate, QuizAttempt
from bot.db.models import AuditEntry, User
from bot.people.audit import Actor
from bot.quiz import bank, codes
from bot.quiz.certificates import revoke
from tests.conftest import TEST_KEY, shipped_content


def test_scoring_and_pass_mark() -> None:
    assert bank.score([True] * 8 + [False] * 2) == 8
    assert bank.passed(8, 10, 80) and not bank.passed(7, 10, 80)
    assert bank.passed(10, 10, 100) and not bank.passed(9, 10, 100)
    assert not bank.passed(0, 0, 80)


def test_draw_is_ten_distinct_questions_from_the_bank_with_shuffled_options() -> None:
    questions = shipped_content().questions["antoan"]
    ids = {q.id for q in questions}
    shuffled = 0
    for seed in range(20):
        drawn = bank.draw(questions, random.Random(seed))
        assert len(drawn) == 10 and len({d.question_id for d in drawn}) == 10
        assert {d.question_id for d in drawn} <= ids
        for d in drawn:
            question = next(q for q in questions if q.id == d.question_id)
            assert sorted(d.order) == list(range(len(question.options)))
            if question.kind == "truefalse":
                assert d.order == [0, 1]
            shuffled += d.order != sorted(d.order)
    assert shuffled > 0


async def current_attempt(chat) -> QuizAttempt:
    async with chat.runtime.db.sessions() as session:
        return await session.scalar(select(QuizAttempt).order_by(QuizAttempt.id.desc()))


async def answer_all(chat, *, wrong: int = 0, style: str = "number") -> None:
    """Answers the rest of the open quiz, the first `wrong` answers wrong, typed in `style`."""
    while chat.screen == "quiz.question":
        attempt = await current_attempt(chat)
        position = len(attempt.answers)
        question = next(q for qs in shipped_content().questions.values() for q in qs
                        if q.id == attempt.question_ids[position])
        order = attempt.orders[position]
        right = order.index(question.answer)
        shown = (right + 1) % len(order) if position < wrong else right
        if style == "number":
            await chat.send(str(shown + 1))
        elif style == "letter":
            await chat.send("abcd"[shown])
        elif style == "button":
            await chat.send(option=f"q{shown}")
        else:  # the words of the option, without diacritics
            from bot.core.matching import fold
            await chat.send(fold(question.options[order[shown]]))
        feedback = chat.replies[0]
        assert feedback.screen == "quiz.feedback"
        assert ("Đúng rồi" in feedback.text) == (position >= wrong), feedback.text
        assert question.explanation.strip()[:30] in feedback.text


async def start_quiz(chat, topic: str = "vneid") -> None:
    await chat.send("menu")
    await chat.send("lam bai kiem tra")
    assert chat.screen == "quiz.intro"
    await chat.send(option=f"topic:{topic}")
    assert "10 câu" in chat.text and "8" in chat.text
    await chat.send("bat dau")
    assert chat.screen == "quiz.question" and "Câu 1/10" in chat.last.text
    assert chat.last.options[0].label.startswith("A. ")


@pytest.mark.parametrize("style", ["number", "letter", "button", "words"])
async def test_answers_by_number_letter_button_and_words(chat, style) -> None:
    await chat.onboard()
    await start_quiz(chat, "antoan")
    await answer_all(chat, style=style)
    assert chat.screen in ("quiz.result", "certificate") or "10/10" in chat.text
    assert "đúng 10/10" in chat.text


@pytest.mark.parametrize("word,expected", [("dung", 0), ("Đúng", 0), ("sai", 1), ("sai roi", 1), ("b", 1)])
async def test_true_false_answered_with_words(chat, word, expected) -> None:
    await chat.onboard()
    await start_quiz(chat, "vneid")
    truefalse = [q for q in shipped_content().questions["vneid"] if q.kind == "truefalse"]
    question = next(q for q in truefalse if q.answer == expected)
    async with chat.runtime.db.transaction() as session:  # make the next question a true/false one
        attempt = await session.get(QuizAttempt, (await current_attempt(chat)).id)
        rest = [(i, o) for i, o in zip(attempt.question_ids, attempt.orders) if i != question.id][:9]
        attempt.question_ids = [question.id] + [i for i, _ in rest]
        attempt.orders = [[0, 1]] + [o for _, o in rest]
    await chat.send("menu")
    await chat.send("lam bai kiem tra")
    await chat.send(option="topic:vneid")
    await chat.send("lam tiep")
    assert question.question.strip()[:30] in chat.last.text
    assert [o.label for o in chat.last.options] == ["A. Đúng", "B. Sai", "🔊 Nghe", "Tạm dừng, làm tiếp sau"]
    await chat.send(word)
    assert "Đúng rồi" in chat.replies[0].text


async def test_fail_review_retry_then_pass_gives_one_certificate(chat) -> None:
    await chat.onboard(name="Nguyễn Thị Hồng Nhung")
    await start_quiz(chat)
    await answer_all(chat, wrong=3)
    assert chat.screen == "quiz.result" and "7/10" in chat.text and "chưa đạt" in chat.text
    await chat.send("xem lai cau sai")
    seen = []
    for n in range(1, 4):  # one missed question at a time, the lesson to reread as a button
        assert len(chat.replies) == 1 and f"Câu sai {n}/3" in chat.text and "👉 Đúng là" in chat.text
        assert any(label.startswith("Đọc lại bài: ") for label in chat.labels())
        seen.append(chat.text)
        if n < 3:
            await chat.send("cau sai tiep theo")
    assert len(set(seen)) == 3 and "Câu sai tiếp theo" not in chat.labels()
    await chat.send("lam lai bai kiem tra")
    assert chat.screen == "quiz.intro"
    await chat.send("bat dau")
    first = await current_attempt(chat)
    await answer_all(chat)
    assert chat.screen == "certificate.confirm_name" and '"Nguyễn Thị Hồng Nhung"' in chat.last.text
    await chat.send("dung")  # the name to print is right
    cert_replies = [r for r in chat.replies if r.screen == "certificate"]
    assert len(cert_replies) == 1 and cert_replies[0].document and cert_replies[0].image
    async with chat.runtime.db.sessions() as session:
        certificate = await session.scalar(select(Certificate))
    assert certificate.code in cert_replies[0].text
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(cert_replies[0].document.path.read_bytes())).pages)
    assert "Nguyễn Thị Hồng Nhung" in text and certificate.code in text
    assert "Hưng Đạo" in text

    await start_quiz(chat)  # passing again issues nothing new
    assert (await current_attempt(chat)).id != first.id
    await answer_all(chat)
    assert "đã có giấy chứng nhận" in chat.text
    async with chat.runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 1


async def test_overall_certificate_after_the_four_core_topics(chat) -> None:
    await chat.onboard()
    for topic in ["vneid", "dichvucong", "thanhtoan", "antoan"]:
        await start_quiz(chat, topic)
        await answer_all(chat)
        await chat.send(option="yes")  # the name to print is right
    assert any("bốn chủ đề" in r.text for r in chat.replies if r.screen == "certificate")
    async with chat.runtime.db.sessions() as session:
        topics = set(await session.scalars(select(Certificate.topic_id)))
    assert topics == {"vneid", "dichvucong", "thanhtoan", "antoan", "all"}
    await chat.send("menu")
    await chat.send("chung nhan cua toi")
    assert chat.screen == "certificates" and chat.text.count("•") == 5
    await chat.send("1")
    assert chat.replies[0].screen == "certificate" and chat.replies[0].document is not None


async def test_quiz_can_be_left_and_resumed(chat) -> None:
    await chat.onboard()
    await start_quiz(chat)
    await chat.send("1")
    await chat.send("2")
    assert "Câu 3/10" in chat.last.text
    await chat.send("menu")
    await chat.send("lam bai kiem tra")
    await chat.send(option="topic:vneid")
    assert "câu 3/10" in chat.text
    await chat.send("lam tiep")
    assert "Câu 3/10" in chat.last.text


async def test_no_certificate_without_consent(chat) -> None:
    await chat.send("/start")
    await chat.send("de sau")
    await start_quiz(chat)
    await answer_all(chat)
    assert "chưa đồng ý" in chat.text
    async with chat.runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 0


async def test_verify_page_genuine_revoked_and_invalid(chat, client) -> None:
    await chat.onboard(name="Trần Văn Bình")
    await start_quiz(chat, "antoan")
    await answer_all(chat)
    await chat.send("dung, cap giay")
    async with chat.runtime.db.sessions() as session:
        code = await session.scalar(select(Certificate.code))
    page = await client.get(f"/verify/{code}")
    html = await page.text()
    assert page.status == 200 and "thật" in html and "Trần V. B." in html and "Trần Văn Bình" not in html
    assert "An toàn trên mạng" in html
    assert (await client.get(f"/verify/{code.lower().replace('-', '')}")).status == 200

    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in [tampered, code[:-2], "ABCD-EFGH-JKMN", codes.new_code(TEST_KEY.encode()), "<script>"]:
        response = await client.get(f"/verify/{bad}")
        assert response.status == 404 and "không hợp lệ" in await response.text()

    async with chat.runtime.db.transaction() as session:
        await revoke(session, chat.runtime.settings, code, "cấp nhầm người", actor=Actor("staff", "test"))
    page = await client.get(f"/verify/{code}")
    assert page.status == 200 and "đã thu hồi" in await page.text()
    async with chat.runtime.db.sessions() as session:
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.revoke"))
    assert audit.target == code and audit.detail == "cấp nhầm người"


def test_cli_verify_and_revoke(tmp_path, monkeypatch) -> None:
    import asyncio

    from typer.testing import CliRunner

    from bot.cli import app
    from bot.db.learning import Certificate
    from bot.db.models import User
    from bot.db.session import Database

    url = f"sqlite+aiosqlite:///{tmp_path / 'v.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CERT_SIGNING_KEY", TEST_KEY)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    code = codes.new_code(TEST_KEY.encode())

    async def seed() -> None:
        db = Database(url)
        async with db.transaction() as session:
            user = User(channel="web", external_id="x", state_data={})
            session.add(user)
            await session.flush()
            session.add(Certificate(code=code, user_id=user.id, topic_id="vneid", holder_name="Lê Thị Mai",
                                    topics=["vneid"]))
        await db.dispose()

    asyncio.run(seed())
    result = runner.invoke(app, ["verify", code])
    assert result.exit_code == 0 and "thật" in result.output and "Lê T. M." in result.output
    assert runner.invoke(app, ["verify", code[:-1] + "Z" if code[-1] != "Z" else code[:-1] + "Y"]).exit_code == 1
    result = runner.invoke(app, ["certificate", "revoke", code, "--reason", "nhập sai tên"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["verify", code])
    assert result.exit_code == 0 and "đã thu hồi" in result.output and "nhập sai tên" in result.output


async def test_a_certificate_needs_a_measured_pass(runtime) -> None:
    """A score typed in without the questions (as group sessions once recorded) earns nothing."""
    from datetime import datetime

    from bot.db.learning import QuizAttempt
    from bot.quiz.certificates import issue_for_pass

    async with runtime.db.transaction() as session:
        person = User(channel="offline", external_id="o-1", display_name="Bà Năm", state="menu", state_data={},
                      consent_at=datetime.now(UTC))
        session.add(person)
        await session.flush()
        session.add(QuizAttempt(user_id=person.id, topic_id="vneid", question_ids=[], orders=[], answers=[{}],
                                finished_at=datetime.now(UTC), score=9, passed=True))
        await session.flush()
        assert await issue_for_pass(session, runtime.settings, runtime.services.content, person, "vneid") == []
