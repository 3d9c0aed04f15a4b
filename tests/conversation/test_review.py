"""Spaced review over 60 simulated days: Leitner boxes, missed items sooner, results per item, what people see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.db.models import User
from bot.db.nudges import ReviewItem
from bot.review import items
from bot.review.leitner import INTERVALS, Card, answered, first
from tests.conftest import Chat, shipped_content
from tests.conversation.test_network import Person, make_mentor, user_id
from tests.conversation.test_quiz import answer_all, start_quiz

START = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)  # 09:00 ward time
DAY = timedelta(days=1)


def test_a_learner_who_always_remembers_comes_back_after_1_3_7_14_30_days() -> None:
    card, reviews, day = first(START), [], 0
    while day <= 60:
        moment = START + day * DAY
        if card.due_at <= moment:
            reviews.append(day)
            card = answered(card, True, moment)
        day += 1
    assert reviews == [1, 4, 11, 25, 55]
    assert [b - a for a, b in zip([0, *reviews], reviews)] == list(INTERVALS)
    assert card.box == 5


def test_a_missed_item_comes_back_the_next_day_and_climbs_again() -> None:
    card = Card(4, START)
    missed = answered(card, False, START)
    assert (missed.box, missed.due_at) == (1, START + DAY)
    again = answered(missed, True, START + DAY)
    assert (again.box, again.due_at - (START + DAY)) == (2, timedelta(days=3))
    assert first(START, correct=True).box == 2 and first(START, correct=False).box == 1


async def test_sixty_days_of_review_in_the_database(runtime) -> None:
    """A lesson's questions join the review; each day the due ones are answered (one of them always missed);
    over 60 days the remembered ones are asked less and less, the missed one every day."""
    content = shipped_content()
    async with runtime.db.transaction() as session:
        session.add(User(channel="web", external_id="review-60", locale="vi", state_data={}))
        await session.flush()
        user_id = int(await session.scalar(select(User.id).where(User.external_id == "review-60")) or 0)
        added = await items.meet_lesson(session, content, user_id, "vneid-1", START)
    lesson_questions = [q.id for bank in content.questions.values() for q in bank if q.lesson == "vneid-1"]
    assert added == len(lesson_questions) >= 3
    hard = lesson_questions[0]
    asked: dict[str, list[int]] = {qid: [] for qid in lesson_questions}
    for day in range(61):
        moment = START + day * DAY
        async with runtime.db.transaction() as session:
            while due := await items.due(session, content, user_id, moment):
                assert len(due) <= items.SESSION
                await items.record_answers(session, content, user_id, [(qid, qid != hard) for qid in due], moment)
                for qid in due:
                    asked[qid].append(day)
    assert asked[hard] == list(range(1, 61))  # missed every time: back the next day, every day
    for qid in lesson_questions[1:]:
        assert asked[qid] == [1, 4, 11, 25, 55]
    async with runtime.db.sessions() as session:
        rows = {r.question_id: r for r in await session.scalars(select(ReviewItem).where(ReviewItem.user_id == user_id))}
        missing = await items.kept_missing(session, user_id)
    assert (rows[hard].box, rows[hard].right, rows[hard].wrong, rows[hard].last_correct) == (1, 0, 60, False)
    other = rows[lesson_questions[1]]
    assert (other.box, other.right, other.wrong) == (5, 5, 0)
    assert [(m.topic_id, m.misses) for m in missing] == [("vneid", 60)]


async def due_now(chat: Chat) -> None:
    """A day has passed: every review item of the person is due."""
    async with chat.runtime.db.transaction() as session:
        await session.execute(update(ReviewItem).values(due_at=datetime.now(UTC) - timedelta(minutes=1)))


async def finish_lesson(chat: Chat, lesson: str = "vneid-1") -> None:
    await chat.send(option="learn")
    await chat.send(option="skip_all")
    await chat.send(option=f"topic:{lesson.split('-')[0]}")
    await chat.send(option=f"lesson:{lesson}")
    while chat.screen == "lesson.step":
        await chat.send(option="next")
    await chat.send(option="next")  # practice done
    assert chat.screen == "lesson.check"
    await chat.send("1")


async def test_after_a_lesson_hoc_tiep_offers_on_nhanh_3_cau_and_stores_each_answer(chat) -> None:
    await chat.onboard()
    await finish_lesson(chat)
    async with chat.runtime.db.sessions() as session:
        count = len(list(await session.scalars(select(ReviewItem))))
    assert count >= 3
    await chat.send("menu")
    assert chat.labels()[0] == "Học bài"  # nothing due yet: no offer
    await due_now(chat)
    await chat.send("menu")
    assert chat.labels()[0] == "▶ Học tiếp · Ôn nhanh"
    await chat.send("1")
    assert "ôn nhanh vài câu cũ" in chat.last.text and chat.labels()[0] == "🔁 Ôn nhanh: 3 câu"
    await chat.send("1")
    assert chat.screen == "review.question" and chat.last.text.startswith("Ôn nhanh 1/3:")
    for _ in range(3):
        await chat.send("a")
        assert chat.replies[0].screen == "review.feedback"
    assert chat.screen == "review.done" and "Ôn xong" in chat.last.text and "/3 câu" in chat.last.text
    async with chat.runtime.db.sessions() as session:
        answered_rows = list(await session.scalars(select(ReviewItem).where(ReviewItem.last_answered_at.is_not(None))))
    assert len(answered_rows) == 3
    for row in answered_rows:
        assert row.right + row.wrong == 1
        assert row.box == (2 if row.right else 1)
        expected = timedelta(days=3 if row.right else 1)
        assert abs((row.due_at.replace(tzinfo=UTC) - row.last_answered_at.replace(tzinfo=UTC)) - expected) < timedelta(seconds=1)


async def test_a_quiz_puts_its_questions_in_review_right_ones_later(chat) -> None:
    await chat.onboard()
    await start_quiz(chat)
    await answer_all(chat, wrong=3)
    async with chat.runtime.db.sessions() as session:
        rows = list(await session.scalars(select(ReviewItem)))
    assert len(rows) == 10
    assert sorted(r.box for r in rows) == [1, 1, 1] + [2] * 7
    assert sum(r.wrong for r in rows) == 3


async def test_the_mentor_sees_the_topics_a_mentee_keeps_missing(runtime, client) -> None:
    mentor, code = await make_mentor(runtime, client)
    mentee = Person(client, "Bà Lan")
    await mentee.onboard()
    for text in ("nhap ma", code, "co"):
        await mentee.say(text)
    mentee_id = await user_id(runtime, mentee)
    async with runtime.db.transaction() as session:
        for question_id in ("antoan-q01", "antoan-q02"):
            session.add(ReviewItem(user_id=mentee_id, question_id=question_id, topic_id="antoan", box=1,
                                   due_at=START, right=0, wrong=2, last_correct=False))
        session.add(ReviewItem(user_id=mentee_id, question_id="vneid-q01", topic_id="vneid", box=3,
                               due_at=START, right=2, wrong=1, last_correct=True))  # learnt since: not listed
    for step in ("menu", "dai su so"):
        await mentor.say(step)
    await mentor.say(option="mentees")
    await mentor.say(option=f"mentee:{mentee_id}")
    assert "Hay sai khi ôn: An toàn. Nên ôn lại cùng nhau." in mentor.text and "VNeID, " not in mentor.text
