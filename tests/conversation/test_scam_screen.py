"""Kiểm tra tin nhắn lạ in the conversation: from the menu, pasted anywhere with a link, forwarded on
Telegram; the verdict word and what to do reach the resident, with a way on."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from bot.channels.telegram import incoming_of
from bot.channels.telegram_updates import Said, read_update
from bot.core.messages import Incoming
from bot.db.learning import LessonProgress, UnansweredQuestion
from bot.handlers.scamcheck import PRACTICE_LESSON

FAKE_BANK = ("Vietcombank thong bao: Tai khoan cua Quy khach se bi tam khoa do chua cap nhat sinh trac hoc. "
             "Vui long truy cap https://vietcombank-vn.top/xacthuc de cap nhat truoc 17h hom nay.")
_ids = itertools.count(1)


async def test_the_menu_entry_asks_for_the_message_and_gives_a_verdict_and_what_to_do(chat) -> None:
    await chat.onboard()
    await chat.send("kiem tra tin nhan la")
    assert chat.screen == "scam.check" and "dán" in chat.text
    await chat.send(FAKE_BANK)
    assert "Nguy hiểm" in chat.text and "156" in chat.text
    assert chat.option_ids() == ["check-another", "helper", "menu"]
    await chat.send(option="check-another")
    assert chat.screen == "scam.check" and "Nguy hiểm" not in chat.text


async def test_a_message_with_a_link_pasted_at_the_menu_is_checked_and_not_kept(chat) -> None:
    await chat.onboard()
    await chat.send(FAKE_BANK)
    assert chat.last.about == "scam:nguy-hiem" and "Nguy hiểm" in chat.text
    async with chat.runtime.db.sessions() as session:
        assert list(await session.scalars(select(UnansweredQuestion.text))) == []


async def test_a_harmless_message_says_the_check_cannot_prove_safety(chat) -> None:
    await chat.onboard()
    await chat.send("kiem tra tin nhan la")
    await chat.send("Con chao me, chieu nay con ve an com nhe.")
    assert "Chưa thấy dấu hiệu lừa" in chat.text


async def test_a_message_forwarded_on_telegram_is_checked(runtime) -> None:
    update = {"update_id": 501, "message": {"message_id": 9, "from": {"id": 4242, "first_name": "Lan"},
                                           "chat": {"id": 4242, "type": "private"}, "date": 0,
                                           "forward_origin": {"type": "hidden_user", "sender_user_name": "X", "date": 0},
                                           "text": "Ban da trung thuong 50 trieu, nop phi 500k de nhan qua"}}
    said = read_update(update)
    assert isinstance(said, Said) and said.forwarded
    incoming = incoming_of(said)
    assert incoming.forwarded
    await runtime.engine.handle(Incoming("telegram", "4242", "s1", text="/start"))
    for text in ("đồng ý", "Bà Lan", "3", "1", "tổ 5", "để sau"):
        await runtime.engine.handle(Incoming("telegram", "4242", f"s{next(_ids)}", text=text))
    replies = await runtime.engine.handle(incoming)
    assert replies[0].about.startswith("scam:") and replies[0].about != "scam:an-toan", replies[0].text


async def test_a_practice_round_explains_each_answer_and_counts_the_right_ones(chat) -> None:
    from bot.handlers.scamcheck import practice_set

    practice = practice_set()
    by_text = {item.text: item for item in practice.items}
    await chat.onboard()
    await chat.send("kiem tra tin nhan la")
    await chat.send(option="practice")
    seen: list[str] = []
    for n in range(practice.draw):
        shown = next(t for t in by_text if f"«{t}»" in chat.text)
        seen.append(shown)
        item = by_text[shown]
        right = n % 2 == 0  # every other answer right
        answer = item.answer if right else ("an-toan" if item.is_scam else "lua-dao")
        await chat.send(option=answer)
        assert ("✅" if right else "❌") in chat.text and item.why in chat.text
    assert len(set(seen)) == practice.draw  # a round never shows a message twice
    assert sum(by_text[t].is_scam for t in seen) == practice.draw - practice.draw // 2  # half real, half fake
    assert f"{(practice.draw + 1) // 2}/{practice.draw}" in chat.text
    assert chat.option_ids() == ["again", "menu"]
    assert "tính vào chủ đề" not in chat.text  # half right is not a pass: nothing counted
    async with chat.runtime.db.sessions() as session:
        assert await session.scalar(select(LessonProgress).where(LessonProgress.lesson_id == PRACTICE_LESSON)) is None
    await chat.send(option="again")
    assert "Tin 1/" in chat.text


async def test_a_passed_round_counts_towards_the_an_toan_topic(chat) -> None:
    from datetime import UTC, datetime

    from bot.handlers.scamcheck import practice_set
    from bot.reports.figures import tdp_figures
    from bot.reports.periods import Period

    practice = practice_set()
    by_text = {item.text: item for item in practice.items}
    await chat.onboard()
    await chat.send("kiem tra tin nhan la")
    await chat.send(option="practice")
    for _ in range(practice.draw):
        item = by_text[next(t for t in by_text if f"«{t}»" in chat.text)]
        await chat.send(option=item.answer)
    assert f"{practice.draw}/{practice.draw}" in chat.text and "tính vào chủ đề An toàn trên mạng" in chat.text
    now = datetime.now(UTC)
    async with chat.runtime.db.sessions() as session:
        row = await session.scalar(select(LessonProgress).where(LessonProgress.lesson_id == PRACTICE_LESSON))
        figures = await tdp_figures(session, Period.monthly(now.year, now.month))
    assert row is not None and row.topic_id == "antoan" and row.completed_at is not None
    assert any(r.lessons_completed.get("antoan") == 1 for r in figures)


async def test_checks_are_counted_per_tdp_in_the_report_without_the_message_or_the_person(chat) -> None:
    from datetime import UTC, datetime

    from bot.db.learning import ScamCheck
    from bot.db.models import User
    from bot.reports.figures import tdp_figures
    from bot.reports.periods import Period

    await chat.onboard()
    await chat.send(FAKE_BANK)  # pasted at the menu: checked at once
    await chat.send("kiem tra tin khac")  # its button, typed
    assert chat.screen == "scam.check"
    await chat.send("Con chao me, chieu nay con ve an com nhe.")
    now = datetime.now(UTC)
    async with chat.runtime.db.sessions() as session:
        tdp = await session.scalar(select(User.tdp_id).where(User.external_id == chat.user))
        rows = await tdp_figures(session, Period.monthly(now.year, now.month))
        stored = list(await session.execute(select(ScamCheck)))
    row = next(r for r in rows if r.tdp_id == tdp)
    assert (row.scam_checks, row.scam_dangerous) == (2, 1)
    assert "vietcombank" not in repr(stored).lower() and chat.user not in repr(stored)


async def test_staff_send_a_quick_warning_quoting_the_trick_residents_checked_most(runtime) -> None:
    from bot.db.learning import ScamCheck
    from bot.scams import default_rules
    from tests.conversation.test_staff import seed

    await seed(runtime)
    rules = default_rules().rules
    rising = rules[-1]  # the one residents checked most this month
    async with runtime.db.transaction() as session:
        session.add_all([ScamCheck(tdp_id=None, verdict="nguy-hiem", signs=[rising.sign]) for _ in range(3)])

    async def say(text: str | None = None, option: str | None = None):
        return await runtime.engine.handle(Incoming("telegram", "staff", None, text=text, option=option))

    for text in ("menu", "can bo phuong", "gui thong bao", "soan thong bao moi"):
        replies = await say(text)
    assert "alert" in [o.id for o in replies[-1].options]
    replies = await say(option="alert")
    assert replies[-1].screen == "broadcast.alert"
    first = replies[-1].options[0]
    assert first.id == f"rule:{rising.id}"
    replies = await say(option=first.id)
    assert replies[-1].screen == "broadcast.audience"
    replies = await say(option="all")
    replies = await say(option="now")
    assert replies[-1].screen == "broadcast.preview"
    assert rising.title in replies[-1].text and "156" in replies[-1].text
