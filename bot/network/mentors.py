"""The Đại sứ số network: becoming a mentor, pairing with mentees, following them.

Privacy rule: a mentor reaches a mentee only through an active pairing, so every
lookup of "my mentee" goes through `mentee_of`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import ColumnElement, Exists, bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.learning import Certificate, LessonProgress
from bot.db.models import AuditEntry, User
from bot.db.network import ApprovalCode, Mentor, Mentorship
from bot.quiz.codes import ALPHABET

STUCK_AFTER = timedelta(days=7)


def approved_mentor_exists(user_id: ColumnElement[int]) -> Exists:
    """SQL: the person `user_id` (a column or a parameter) is an approved Đại sứ số."""
    return exists().where(Mentor.user_id == user_id, Mentor.status == "approved")


IS_APPROVED_MENTOR = approved_mentor_exists(bindparam("user_id"))
"""The menu's fact "is a mentor" (`bot.handlers.menu.menu_fact`), on `:user_id`."""


def random_code(length: int = 8) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(text: str) -> str:
    """What people type ("m_abcd 2345", "ma: ABCD2345") → "ABCD2345"."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    for prefix in ("MA", "M"):
        if len(cleaned) == 8 + len(prefix) and cleaned.startswith(prefix):
            cleaned = cleaned[len(prefix):]
    return cleaned


async def mentor_of_user(session: AsyncSession, user_id: int) -> Mentor | None:
    return await session.scalar(select(Mentor).where(Mentor.user_id == user_id))


async def approved_mentor(session: AsyncSession, user_id: int) -> Mentor | None:
    mentor = await mentor_of_user(session, user_id)
    return mentor if mentor is not None and mentor.status == "approved" else None


async def request_mentor(session: AsyncSession, user: User, full_name: str, organisation: str) -> Mentor:
    mentor = await mentor_of_user(session, user.id)
    if mentor is None:
        mentor = Mentor(user_id=user.id, full_name=full_name, organisation=organisation, tdp_id=user.tdp_id,
                        invite_code=random_code())
        session.add(mentor)
    else:
        mentor.full_name, mentor.organisation, mentor.tdp_id = full_name, organisation, user.tdp_id
        if mentor.status == "rejected":
            mentor.status = "pending"
    await session.flush()
    return mentor


async def decide(session: AsyncSession, mentor: Mentor, approve: bool, actor: str) -> None:
    mentor.status = "approved" if approve else "rejected"
    mentor.decided_at, mentor.decided_by = datetime.now(timezone.utc), actor
    user = await session.get(User, mentor.user_id)
    if approve and user is not None and user.role == "learner":
        user.role = "mentor"
    session.add(AuditEntry(actor=actor, action="mentor.approve" if approve else "mentor.reject",
                           target=f"mentor#{mentor.id}"))


async def new_approval_code(session: AsyncSession, actor: str) -> str:
    code = random_code()
    session.add(ApprovalCode(code=code, created_by=actor))
    session.add(AuditEntry(actor=actor, action="mentor.approval_code", target=code[:2] + "******"))
    return code


async def use_approval_code(session: AsyncSession, code: str, user: User) -> bool:
    row = await session.get(ApprovalCode, code)
    if row is None or row.used_at is not None:
        return False
    row.used_by, row.used_at = user.id, datetime.now(timezone.utc)
    return True


async def mentor_by_invite(session: AsyncSession, code: str) -> Mentor | None:
    return await session.scalar(select(Mentor).where(Mentor.invite_code == code, Mentor.status == "approved"))


async def rotate_invite(session: AsyncSession, mentor: Mentor) -> str:
    mentor.invite_code = random_code()
    return mentor.invite_code


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


async def end_pairing(session: AsyncSession, pairing: Mentorship, reason: str) -> None:
    pairing.ended_at, pairing.ended_reason = datetime.now(timezone.utc), reason
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


async def mentee_rows(session: AsyncSession, mentor: Mentor, core_topics: dict[str, int]) -> list[MenteeRow]:
    """Each mentee with topics done, certificates and last activity, in three queries."""
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
    now = datetime.now(timezone.utc)
    rows = []
    for row in pairs:
        topics = sum(1 for topic, total in core_topics.items() if done.get(row.id, {}).get(topic, 0) >= total)
        candidates = [_aware(t) for t in (row.last_seen_at, last_progress.get(row.id), row.started_at) if t]
        last = max(candidates) if candidates else None
        stuck = topics < len(core_topics) and last is not None and now - last >= STUCK_AFTER
        rows.append(MenteeRow(row.id, row.display_name or "?", row.channel == "offline", topics,
                              certificates.get(row.id, 0), last, stuck))
    return rows


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


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
    now = datetime.now(timezone.utc)
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


def mask_phone(phone: str) -> str:
    """Only the first two and last two digits are kept: enough to tell people apart, useless to call."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[:2] + "*" * max(0, len(digits) - 4) + digits[-2:] if len(digits) >= 6 else "***"
