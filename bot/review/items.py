"""A person's review items in the database: met in a lesson or a quiz, due ones drawn, answers recorded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.db.nudges import ReviewItem
from bot.review.leitner import Card, answered, first

SESSION = 3
"""Questions in one "Ôn nhanh"."""
KEEPS_MISSING = 2
"""A topic whose items were missed at least this many times (and are not yet learnt) is one the person keeps missing."""


async def _items(session: AsyncSession, user_id: int, question_ids: Iterable[str]) -> dict[str, ReviewItem]:
    ids = list(question_ids)
    if not ids:
        return {}
    rows = await session.scalars(select(ReviewItem).where(ReviewItem.user_id == user_id,
                                                          ReviewItem.question_id.in_(ids)))
    return {row.question_id: row for row in rows}


async def meet_lesson(session: AsyncSession, content: Content, user_id: int, lesson_id: str, now: datetime) -> int:
    """A finished lesson's quiz questions join the person's review (box 1, back tomorrow); returns how many."""
    questions = [q for bank in content.questions.values() for q in bank if q.lesson == lesson_id]
    known = await _items(session, user_id, (q.id for q in questions))
    added = 0
    for question in questions:
        if question.id not in known:
            card = first(now)
            session.add(ReviewItem(user_id=user_id, question_id=question.id, topic_id=question.topic, box=card.box,
                                   due_at=card.due_at, right=0, wrong=0, created_at=now))
            added += 1
    await session.flush()
    return added


async def record_answers(session: AsyncSession, content: Content, user_id: int,
                         answers: Iterable[tuple[str, bool]], now: datetime) -> None:
    """Quiz or review answers (question id, right?) move each item between boxes; new ones join."""
    answers = list(answers)
    known = await _items(session, user_id, (qid for qid, _ in answers))
    for question_id, correct in answers:
        question = content.question(question_id)
        if question is None:
            continue
        item = known.get(question_id)
        if item is None:
            card = first(now, correct)
            item = known[question_id] = ReviewItem(user_id=user_id, question_id=question_id, topic_id=question.topic,
                                                   box=card.box, due_at=card.due_at, right=0, wrong=0, created_at=now)
            session.add(item)
        else:
            card = answered(Card(item.box, item.due_at), correct, now)
            item.box, item.due_at = card.box, card.due_at
        item.right += correct
        item.wrong += not correct
        item.last_correct, item.last_answered_at = correct, now
    await session.flush()


async def due(session: AsyncSession, content: Content, user_id: int, now: datetime,
              limit: int = SESSION) -> list[str]:
    """Question ids due now, the most often missed (lowest box) and the longest waiting first."""
    rows = await session.scalars(
        select(ReviewItem.question_id).where(ReviewItem.user_id == user_id, ReviewItem.due_at <= now)
        .order_by(ReviewItem.box, ReviewItem.due_at, ReviewItem.id).limit(limit * 3))
    return [qid for qid in rows if content.question(qid) is not None][:limit]


async def due_count(session: AsyncSession, user_id: int, now: datetime) -> int:
    return int(await session.scalar(select(func.count()).select_from(ReviewItem).where(
        ReviewItem.user_id == user_id, ReviewItem.due_at <= now)) or 0)


@dataclass(frozen=True)
class Missed:
    topic_id: str
    misses: int


async def kept_missing(session: AsyncSession, user_id: int, limit: int = 3) -> list[Missed]:
    """Topics whose questions the person keeps missing: most misses first, only items not yet learnt (box < 3)."""
    rows = await session.execute(
        select(ReviewItem.topic_id, func.sum(ReviewItem.wrong).label("misses"))
        .where(ReviewItem.user_id == user_id, ReviewItem.box < 3, ReviewItem.wrong > 0)
        .group_by(ReviewItem.topic_id).order_by(func.sum(ReviewItem.wrong).desc(), ReviewItem.topic_id))
    return [Missed(topic, int(misses)) for topic, misses in rows if int(misses) >= KEEPS_MISSING][:limit]
