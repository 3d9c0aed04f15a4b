"""Progress a resident can see: lessons finished this week, and a stamp per finished topic.

A weekly rhythm, never a daily streak: a streak punishes the day missed, and older
learners come back after a week away as often as not. So the count starts again
each Monday (ward time) without a word about the weeks before, and a stamp, once
earned by finishing every lesson of a topic, stays. Everything is read from the
lesson progress rows already kept: no table of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.content.models import Topic
from bot.db.learning import LessonProgress
from bot.text.i18n import WARD_TZ


@dataclass(frozen=True)
class Progress:
    this_week: int
    """Lessons finished since Monday 00:00 ward time."""
    finished: int
    stamps: list[Topic]
    """Topics every lesson of which is finished, in the content's order."""


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of `now`'s week in the ward's time zone, as a UTC moment."""
    local = now.astimezone(WARD_TZ).date()
    monday = local - timedelta(days=local.weekday())
    return datetime.combine(monday, time(), tzinfo=WARD_TZ).astimezone(UTC)


def stamps(content: Content, finished: set[str]) -> list[Topic]:
    return [topic for topic in content.topics
            if (lessons := content.lessons_by_topic.get(topic.id)) and all(lesson.id in finished for lesson in lessons)]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def progress_of(session: AsyncSession, content: Content, user_id: int, now: datetime) -> Progress:
    rows = list(await session.execute(select(LessonProgress.lesson_id, LessonProgress.completed_at).where(
        LessonProgress.user_id == user_id, LessonProgress.completed_at.is_not(None))))
    since = week_start(now)
    finished = {lesson_id for lesson_id, _ in rows if lesson_id in content.lessons}
    week = len({lesson_id for lesson_id, done in rows if lesson_id in finished and done and _aware(done) >= since})
    return Progress(week, len(finished), stamps(content, finished))
