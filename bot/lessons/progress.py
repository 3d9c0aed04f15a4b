"""Reading and writing a person's lesson progress."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.learning import LessonProgress
from bot.db.models import User
from bot.lessons.path import StartAnswers

HAS_OPEN_LESSON = exists().where(
    LessonProgress.user_id == bindparam("user_id"), LessonProgress.completed_at.is_(None)
)
"""The menu's fact "has a lesson open" (`bot.handlers.menu.menu_fact`), on `:user_id`."""


def answers_of(user: User, data: dict | None = None) -> StartAnswers:
    """Start answers: stored ones for people who consented, otherwise those kept in the conversation."""
    data = data or {}
    return StartAnswers(
        has_smartphone=user.has_smartphone if user.has_smartphone is not None else data.get("has_smartphone"),
        uses_social=user.uses_social if user.uses_social is not None else data.get("uses_social"),
        vneid_active=user.vneid_active if user.vneid_active is not None else data.get("vneid_active"),
    )


async def progress_of(session: AsyncSession, user_id: int) -> dict[str, LessonProgress]:
    rows = await session.scalars(select(LessonProgress).where(LessonProgress.user_id == user_id))
    return {row.lesson_id: row for row in rows}


async def record_step(session: AsyncSession, user_id: int, lesson_id: str, topic_id: str, step: int) -> LessonProgress:
    row = await session.scalar(
        select(LessonProgress).where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)
    )
    if row is None:
        row = LessonProgress(user_id=user_id, lesson_id=lesson_id, topic_id=topic_id, step=step)
        session.add(row)
    row.step = step
    row.updated_at = datetime.now(UTC)
    await session.flush()
    return row


async def complete(session: AsyncSession, user_id: int, lesson_id: str, topic_id: str, correct: bool) -> None:
    row = await record_step(session, user_id, lesson_id, topic_id, 0)
    if row.completed_at is None:
        row.completed_at = datetime.now(UTC)
    row.check_correct = correct


def in_progress(progress: dict[str, LessonProgress]) -> LessonProgress | None:
    """The lesson left most recently without finishing it."""
    open_rows = [row for row in progress.values() if row.completed_at is None]
    return max(open_rows, key=lambda row: row.updated_at, default=None)
