"""Câu hỏi chưa trả lời in chat: residents' unanswered questions grouped for staff, answered once to each asker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import select

from bot.core.messages import Incoming
from bot.db.learning import UnansweredQuestion
from bot.db.models import AuditEntry, Tdp, User, Ward
from bot.db.staff import OutboxMessage

QUESTION = "cho tôi hỏi đăng ký hiến máu nhân đạo ở đâu"
SAME = "dang ky hien mau nhan dao o dau vay"


async def seed(runtime) -> dict[str, int]:
    async with runtime.db.transaction() as session:
        ward = await session.scalar(select(Ward).where(Ward.code == "hung-dao"))
        t5 = await session.scalar(select(Tdp).where(Tdp.ward_id == ward.id, Tdp.number == 5))
        t6 = await session.scalar(select(Tdp).where(Tdp.ward_id == ward.id, Tdp.number == 6))
        people = {"lan": ("telegram", t5, "learner", None), "web": ("web", t5, "learner", None),
                  "mai": ("zalo", t6, "learner", None), "staff": ("telegram", None, "staff", None),
                  "leader6": ("telegram", None, "tdp-leader", t6.id)}
        ids = {}
        for name, (channel, tdp, role, scope) in people.items():
            user = User(channel=channel, external_id=name, ward_id=ward.id, tdp_id=tdp.id if tdp else None, role=role,
                        scope_tdp_id=scope, state="menu", state_data={}, display_name=name, consent_at=datetime.now(UTC))
            session.add(user)
            await session.flush()
            ids[name] = user.id
    return ids


async def ask(runtime, channel: str, who: str, text: str) -> None:
    """A resident asks in "Hỏi đáp" something the FAQ does not know."""
    await runtime.engine.handle(Incoming(channel, who, None, text="menu"))
    await runtime.engine.handle(Incoming(channel, who, None, text="hoi dap"))
    replies = await runtime.engine.handle(Incoming(channel, who, None, text=text))
    assert replies[-1].screen == "fallback", replies[-1].text


def speaker(runtime, who: str):
    """What a staff member on Telegram types or taps, and the replies."""
    async def say(text: str | None = None, option: str | None = None):
        return await runtime.engine.handle(Incoming("telegram", who, None, text=text, option=option))
    return say


async def open_questions(say):
    """From anywhere to the staff menu's "Câu hỏi chưa trả lời": its replies."""
    await say("menu")
    await say("can bo phuong")
    return await say(option="questions")


async def test_staff_answer_a_group_and_each_asker_gets_it_once(runtime) -> None:
    ids = await seed(runtime)
    await ask(runtime, "telegram", "lan", QUESTION)
    await ask(runtime, "telegram", "lan", SAME)       # the same person twice: one answer
    await ask(runtime, "web", "web", SAME)
    await ask(runtime, "zalo", "mai", QUESTION)

    say = speaker(runtime, "staff")

    await say("menu")
    replies = await say("can bo phuong")
    assert any(o.id == "questions" and "(4)" in o.label for o in replies[-1].options)
    replies = await say(option="questions")
    assert replies[-1].screen == "staff.questions"
    assert "4 lượt hỏi" in replies[-1].text and "1 nhóm" in replies[-1].text
    group = replies[-1].options[0]
    assert group.label.startswith("4×") and len(replies[-1].options) <= 6
    replies = await say(option=group.id)
    assert replies[-1].screen == "staff.question" and "hiến máu" in replies[-1].text
    replies = await say("Xin liên hệ trạm y tế phường, số 0225 3 123 456, sáng thứ Hai đến thứ Sáu.")
    assert replies[-1].screen == "staff.question_send" and "3 người" in replies[-1].text
    async with runtime.db.sessions() as session:
        assert not list(await session.scalars(select(OutboxMessage)))   # nothing leaves before "Gửi"
    replies = await say(option="send")
    assert "Đã gửi câu trả lời cho 3 người" in replies[0].text
    assert replies[-1].screen == "staff.questions" and "không có câu hỏi nào" in replies[-1].text

    async with runtime.db.sessions() as session:
        sent = {row.user_id: row.text for row in await session.scalars(select(OutboxMessage))}
        closed = list(await session.scalars(select(UnansweredQuestion)))
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "questions.answer"))
    assert set(sent) == {ids["lan"], ids["web"], ids["mai"]}
    assert "«dang ky hien mau nhan dao o dau vay»" in sent[ids["web"]] and "trạm y tế phường" in sent[ids["web"]]
    assert all(q.answered_at is not None and q.answered_by == "telegram:staff" for q in closed)
    assert audit is not None and audit.actor == "telegram:staff" and audit.detail == "3 people"

    # The web resident sees the answer on their next turn.
    replies = await runtime.engine.handle(Incoming("web", "web", None, text="menu"))
    assert any("trạm y tế phường" in reply.text for reply in replies)


