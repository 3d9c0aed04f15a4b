"""Nhờ giúp: residents' help requests still open, how long they have waited and whose mentor they are;
answer one (the resident gets it in their chat) or give it to a mentor of the resident's TDP
(`bot.network.help_requests`, shared with the mentor's chat screen)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import aliased

from bot.db.models import Tdp, User
from bot.db.network import HelpRequest, Mentor
from bot.network.help_requests import answer_request, assign_request
from bot.people.audit import record
from bot.text.i18n import translate
from bot.text.masking import mask
from bot.web.staff.console import Refused, Staff, action, page

LISTED = 50


def waited(since: datetime, now: datetime, staff: Staff) -> str:
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    hours = int((now - since).total_seconds() // 3600)
    return staff.t("staff_web.h.days", n=hours // 24) if hours >= 48 else staff.t("staff_web.h.hours", n=hours)


@page
async def help_page(staff: Staff) -> web.StreamResponse:
    now = datetime.now(UTC)
    mentee = aliased(User)
    async with staff.db.sessions() as session:
        query = (select(HelpRequest, mentee.display_name, Mentor.full_name, Tdp.name)
                 .join(mentee, mentee.id == HelpRequest.mentee_id)
                 .outerjoin(Mentor, Mentor.id == HelpRequest.mentor_id).outerjoin(Tdp, Tdp.id == HelpRequest.tdp_id)
                 .where(HelpRequest.status == "open").order_by(HelpRequest.created_at).limit(LISTED))
        mentors_query = select(Mentor.id, Mentor.full_name, Mentor.tdp_id).where(Mentor.status == "approved")
        if staff.scope_tdp_id is not None:
            query = query.where(HelpRequest.tdp_id == staff.scope_tdp_id)
            mentors_query = mentors_query.where(Mentor.tdp_id == staff.scope_tdp_id)
        rows = [(r, name, mentor, tdp, waited(r.created_at, now, staff)) for r, name, mentor, tdp in await session.execute(query)]
        tdps = {r.tdp_id for r, *_ in rows if r.tdp_id is not None}
        teams: dict[int, list[tuple[int, str]]] = {}
        for mentor_id, full_name, tdp_id in await session.execute(
                mentors_query.where(Mentor.tdp_id.in_(tdps)).order_by(Mentor.full_name)):
            teams.setdefault(tdp_id, []).append((mentor_id, full_name))
    return staff.render("help.html", rows=rows, teams=teams, mask=mask)


async def _open(session, staff: Staff, request_id: int) -> HelpRequest | None:
    request = await session.get(HelpRequest, request_id)
    if request is None or request.status != "open":
        return None
    if staff.scope_tdp_id is not None and request.tdp_id != staff.scope_tdp_id:
        raise Refused(f"help request#{request_id} of another TDP")
    return request


@action
async def answer(staff: Staff) -> web.StreamResponse:
    async with staff.db.transaction() as session:
        request = await _open(session, staff, int(staff.request.match_info["id"]))
        done = request is not None and await answer_request(
            session, request, staff.field("answer"), staff.identity_id, staff.t("staff_web.h.ward_staff"))
        if done and request is not None:
            record(session, staff.actor, "help.answer", target=f"help#{request.id}")
    return staff.back_to("/staff/help", "help_answered" if done else "help_gone")


@action
async def assign(staff: Staff) -> web.StreamResponse:
    mentor_id = staff.field("mentor")
    async with staff.db.transaction() as session:
        request = await _open(session, staff, int(staff.request.match_info["id"]))
        mentor = await session.get(Mentor, int(mentor_id)) if mentor_id.isdecimal() else None
        if request is None or mentor is None or mentor.status != "approved":
            done = False
        else:
            if staff.scope_tdp_id is not None and mentor.tdp_id != staff.scope_tdp_id:
                raise Refused(f"assign help#{request.id} to mentor#{mentor.id} of another TDP")
            helper = await session.get(User, mentor.user_id)
            asker = await session.get(User, request.mentee_id)
            lang = helper.locale if helper is not None else "vi"
            alert = translate(lang, "help_request.alert", name=(asker.display_name if asker else None)
                              or translate(lang, "help_request.someone"), question=request.question,
                              where=translate(lang, "help_request.nowhere_mentee"), id=request.id)
            await assign_request(session, request, mentor, alert)
            record(session, staff.actor, "help.assign", target=f"help#{request.id}", detail=f"mentor#{mentor.id}")
            done = True
    return staff.back_to("/staff/help", "help_assigned" if done else "help_gone")


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/help", help_page)
    app.router.add_post(r"/staff/help/{id:\d{1,9}}/answer", answer)
    app.router.add_post(r"/staff/help/{id:\d{1,9}}/assign", assign)
