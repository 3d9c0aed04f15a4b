"""One person, several channels: linking a Zalo, a Telegram and a web-chat account so that learning
progress and certificates merge.

Each account stays an *identity* of its own (its rights, see `bot.people.roles`);
one of them holds the person's learning and profile (the primary) and the
others point to it (`merged_into_id`), so messages from any channel continue
the same path. A web-chat account is never the primary when a Telegram or Zalo
account is linked: the browser chooses its id, so it must be able to let go of
the person (unlink, delete) without taking the person's data with it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.learning import Certificate, LessonProgress, QuizAttempt
from bot.db.models import User
from bot.db.network import HelpRequest, HouseholdMember, Mentorship
from bot.db.session import Database
from bot.people import codes
from bot.people.roles import is_trusted

PROFILE_FIELDS = ("display_name", "age_band", "ward_id", "tdp_id", "has_smartphone", "uses_social", "vneid_active",
                  "consent_at", "consent_version")


async def new_link_code(session: AsyncSession, identity: User) -> str:
    """A code to type on the other channel; one at a time per identity, alive ten minutes."""
    return await codes.issue(session, "link", user_id=identity.id, replace=True)


async def person_of(session: AsyncSession, identity: User) -> User:
    """The account that holds this identity's learning (itself when not linked)."""
    if identity.merged_into_id is None:
        return identity
    return await session.get(User, identity.merged_into_id) or identity


async def link(session: AsyncSession, owner_id: int, identity: User) -> User | None:
    """Links `identity` with the person whose identity `owner_id` asked for the code; returns the person.

    None when the code is one's own, or both accounts are already the same person
    or on the same channel.
    """
    owner = await session.get(User, owner_id)
    if owner is None:
        return None
    primary, joining = await person_of(session, owner), await person_of(session, identity)
    if primary.id == joining.id or owner.channel == identity.channel:
        return None
    if not is_trusted(primary) and is_trusted(joining):
        primary, joining = joining, primary  # the web account never holds the person
    await merge(session, primary, joining)
    return primary


async def linked_identities(session: AsyncSession, person: User) -> list[User]:
    """Every identity of the person, the primary first."""
    others = list(await session.scalars(select(User).where(User.merged_into_id == person.id).order_by(User.id)))
    return [person, *others]


async def detach(session: AsyncSession, identity: User) -> None:
    """Takes one identity out of its person: the person's data stays with the other identities.

    A secondary simply stops pointing at the primary. A primary hands the person
    over to its first trusted (else first) linked identity before leaving.
    """
    if identity.merged_into_id is not None:
        identity.merged_into_id = None
        identity.state, identity.state_data = None, {}
        await session.flush()
        return
    others = list(await session.scalars(select(User).where(User.merged_into_id == identity.id).order_by(User.id)))
    if not others:
        return
    heir = next((other for other in others if is_trusted(other)), others[0])
    heir.merged_into_id = None
    await session.execute(update(User).where(User.merged_into_id == identity.id).values(merged_into_id=heir.id))
    heir.state, heir.state_data = identity.state, dict(identity.state_data or {})
    await merge(session, heir, identity)
    identity.merged_into_id = None
    for name in PROFILE_FIELDS:
        setattr(identity, name, None)
    identity.state, identity.state_data = None, {}
    await session.flush()


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
    await session.execute(update(User).where(User.merged_into_id == secondary.id).values(merged_into_id=primary.id))
    secondary.merged_into_id = primary.id
    await session.flush()


async def _move_single(session, model, column, primary_id: int, secondary_id: int, active) -> None:
    """Rows a person may have only one of (active mentor, household): the primary's wins."""
    condition = [column == primary_id] + ([active] if active is not None else [])
    if await session.scalar(select(model).where(*condition)) is not None:
        if model is Mentorship:
            await session.execute(update(Mentorship).where(column == secondary_id, active).values(
                ended_at=datetime.now(UTC), ended_reason="merged"))
        else:
            await session.execute(delete(model).where(column == secondary_id))
    else:
        await session.execute(update(model).where(column == secondary_id).values({column.key: primary_id}))


async def mark_unreachable(db: Database, channel: str, external_id: str) -> None:
    """The platform said this chat blocked the bot: broadcasts skip it until the person writes again."""
    async with db.transaction() as session:
        await session.execute(update(User).where(User.channel == channel, User.external_id == external_id)
                              .values(unreachable_at=datetime.now(UTC)))
