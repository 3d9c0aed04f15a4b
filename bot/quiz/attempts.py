"""Quiz attempts: drawing one for a person, recording an answer, scoring it at the end.

The same functions serve a resident answering in chat and a mentor entering,
answer by answer, the quiz a resident without a phone takes aloud: both are
measured the same way, so both can earn a certificate. A group session's
attendance never makes an attempt.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.content.models import QuizQuestion
from bot.db.learning import QuizAttempt
from bot.quiz import bank

_rng = random.SystemRandom()


async def start(session: AsyncSession, content: Content, user_id: int, topic_id: str) -> QuizAttempt:
    drawn = bank.draw(content.questions.get(topic_id, []), _rng)
    attempt = QuizAttempt(user_id=user_id, topic_id=topic_id, question_ids=[d.question_id for d in drawn],
                          orders=[d.order for d in drawn], answers=[])
    session.add(attempt)
    await session.flush()
    return attempt


async def open_attempt(session: AsyncSession, user_id: int, topic_id: str) -> QuizAttempt | None:
    return await session.scalar(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.topic_id == topic_id, QuizAttempt.finished_at.is_(None))
        .order_by(QuizAttempt.id.desc()))


async def passed_topics(session: AsyncSession, user_id: int) -> set[str]:
    return set(await session.scalars(
        select(QuizAttempt.topic_id).where(QuizAttempt.user_id == user_id, QuizAttempt.passed.is_(True))))


def current(content: Content, attempt: QuizAttempt) -> tuple[QuizQuestion, list[int]] | None:
    """The question to answer next and its shown order; None once every question is answered."""
    position = len(attempt.answers)
    if position >= len(attempt.question_ids):
        return None
    question = content.question(attempt.question_ids[position])
    return (question, attempt.orders[position]) if question is not None else None


def answer(content: Content, attempt: QuizAttempt, shown: int, **extra: Any) -> tuple[QuizQuestion, list[int], bool]:
    """Records the option at shown position `shown` for the current question; (question, order, right?)."""
    found = current(content, attempt)
    assert found is not None, "every question is answered already"
    question, order = found
    correct = bank.is_correct(question, order, shown)
    attempt.answers = [*attempt.answers, {"shown": shown, "option": order[shown], "correct": correct,
                                          "at": datetime.now(UTC).isoformat(), **extra}]
    return question, order, correct


def finish(attempt: QuizAttempt, pass_mark: int) -> bool:
    """Scores a fully answered attempt; True when it passed."""
    attempt.score = bank.score([item["correct"] for item in attempt.answers])
    attempt.passed = bank.passed(attempt.score, len(attempt.question_ids), pass_mark)
    attempt.finished_at = datetime.now(UTC)
    return attempt.passed


async def measured_pass(session: AsyncSession, user_id: int, topic_id: str) -> bool:
    """Whether the person passed a real attempt of the topic's quiz (drawn questions, each answered)."""
    rows = await session.scalars(select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.topic_id == topic_id, QuizAttempt.passed.is_(True)))
    return any(row.question_ids and len(row.answers) == len(row.question_ids) for row in rows)
