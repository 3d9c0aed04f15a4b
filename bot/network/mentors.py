"""The Đại sứ số network: becoming a mentor, pairing with mentees, following them.

Privacy rule: a mentor reaches a mentee only through an active pairing, so every
lookup of "my mentee" goes through `mentee_of`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Exists, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from bot.db.learning import Certificate, LessonProgress
from bot.db.models import User
from bot.db.network import Mentor, Mentorship
from bot.outbox.queue import enqueue
from bot.people import codes
from bot.people.audit import Actor, record
from bot.text.i18n import translate

STUCK_AFTER = timedelta(days=7)


def approved_mentor_exists(user_id: ColumnElement[int] | QueryableAttribute[int]) -> Exists:
    """SQL: the person `user_id` (a column or a parameter) is an approved Đại sứ số."""
    return exists().where(Mentor.user_id == user_id, Mentor.status == "approved")


async def mentor_of_user(session: AsyncSession, user_id: int) -> Mentor | None:
    return await session.scalar(select(Mentor).where(Mentor.user_id == user_id))


async def approved_mentor(session: AsyncSession, user_id: int) -> Mentor | None:
    mentor = await mentor_of_user(session, user_id)
    return mentor if mentor is not None and mentor.status == "approved" else None


async def request_mentor(session: AsyncSession, user: User, full_name: str, organisation: str,
                         tdp_id: int | None) -> Mentor:
    """An application from the identity `user` (a mentor's work is bound to the account that applied)."""
    mentor = await mentor_of_user(session, user.id)
    if mentor is None:
        mentor = Mentor(user_id=user.id, full_name=full_name, organisation=organisation, tdp_id=tdp_id)
        session.add(mentor)
    else:
        mentor.full_name, mentor.organisation, mentor.tdp_id = full_name, organisation, tdp_id
        if mentor.status == "rejected":
            mentor.status = "pending"
    await session.flush()
    return mentor


async def decide(session: AsyncSession, mentor: Mentor, approve: bool, actor: Actor, *, tell: bool = True) -> None:
    """Approves or rejects an application, tells the applicant (unless they are the one speaking), audits it."""
    mentor.status = "approved" if approve else "rejected"
    mentor.decided_at, mentor.decided_by = datetime.now(UTC), actor.who
    user = await session.get(User, mentor.user_id)
    if approve and user is not None and user.role == "learner":
        user.role = "mentor"
    record(session, actor, "mentor.approve" if approve else "mentor.reject", target=f"mentor#{mentor.id}")
    if user is not None and tell:
        await enqueue(session, user.id, translate(user.locale, "mentor.approved_you" if approve
                                                  else "mentor.rejected_you"))


async def new_approval_code(session: AsyncSession, actor: Actor) -> str:
    """A one-time code: whoever types it becomes an approved mentor at once."""
    code = await codes.issue(session, "approval", created_by=actor.who)
    record(session, actor, "mentor.approval_code", target=code[:2] + "******")
    return code


async def new_invite(session: AsyncSession, mentor: Mentor) -> str:
    """A fresh single-use invitation code for one mentee."""
    return await codes.issue(session, "invite", mentor_id=mentor.id)


async def active_pairing(session: AsyncSession, mentee_id: int) -> Mentorship | None:
    return await session.scalar(
        select(Mentorship).where(Mentorship.mentee_id == mentee_id, Mentorship.ended_at.is_(None)))


async def pair(session: AsyncSession, mentor: Mentor, mentee: User, how: str) -> Mentorship:
    """Makes `mentor` the mentee's one active mentor (ending any earlier pairing: a switch)."""
    if mentor.user_id == mentee.id:
        raise ValueError("nobody mentors themselves")
    current = await active_pairing(session, mentee.id)
    if current is not None:
        if current.mentor_id == mentor.id:
            return current
        await end_pairing(session, current, "switched")
    pairing = Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, how=how)
    session.add(pairing)
    await session.flush()
    return pairing


async def active_counts(session: AsyncSession, mentor_ids: list[int]) -> dict[int, int]:
    """Each mentor's number of active mentees, in one query (0 for a mentor with none)."""
    if not mentor_ids:
        return {}
    rows = await session.execute(select(Mentorship.mentor_id, func.count()).where(
        Mentorship.mentor_id.in_(mentor_ids), Mentorship.ended_at.is_(None)).group_by(Mentorship.mentor_id))
    return dict.fromkeys(mentor_ids, 0) | {mentor_id: int(n) for mentor_id, n in rows}


async def end_pairing(session: AsyncSession, pairing: Mentorship, reason: str) -> None:
    pairing.ended_at, pairing.ended_reason = datetime.now(UTC), reason
    await session.flush()


async def mentee_of(session: AsyncSession, mentor: Mentor, mentee_id: int) -> User | None:
    """The mentee, only while they are this mentor's mentee (the privacy gate)."""
    pairing = await session.scalar(select(Mentorship).where(
        Mentorship.mentor_id == mentor.id, Mentorship.mentee_id == mentee_id, Mentorship.ended_at.is_(None)))
    return await session.get(User, mentee_id) if pairing is not None else None


@dataclass(frozen=True)
class MenteeRow:
    user_id: int
    name: str
    offline: bool
    topics_done: int
    certificates: int
    last_active: datetime | None
    stuck: bool
    stamps: tuple[str, ...] = ()
    """Topics (of `all_topics`) every lesson of which they finished: their stamps ("Con dấu An toàn")."""


