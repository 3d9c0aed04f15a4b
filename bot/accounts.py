"""One person, two channels: linking a Zalo and a Telegram account so progress and certificates merge.

The account that asked for the code stays; the other one points to it
(`merged_into_id`), so messages from either channel continue the same path.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.learning import Certificate, LessonProgress, QuizAttempt
from bot.db.models import LinkCode, User
from bot.db.network import HelpRequest, HouseholdMember, Mentorship

CODE_LIFETIME = timedelta(minutes=10)
PROFILE_FIELDS = ("display_name", "age_band", "ward_id", "tdp_id", "has_smartphone", "uses_social", "vneid_active",
                  "consent_at", "consent_version")


async def new_link_code(session: AsyncSession, user: User) -> str:
    await session.execute(delete(LinkCode).where(LinkCode.user_id == user.id))
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        if await session.get(LinkCode, code) is None:
            break
    session.add(LinkCode(code=code, user_id=user.id, expires_at=datetime.now(timezone.utc) + CODE_LIFETIME))
    return code


async def redeem(session: AsyncSession, code: str, secondary: User) -> User | None:
    """Links `secondary` into the code's owner; None when the code is unknown, expired or one's own."""
    row = await session.get(LinkCode, code)
    if row is None:
        return None
    await session.delete(row)
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=timezone.utc)
    primary = await session.get(User, row.user_id)
    if expires < datetime.now(timezone.utc) or primary is None or primary.id == secondary.id:
        return None
    if primary.channel == secondary.channel:
        return None
    await merge(session, primary, secondary)
    return primary


async def merge(session: AsyncSession, primary: User, secondary: User) -> None:
    mine = {row.lesson_id: row for row in await session.scalars(
        select(LessonProgress).where(LessonProgress.user_id == primary.id))}
    for row in list(await session.scalars(select(LessonProgress).where(LessonProgress.user_id == secondary.id))):
        kept = mine.get(row.lesson_id)
        if kept is None:
            row.user_id = primary.id
        else:
            if kept.completed_at is None and row.completed_at is not None:
                kept.completed_at, kept.check_correct = row.completed_at, row.check_correct
            await session.delete(row)
    await session.execute(update(QuizAttempt).where(QuizAttempt.user_id == secondary.id).values(user_id=primary.id))
    owned = set(await session.scalars(select(Certificate.topic_id).where(Certificate.user_id == primary.id)))
    # A certificate whose topic the primary already holds stays valid under the linked account.
    await session.execute(update(Certificate).where(Certificate.user_id == secondary.id,
                                                    Certificate.topic_id.not_in(owned or {""})).values(user_id=primary.id))
    await session.execute(update(HelpRequest).where(HelpRequest.mentee_id == secondary.id).values(mentee_id=primary.id))
    await _move_single(session, Mentorship, Mentorship.mentee_id, primary.id, secondary.id, Mentorship.ended_at.is_(None))
    await _move_single(session, HouseholdMember, HouseholdMember.user_id, primary.id, secondary.id, None)
    for name in PROFILE_FIELDS:
        if getattr(primary, name) is None and getattr(secondary, name) is not None:
            setattr(primary, name, getattr(secondary, name))
    secondary.merged_into_id = primary.id
    await session.flush()


async def _move_single(session, model, column, primary_id: int, secondary_id: int, active) -> None:  # type: ignore[no-untyped-def]
    """Rows a person may have only one of (active mentor, household): the primary's wins."""
    condition = [column == primary_id] + ([active] if active is not None else [])
    if await session.scalar(select(model).where(*condition)) is not None:
        if model is Mentorship:
            await session.execute(update(Mentorship).where(column == secondary_id, active).values(
                ended_at=datetime.now(timezone.utc), ended_reason="merged"))
        else:
            await session.execute(delete(model).where(column == secondary_id))
    else:
        await session.execute(update(model).where(column == secondary_id).values({column.key: primary_id}))