async def test_a_tdp_leader_sees_and_answers_only_their_tdp(runtime) -> None:
    ids = await seed(runtime)
    await ask(runtime, "telegram", "lan", QUESTION)
    await ask(runtime, "zalo", "mai", QUESTION)

    say = speaker(runtime, "leader6")
    replies = await open_questions(say)
    assert "1 lượt hỏi" in replies[-1].text
    await say(option=replies[-1].options[0].id)
    await say("Hỏi trạm y tế phường.")
    replies = await say(option="send")
    assert "cho 1 người" in replies[0].text
    async with runtime.db.sessions() as session:
        assert [row.user_id for row in await session.scalars(select(OutboxMessage))] == [ids["mai"]]
        lan = await session.scalar(select(UnansweredQuestion).where(UnansweredQuestion.user_id == ids["lan"]))
    assert lan.answered_at is None   # still waiting for the ward's staff


async def test_a_group_becomes_a_faq_draft(runtime) -> None:
    await seed(runtime)
    await ask(runtime, "telegram", "lan", QUESTION)
    await ask(runtime, "web", "web", SAME)

    say = speaker(runtime, "staff")
    replies = await open_questions(say)
    await say(option=replies[-1].options[0].id)
    replies = await say(option="draft")
    assert "bản nháp" in replies[-1].text
    drafts = Path(runtime.services.files_dir).parent / "faq-drafts.yaml"
    entry = yaml.safe_load(drafts.read_text(encoding="utf-8"))["faq"][0]
    assert "hiến máu" in entry["question"] and entry["answer"].startswith("TODO")
    replies = await say(option="draft")  # the same group again: one draft is enough
    assert "Chưa tạo được bản nháp" in replies[-1].text and "already drafted" in replies[-1].text
    assert len(yaml.safe_load(drafts.read_text(encoding="utf-8"))["faq"]) == 1


async def test_residents_cannot_open_the_questions(runtime) -> None:
    await seed(runtime)
    await ask(runtime, "telegram", "lan", QUESTION)
    replies = await runtime.engine.handle(Incoming("telegram", "lan", None, option="questions"))
    assert all(reply.screen != "staff.questions" for reply in replies)
    async with runtime.db.sessions() as session:
        assert not list(await session.scalars(select(OutboxMessage)))


async def test_a_deleted_staff_member_is_no_longer_named_on_the_questions_they_answered(runtime) -> None:
    from bot.people.audit import Actor
    from bot.privacy.erase import erase_person

    ids = await seed(runtime)
    await ask(runtime, "telegram", "lan", QUESTION)

    say = speaker(runtime, "staff")
    replies = await open_questions(say)
    await say(option=replies[-1].options[0].id)
    await say("Hỏi trạm y tế phường.")
    await say(option="send")
    async with runtime.db.transaction() as session:
        await erase_person(session, await session.get(User, ids["staff"]), Actor("cli", "test"), "asked")
    async with runtime.db.sessions() as session:
        question = await session.scalar(select(UnansweredQuestion))
    assert question.answered_at is not None and question.answered_by == f"deleted#{ids['staff']}"
