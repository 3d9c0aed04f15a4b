"""Đơn vị: the wards' TDPs with adult population and households (what the targets are counted
against); import a CSV as `bot units import` does, or correct one TDP. Ward staff only."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.db.models import Tdp, Ward
from bot.people.audit import record
from bot.units.importing import UnitsCsvError, import_units, parse_units_csv
from bot.web.staff.console import Refused, Staff, action, page

MAX_CSV = 60_000


def ward_only(staff: Staff) -> None:
    if staff.scope_tdp_id is not None:
        raise Refused("units are edited by ward staff")


@page
async def units_page(staff: Staff) -> web.StreamResponse:
    async with staff.db.sessions() as session:
        query = select(Tdp, Ward.name).join(Ward, Ward.id == Tdp.ward_id).order_by(Ward.id, Tdp.number)
        if staff.scope_tdp_id is not None:
            query = query.where(Tdp.id == staff.scope_tdp_id)
        rows = list(await session.execute(query))
    return staff.render("units.html", rows=rows, editable=staff.scope_tdp_id is None)


def _count(text: str) -> int | None:
    return int(text) if text.isdecimal() and len(text) < 8 else None


@action
async def edit(staff: Staff) -> web.StreamResponse:
    ward_only(staff)
    adults, households = _count(staff.field("adults")), _count(staff.field("households"))
    if adults is None or households is None:
        return staff.back_to("/staff/units", "unit_bad")
    async with staff.db.transaction() as session:
        tdp = await session.get(Tdp, int(staff.request.match_info["id"]))
        if tdp is None:
            raise web.HTTPNotFound()
        before = f"{tdp.adult_population}/{tdp.households}"
        tdp.adult_population, tdp.households, tdp.is_example = adults, households, False
        record(session, staff.actor, "unit.edit", target=f"tdp#{tdp.id}",
               detail=f"adults/households {before} -> {adults}/{households}")
    return staff.back_to("/staff/units", "unit_saved")


@action
async def import_csv(staff: Staff) -> web.StreamResponse:
    ward_only(staff)
    upload = staff.form.get("file") if staff.form is not None else None
    raw = getattr(upload, "file", None)
    data = raw.read(MAX_CSV + 1) if raw is not None else b""
    if not data or len(data) > MAX_CSV:
        return staff.back_to("/staff/units", "units_bad")
    try:
        units = parse_units_csv(data.decode("utf-8-sig"))
    except (UnitsCsvError, UnicodeDecodeError):
        return staff.back_to("/staff/units", "units_bad")
    async with staff.db.transaction() as session:
        result = await import_units(session, units)
        record(session, staff.actor, "units.import", detail=str(result)[:500])
    return staff.back_to("/staff/units", "units_imported", result.tdps_created + result.tdps_updated)


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/units", units_page)
    app.router.add_post(r"/staff/units/{id:\d{1,9}}", edit)
    app.router.add_post("/staff/units/import", import_csv)