async def mentee_rows(session: AsyncSession, mentor: Mentor, core_topics: dict[str, int],
                      all_topics: dict[str, int] | None = None) -> list[MenteeRow]:
    """Each mentee with topics done, stamps, certificates and last activity, in three queries
    (`core_topics`, `all_topics`: topic → its number of lessons)."""
    pairs = list(await session.execute(
        select(User.id, User.display_name, User.channel, User.last_seen_at, Mentorship.started_at)
        .join(Mentorship, Mentorship.mentee_id == User.id)
        .where(Mentorship.mentor_id == mentor.id, Mentorship.ended_at.is_(None))
        .order_by(Mentorship.started_at)
    ))
    ids = [row.id for row in pairs]
    if not ids:
        return []
    done: dict[int, dict[str, int]] = {}
    last_progress: dict[int, datetime] = {}
    for user_id, topic_id, count, latest in await session.execute(
        select(LessonProgress.user_id, LessonProgress.topic_id,
               func.count().filter(LessonProgress.completed_at.is_not(None)), func.max(LessonProgress.updated_at))
        .where(LessonProgress.user_id.in_(ids)).group_by(LessonProgress.user_id, LessonProgress.topic_id)
    ):
        done.setdefault(user_id, {})[topic_id] = count
        if latest is not None:
            last_progress[user_id] = max(_aware(latest), last_progress.get(user_id, _aware(latest)))
    certificates = dict(list(await session.execute(
        select(Certificate.user_id, func.count()).where(Certificate.user_id.in_(ids), Certificate.revoked_at.is_(None))
        .group_by(Certificate.user_id))))
    now = datetime.now(UTC)
    rows = []
    for row in pairs:
        topics = sum(1 for topic, total in core_topics.items() if done.get(row.id, {}).get(topic, 0) >= total)
        candidates = [_aware(t) for t in (row.last_seen_at, last_progress.get(row.id), row.started_at) if t]
        last = max(candidates) if candidates else None
        stuck = topics < len(core_topics) and last is not None and now - last >= STUCK_AFTER
        stamps = tuple(topic for topic, total in (all_topics or {}).items()
                       if total and done.get(row.id, {}).get(topic, 0) >= total)
        rows.append(MenteeRow(row.id, row.display_name or "?", row.channel == "offline", topics,
                              certificates.get(row.id, 0), last, stuck, stamps))
    return rows


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def team_of_tdp(session: AsyncSession, tdp_id: int | None, exclude_user: int | None = None) -> list[Mentor]:
    """The TDP's community digital team: approved mentors of that TDP."""
    if tdp_id is None:
        return []
    query = select(Mentor).where(Mentor.tdp_id == tdp_id, Mentor.status == "approved")
    if exclude_user is not None:
        query = query.where(Mentor.user_id != exclude_user)
    return list(await session.scalars(query))


async def register_offline(session: AsyncSession, mentor: Mentor, name: str, age_band: str | None,
                           tdp_id: int | None, phone: str | None) -> User:
    """A resident without a phone, registered by their mentor with their spoken consent."""
    now = datetime.now(UTC)
    user = User(channel="offline", external_id=f"offline-{secrets.token_hex(8)}", display_name=name,
                age_band=age_band, tdp_id=tdp_id, state="menu", state_data={}, consent_at=now,
                consent_version="in-person", phone_masked=mask_phone(phone) if phone else None)
    if tdp_id is not None:
        from bot.db.models import Tdp

        tdp = await session.get(Tdp, tdp_id)
        user.ward_id = tdp.ward_id if tdp else None
    session.add(user)
    await session.flush()
    await pair(session, mentor, user, "offline")
    return user


_PHONE_CHARACTERS = frozenset("0123456789 .-()+")


def phone_number(text: str) -> str | None:
    """A Vietnamese mobile number as typed ("0912 345 678", "(+84) 912.345.678") → "0912345678"; None if it is not one."""
    text = text.strip()
    if not text or not set(text) <= _PHONE_CHARACTERS or "+" in text.lstrip("(")[1:]:
        return None
    digits = "".join(ch for ch in text if ch.isdecimal())
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if len(digits) == 10 and digits.startswith("0") and digits[1] != "0" else None


async def offline_mentee_named(session: AsyncSession, mentor: Mentor, name: str, phone: str | None) -> User | None:
    """This mentor's active offline mentee of the same name (and phone, when given): registered once only."""
    from bot.text.fold import fold

    rows = await session.scalars(select(User).join(Mentorship, Mentorship.mentee_id == User.id).where(
        Mentorship.mentor_id == mentor.id, Mentorship.ended_at.is_(None), User.channel == "offline"))
    masked = mask_phone(phone) if phone else None
    for person in rows:
        if fold(person.display_name or "") == fold(name) and (masked is None or person.phone_masked in (None, masked)):
            return person
    return None


def mask_phone(phone: str) -> str:
    """Only the first two and last two digits are kept: enough to tell people apart, useless to call."""
    digits = "".join(ch for ch in phone if ch.isdecimal())
    return digits[:2] + "*" * max(0, len(digits) - 4) + digits[-2:] if len(digits) >= 6 else "***"
