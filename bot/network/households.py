"""Gia đình số: households that learn together. A household counts once a member is certified."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.learning import Certificate, LessonProgress
from bot.db.models import User
from bot.db.network import Household, HouseholdMember


async def household_of(session: AsyncSession, user_id: int) -> Household | None:
    return await session.scalar(
        select(Household).join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.user_id == user_id))


async def create(session: AsyncSession, user: User, name: str) -> Household:
    household = Household(name=name, tdp_id=user.tdp_id, created_by=user.id)
    session.add(household)
    await session.flush()
    await join(session, household, user)
    return household


async def join(session: AsyncSession, household: Household, user: User) -> None:
    """One household per person: joining another one leaves the first."""
    current = await session.get(HouseholdMember, (household.id, user.id))
    if current is not None:
        return
    old = await session.scalar(select(HouseholdMember).where(HouseholdMember.user_id == user.id))
    if old is not None:
        await session.delete(old)
        await session.flush()
    session.add(HouseholdMember(household_id=household.id, user_id=user.id))
    await session.flush()


async def leave(session: AsyncSession, user: User) -> None:
    row = await session.scalar(select(HouseholdMember).where(HouseholdMember.user_id == user.id))
    if row is not None:
        await session.delete(row)


@dataclass(frozen=True)
class MemberRow:
    name: str
    lessons_done: int
    certificates: int


async def members(session: AsyncSession, household: Household) -> list[MemberRow]:
    lessons = (select(LessonProgress.user_id, func.count().label("n")).where(LessonProgress.completed_at.is_not(None))
               .group_by(LessonProgress.user_id).subquery())
    certs = (select(Certificate.user_id, func.count().label("n")).where(Certificate.revoked_at.is_(None))
             .group_by(Certificate.user_id).subquery())
    rows = await session.execute(
        select(User.display_name, func.coalesce(lessons.c.n, 0), func.coalesce(certs.c.n, 0))
        .join(HouseholdMember, HouseholdMember.user_id == User.id)
        .outerjoin(lessons, lessons.c.user_id == User.id).outerjoin(certs, certs.c.user_id == User.id)
        .where(HouseholdMember.household_id == household.id).order_by(HouseholdMember.joined_at))
    return [MemberRow(name or "?", done, certificates) for name, done, certificates in rows]


def is_digital_family(rows: list[MemberRow]) -> bool:
    return any(row.certificates > 0 for row in rows)
