"""Báo cáo: the quarterly, annual and monthly reports of `bot report` (`bot.reports.service.build_report`:
XLSX with its native chart, the same as PDF, and the chart image shown on the page), downloaded
behind the session.
Reports cover whole wards, so they are for ward staff; a TDP leader has their TDP on Tổng quan."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy import select

from bot.db.models import Ward
from bot.reports.periods import KINDS
from bot.text.i18n import WARD_TZ
from bot.web.staff.console import Refused, Staff, action, page

NAME = re.compile(r"^[a-z0-9\-]{1,100}\.(?:xlsx|png|pdf)$")


def folder(staff: Staff) -> Path:
    return Path(staff.runtime.services.files_dir) / "staff-reports"


def ward_only(staff: Staff) -> None:
    if staff.scope_tdp_id is not None:
        raise Refused("ward reports are for ward staff")


@page
async def reports_page(staff: Staff) -> web.StreamResponse:
    ward_only(staff)
    made = staff.field("file")
    shown = made if NAME.match(made) and (folder(staff) / made).is_file() else None
    now = datetime.now(WARD_TZ)
    async with staff.db.sessions() as session:
        wards = [(code, name) for code, name in await session.execute(select(Ward.code, Ward.name).order_by(Ward.id))]
    return staff.render("reports.html", wards=wards, kinds=KINDS, made=shown, stem=shown[:-5] if shown else None,
                        year=now.year, quarter=(now.month - 1) // 3 + 1, month=now.month)


@action
async def make(staff: Staff) -> web.StreamResponse:
    ward_only(staff)
    kind = staff.field("kind")
    year, quarter, month = staff.field("year"), staff.field("quarter"), staff.field("month")
    ward = staff.field("ward") or None
    if kind not in KINDS or not year.isdecimal():
        return staff.back_to("/staff/reports", "report_bad")
    filename = f"{kind}-{year}-{secrets.token_hex(6)}.xlsx"
    try:
        from bot.reports.service import build_report  # spreadsheet and chart libraries load only when a report is made

        await build_report(staff.db, staff.settings, kind, int(year),
                           int(quarter) if kind == "quarterly" and quarter.isdecimal() else None,
                           int(month) if kind == "monthly" and month.isdecimal() else None,
                           ward, out_dir=folder(staff), filename=filename, actor=staff.actor, pdf=True)
    except ValueError:  # a bad period, or UnknownWard
        return staff.back_to("/staff/reports", "report_bad")
    raise web.HTTPSeeOther(f"/staff/reports?file={filename}")


@page
async def download(staff: Staff) -> web.StreamResponse:
    ward_only(staff)
    name = staff.request.match_info["name"]
    path = folder(staff) / name
    if not NAME.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    headers = {"Cache-Control": "no-store"}
    if not name.endswith(".png"):
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return web.FileResponse(path, headers=headers)


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/reports", reports_page)
    app.router.add_post("/staff/reports", make)
    app.router.add_get(r"/staff/reports/files/{name}", download)


