"""Đại sứ số: applications to approve or decline, each mentor's mentees against the target, and the
mentees who have not moved for 7 days. Decisions go through `bot.network.mentors.decide`, like the
chat screen and `bot mentor approve`: the applicant is told, the decision audited."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy import exists, func, select

from bot.db.learning import Certificate, LessonProgress
from bot.db.models import Tdp, User
from bot.db.network import Mentor, Mentorship
from bot.network import mentors as net
from bot.web.staff.console import Refused, Staff, action, page

LISTED = 100


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def stalled(staff: Staff, mentor_ids: list[int]) -> dict[int, list[tuple[str, datetime]]]:
    """Per mentor: mentees without the overall certificate whose last sign of life is older than 7 days."""
    if not mentor_ids:
        return {}
    now = datetime.now(UTC)
    mentees = select(Mentorship.mentee_id).where(Mentorship.mentor_id.in_(mentor_ids), Mentorship.ended_at.is_(None))
    progress = (select(LessonProgress.user_id, func.max(LessonProgress.updated_at).label("moved"))
                .where(LessonProgress.user_id.in_(mentees)).group_by(LessonProgress.user_id).subquery())
    certified = exists().where(Certificate.user_id == User.id, Certificate.topic_id == "all",
                               Certificate.revoked_at.is_(None))
    async with staff.db.sessions() as session:
        rows = await session.execute(
            select(Mentorship.mentor_id, User.display_name, User.last_seen_at, Mentorship.started_at, progress.c.moved)
            .join(User, User.id == Mentorship.mentee_id).outerjoin(progress, progress.c.user_id == User.id)
            .where(Mentorship.mentor_id.in_(mentor_ids), Mentorship.ended_at.is_(None), ~certified))
    found: dict[int, list[tuple[str, datetime]]] = {}
    for mentor_id, name, seen, started, moved in rows:
        last = max(t for t in (_aware(seen), _aware(started), _aware(moved)) if t is not None)
        if now - last >= net.STUCK_AFTER:
            found.setdefault(mentor_id, []).append((name or "?", last))
    return found


@page
async def mentors_page(staff: Staff) -> web.StreamResponse:
    scope = staff.scope_tdp_id
    async with staff.db.sessions() as session:
        query = (select(Mentor, Tdp.name).outerjoin(Tdp, Tdp.id == Mentor.tdp_id)
                 .where(Mentor.status.in_(("pending", "approved"))).order_by(Mentor.status.desc(), Mentor.requested_at))
        if scope is not None:
            query = query.where(Mentor.tdp_id == scope)
        rows = list(await session.execute(query.limit(LISTED)))
        approved = [m.id for m, _ in rows if m.status == "approved"]
        counts = await net.active_counts(session, approved)
    pending = [(m, tdp) for m, tdp in rows if m.status == "pending"]
    team = sorted(((m, tdp, counts.get(m.id, 0)) for m, tdp in rows if m.status == "approved"), key=lambda r: r[2])
    return staff.render("mentors.html", pending=pending, team=team, stuck=await stalled(staff, approved),
                        target=staff.settings.mentor_target)


@action
async def decide(staff: Staff) -> web.StreamResponse:
    mentor_id = int(staff.request.match_info["id"])
    approve = staff.field("decision") == "approve"
    async with staff.db.transaction() as session:
        mentor = await session.get(Mentor, mentor_id)
        if mentor is None or mentor.status != "pending":
            decided = False
        else:
            if staff.scope_tdp_id is not None and mentor.tdp_id != staff.scope_tdp_id:
                raise Refused(f"decide mentor#{mentor_id} of another TDP")
            await net.decide(session, mentor, approve, staff.actor)
            decided = True
    if not decided:
        return staff.back_to("/staff/mentors", "mentor_gone")
    return staff.back_to("/staff/mentors", "mentor_approved" if approve else "mentor_rejected")


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/mentors", mentors_page)
    app.router.add_post(r"/staff/mentors/{id:\d{1,9}}/decide", decide)


