"""The numbers of a progress report, per tổ dân phố, in a handful of GROUP BY queries.

A ward has up to ~100,000 residents, so nothing here loads people as ORM
objects: each query returns at most (TDPs × topics) small tuples.

Counting rules (one place, so the XLSX, the chart and the chat summary agree):
* a person is a non-merged account (`merged_into_id IS NULL`) with a TDP;
* "registered" = created before the period ends;
* "active" = seen in the period, or moved on in a lesson in the period, or
  attended a help session held in the period;
* certificates are cumulative: issued before the period ends and not revoked
  (a revoked certificate was a mistake or a fraud, so it leaves every report);
* a mentorship is active when it started before the period ends and had not
  ended by then (for the running period: `ended_at IS NULL`);
* a "Gia đình số" household has at least one member holding a certificate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from bot.db.learning import Certificate, LessonProgress, ScamCheck
from bot.db.models import Tdp, User, Ward
from bot.db.network import HelpSession, HelpSessionAttendee, Household, HouseholdMember, Mentor, Mentorship
from bot.db.nudges import Nudge
from bot.reports.periods import Period

OVERALL = "all"


@dataclass
class TdpRow:
    """One line of the report: a TDP (or the totals when `tdp_id` is None)."""

    tdp_id: int | None
    ward_code: str
    ward_name: str
    tdp_name: str
    tdp_number: int | None = None
    is_example: bool = False
    adult_population: int = 0
    households: int = 0
    registered: int = 0
    active: int = 0
    lessons_completed: dict[str, int] = field(default_factory=dict)
    certificates: dict[str, int] = field(default_factory=dict)
    certified: int = 0
    target_percent: int | None = None
    vneid_active: int = 0
    mentors: int = 0
    mentors_at_target: int = 0
    active_mentees: int = 0
    help_sessions: int = 0
    digital_households: int = 0
    scam_checks: int = 0
    """Messages residents of the TDP had checked in the period ("Kiểm tra tin nhắn lạ")."""
    scam_dangerous: int = 0
    """Of those, the ones found "Nguy hiểm": a rise is a new wave of scams in the TDP."""
    nudges: int = 0
    """Learning nudges ("Nhắc học") queued for residents of the TDP in the period, at their own choice."""
    nudges_answered: int = 0
    """Of those, the ones the resident answered (wrote again after it)."""

    @property
    def certified_percent(self) -> float | None:
        """Adults holding the overall certificate, in % of the adult population (None when unknown)."""
        return 100.0 * self.certified / self.adult_population if self.adult_population else None

    @property
    def lessons_total(self) -> int:
        return sum(self.lessons_completed.values())


_COUNTERS = ("adult_population", "households", "registered", "active", "certified", "vneid_active", "mentors",
             "mentors_at_target", "active_mentees", "help_sessions", "digital_households", "scam_checks",
             "scam_dangerous", "nudges", "nudges_answered")


def totals(rows: Iterable[TdpRow]) -> TdpRow:
    """Sums of every count; the percentage follows from the sums (never an average of percentages)."""
    rows = list(rows)
    wards = {(r.ward_code, r.ward_name) for r in rows}
    code, name = next(iter(wards)) if len(wards) == 1 else ("", ", ".join(sorted(n for _, n in wards)))
    targets = {r.target_percent for r in rows}
    total = TdpRow(None, code, name, "Tổng cộng", is_example=any(r.is_example for r in rows),
                   target_percent=targets.pop() if len(targets) == 1 else None)
    for row in rows:
        for name_ in _COUNTERS:
            setattr(total, name_, getattr(total, name_) + getattr(row, name_))
        for topic, count in row.lessons_completed.items():
            total.lessons_completed[topic] = total.lessons_completed.get(topic, 0) + count
        for topic, count in row.certificates.items():
            total.certificates[topic] = total.certificates.get(topic, 0) + count
    return total


def _between(column: ColumnElement[Any] | QueryableAttribute[Any], period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


async def tdp_figures(
    session: AsyncSession, period: Period, ward_code: str | None = None, mentor_target: int = 5
) -> list[TdpRow]:
    """One row per TDP of the ward (every ward when `ward_code` is None), ordered as the ward lists them."""
    units = select(Tdp.id, Ward.code, Ward.name, Tdp.name, Tdp.number, Tdp.is_example, Tdp.adult_population,
                   Tdp.households).join(Ward, Ward.id == Tdp.ward_id)
    if ward_code is not None:
        units = units.where(Ward.code == ward_code)
    rows = {
        r[0]: TdpRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6] or 0, r[7] or 0, target_percent=period.target)
        for r in await session.execute(units.order_by(Ward.id, Tdp.number, Tdp.name, Tdp.id))
    }
    if not rows:
        return []
    in_scope = select(Tdp.id).join(Ward, Ward.id == Tdp.ward_id)
    if ward_code is not None:
        in_scope = in_scope.where(Ward.code == ward_code)
    person = and_(User.merged_into_id.is_(None), User.tdp_id.in_(in_scope.scalar_subquery()))
    end = period.end

    def put(attribute: str, result: Iterable) -> None:
        for tdp_id, count in result:
            if tdp_id in rows:
                setattr(rows[tdp_id], attribute, int(count or 0))

    def put_topic(attribute: str, result: Iterable) -> None:
        for tdp_id, topic, count in result:
            if tdp_id in rows:
                getattr(rows[tdp_id], attribute)[topic] = int(count)

    registered = await session.execute(
        select(User.tdp_id, func.count(), func.sum(case((User.vneid_active.is_(True), 1), else_=0)))
        .where(person, User.created_at < end).group_by(User.tdp_id))
    for tdp_id, count, vneid in registered:
        rows[tdp_id].registered, rows[tdp_id].vneid_active = int(count), int(vneid or 0)

    active_ids = union(
        select(User.id.label("uid")).where(_between(User.last_seen_at, period)),
        select(LessonProgress.user_id).where(_between(LessonProgress.updated_at, period)),
        select(HelpSessionAttendee.user_id).join(HelpSession, HelpSession.id == HelpSessionAttendee.session_id)
        .where(HelpSession.held_on >= period.first_day, HelpSession.held_on <= period.last_day),
    ).subquery()
    put("active", await session.execute(
        select(User.tdp_id, func.count()).join(active_ids, active_ids.c.uid == User.id)
        .where(person).group_by(User.tdp_id)))

    put_topic("lessons_completed", await session.execute(
        select(User.tdp_id, LessonProgress.topic_id, func.count()).join(User, User.id == LessonProgress.user_id)
        .where(person, _between(LessonProgress.completed_at, period))
        .group_by(User.tdp_id, LessonProgress.topic_id)))

    held = and_(Certificate.revoked_at.is_(None), Certificate.issued_at < end)
    for tdp_id, topic, count in await session.execute(
            select(User.tdp_id, Certificate.topic_id, func.count()).join(User, User.id == Certificate.user_id)
            .where(person, held).group_by(User.tdp_id, Certificate.topic_id)):
        if tdp_id is None:  # the query joins TDPs: never reached
            continue
        if topic == OVERALL:
            rows[tdp_id].certified = int(count)
        else:
            rows[tdp_id].certificates[topic] = int(count)

    approved = and_(Mentor.status == "approved", func.coalesce(Mentor.decided_at, Mentor.requested_at) < end)
    put("mentors", await session.execute(
        select(Mentor.tdp_id, func.count()).where(approved, Mentor.tdp_id.is_not(None)).group_by(Mentor.tdp_id)))

    active_pairing = and_(Mentorship.started_at < end, or_(Mentorship.ended_at.is_(None), Mentorship.ended_at >= end))
    mentee = and_(User.id == Mentorship.mentee_id, User.merged_into_id.is_(None))
    per_mentor = (select(Mentorship.mentor_id, func.count().label("mentees")).join(User, mentee)
                  .where(active_pairing).group_by(Mentorship.mentor_id).subquery())
    put("mentors_at_target", await session.execute(
        select(Mentor.tdp_id, func.count()).join(per_mentor, per_mentor.c.mentor_id == Mentor.id)
        .where(approved, per_mentor.c.mentees >= mentor_target).group_by(Mentor.tdp_id)))

    put("active_mentees", await session.execute(
        select(User.tdp_id, func.count(func.distinct(Mentorship.mentee_id))).join(User, mentee)
        .join(Mentor, Mentor.id == Mentorship.mentor_id)
        .where(person, active_pairing, approved).group_by(User.tdp_id)))

    put("help_sessions", await session.execute(
        select(Mentor.tdp_id, func.count(HelpSession.id)).join(Mentor, Mentor.id == HelpSession.mentor_id)
        .where(HelpSession.held_on >= period.first_day, HelpSession.held_on <= period.last_day)
        .group_by(Mentor.tdp_id)))

    certified_member = exists().where(
        HouseholdMember.household_id == Household.id, Certificate.user_id == HouseholdMember.user_id,
        User.id == HouseholdMember.user_id, User.merged_into_id.is_(None), held)
    put("digital_households", await session.execute(
        select(Household.tdp_id, func.count()).where(Household.created_at < end, certified_member)
        .group_by(Household.tdp_id)))

    checked = await session.execute(
        select(ScamCheck.tdp_id, func.count(), func.sum(case((ScamCheck.verdict == "nguy-hiem", 1), else_=0)))
        .where(_between(ScamCheck.checked_at, period)).group_by(ScamCheck.tdp_id))
    for tdp_id, count, dangerous in checked:
        if tdp_id in rows:
            rows[tdp_id].scam_checks, rows[tdp_id].scam_dangerous = int(count), int(dangerous or 0)

    nudged = await session.execute(
        select(User.tdp_id, func.count(), func.count(Nudge.answered_at)).join(User, User.id == Nudge.user_id)
        .where(person, _between(Nudge.queued_at, period)).group_by(User.tdp_id))
    for tdp_id, count, answered in nudged:
        if tdp_id in rows:
            rows[tdp_id].nudges, rows[tdp_id].nudges_answered = int(count), int(answered or 0)
    return list(rows.values())


def report_topics() -> list[tuple[str, str]]:
    """(topic id, short Vietnamese title) of every topic, in content order: the report's topic columns."""
    from bot.content.loader import load_content

    return [(topic.id, topic.short or topic.title) for topic in load_content().topics]
