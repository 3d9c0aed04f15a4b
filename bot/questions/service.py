"""Open questions grouped by meaning, and a staff answer sent to everyone who asked one group's question.

The texts are stored masked (`bot.handlers.faq`), so staff only ever see masked wordings. A TDP
leader's scope limits both what they see and whom their answer reaches; each person gets the answer
once, quoting the question they typed themselves, through the outbox (so Telegram, Zalo and web
residents all receive it), and the answered questions leave the list.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.drafts import Asked, Group, group_questions
from bot.db.learning import UnansweredQuestion
from bot.db.models import User
from bot.outbox.queue import enqueue
from bot.text.i18n import translate

MAX_ANSWER = 1000
"""An answer longer than this is cut: it must still fit one Zalo message (2,000) with the question quoted."""


def _open(tdp_id: int | None, since: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [UnansweredQuestion.answered_at.is_(None)]
    if since is not None:
        conditions.append(UnansweredQuestion.asked_at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    if tdp_id is not None:
        conditions.append(UnansweredQuestion.user_id.in_(select(User.id).where(User.tdp_id == tdp_id)))
    return conditions


async def open_questions(session: AsyncSession, *, since: datetime | None = None, tdp_id: int | None = None) -> list[Asked]:
    """Every distinct open (unanswered, not yet answered by staff) text, how often and when last asked."""
    query = (select(UnansweredQuestion.text, func.count(), func.max(UnansweredQuestion.asked_at))
             .where(*_open(tdp_id, since)).group_by(UnansweredQuestion.text))
    return [Asked(text, count, last) for text, count, last in await session.execute(query)]


async def count_open(session: AsyncSession, *, tdp_id: int | None = None) -> int:
    """How many questions wait for an answer (the staff menu shows it)."""
    return await session.scalar(select(func.count()).select_from(UnansweredQuestion).where(*_open(tdp_id, None))) or 0


async def unanswered_groups(session: AsyncSession, synonyms: list[list[str]], *, since: datetime | None = None,
                            tdp_id: int | None = None) -> list[Group]:
    """Open questions grouped by meaning, most asked first (numbers as `bot faq unanswered` shows them)."""
    return group_questions(await open_questions(session, since=since, tdp_id=tdp_id), synonyms)


def _askers(group: Group, since: datetime | None,
            tdp_id: int | None) -> tuple[list[ColumnElement[bool]], Select[int, str, str]]:
    """The open questions of `group` (in scope) and who asked them, newest first."""
    conditions = [*_open(tdp_id, since), UnansweredQuestion.text.in_([asked.text for asked in group.texts])]
    return conditions, (select(User.id, UnansweredQuestion.text, User.locale)
                        .join(User, User.id == UnansweredQuestion.user_id)
                        .where(*conditions, User.merged_into_id.is_(None))
                        .order_by(UnansweredQuestion.asked_at.desc()))


async def count_askers(session: AsyncSession, group: Group, *, since: datetime | None = None,
                       tdp_id: int | None = None) -> int:
    """How many people an answer to `group` would reach (what the staff member confirms)."""
    _, query = _askers(group, since, tdp_id)
    return await session.scalar(select(func.count(func.distinct(query.subquery().c.id)))) or 0


async def answer_group(session: AsyncSession, group: Group, answer: str, actor: str, *,
                       since: datetime | None = None, tdp_id: int | None = None) -> int:
    """Send `answer` to each person who asked one of `group`'s texts (in `tdp_id` when given) and close
    those questions; returns how many people get it. Each gets it once, quoting their latest wording."""
    answer = " ".join(answer.split())[:MAX_ANSWER]
    if not answer:
        raise ValueError("empty answer")
    conditions, query = _askers(group, since, tdp_id)
    told: set[int] = set()
    for user_id, text, locale in list(await session.execute(query)):
        if user_id in told:
            continue
        told.add(user_id)
        await enqueue(session, user_id, translate(locale or "vi", "questions.staff_answer", question=text, answer=answer),
                      kind="answer", priority=1)
    await session.execute(update(UnansweredQuestion).where(*conditions)
                          .values(answered_at=datetime.now(UTC), answered_by=actor)
                          .execution_options(synchronize_session=False))
    return len(told)
