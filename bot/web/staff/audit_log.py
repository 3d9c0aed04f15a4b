"""Nhật ký: the audit log, newest first: who (the acting identity), from where, did what, when.
A TDP leader sees their own entries. The same rows as `bot audit`."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy import select

from bot.db.models import AuditEntry
from bot.reports.periods import local_midnight_utc
from bot.web.staff.console import Staff, page

LISTED = 200


@page
async def audit_page(staff: Staff) -> web.StreamResponse:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(LISTED)
    if staff.scope_tdp_id is not None:
        query = query.where(AuditEntry.actor == staff.key)
    action = staff.field("action")[:64]
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    since = staff.field("since")
    problem = None
    if since:
        try:
            query = query.where(AuditEntry.at >= local_midnight_utc(datetime.strptime(since, "%Y-%m-%d").date()))
        except ValueError:
            problem = staff.t("staff_web.a.bad_since")
    async with staff.db.sessions() as session:
        rows = list(await session.scalars(query))
    return staff.render("audit.html", rows=rows, action=action, since=since, error=problem)


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/audit", audit_page)
