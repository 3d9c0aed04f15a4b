"""Thông báo: write an announcement with a phone-sized preview, choose who gets it with the live count
per channel (web residents included), send now or at a ward time, and follow each one's delivery.

Everything goes through `bot.broadcasts` (audience, schedule, service) like the chat composer and
`bot broadcast send`: the same quiet hours, the same footer, the same TDP-leader scope.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy import func, select

from bot.broadcasts import service
from bot.broadcasts.audience import AGE_BANDS, Audience, AudienceError, UnknownUnit, count
from bot.broadcasts.schedule import in_quiet_hours, outside_quiet_hours
from bot.db.models import Tdp, Ward
from bot.db.staff import Broadcast, OutboxMessage
from bot.text.i18n import WARD_TZ
from bot.web.staff.console import Refused, Staff, action, page, secure_headers

CHOICES = ("all", "ward", "tdp", "age", "uncertified", "not_started", "mentor", "learner")
LISTED = 20
SHOWN = ("queued", "sent", "failed", "unreachable", "cancelled")


async def ward_choices(staff: Staff) -> list[tuple[str, str]]:
    """(code, name) of the wards, for ward staff (a TDP leader reaches only their TDP)."""
    if staff.scope_tdp_id is not None:
        return []
    async with staff.db.sessions() as session:
        return [(code, name) for code, name in await session.execute(select(Ward.code, Ward.name).order_by(Ward.id))]


def choices(staff: Staff) -> tuple[str, ...]:
    return tuple(c for c in CHOICES if c != "ward") if staff.scope_tdp_id is not None else CHOICES


async def tdp_choices(staff: Staff) -> list[tuple[str, str]]:
    """(reference "ward/number", name) of the TDPs this staff member may reach."""
    async with staff.db.sessions() as session:
        query = select(Ward.code, Ward.name, Tdp.number, Tdp.name, Tdp.id).join(Ward, Ward.id == Tdp.ward_id)
        if staff.scope_tdp_id is not None:
            query = query.where(Tdp.id == staff.scope_tdp_id)
        rows = list(await session.execute(query.order_by(Ward.id, Tdp.number)))
    many = len({r[0] for r in rows}) > 1
    return [(f"{code}/{number}", f"{tdp} ({ward})" if many else tdp) for code, ward, number, tdp, _ in rows]


def audience_of(staff: Staff) -> Audience:
    """The audience the form describes; raises AudienceError for a choice that does not exist."""
    choice = staff.field("audience", "all")
    if choice == "ward":
        return Audience.parse(f"ward:{staff.field('ward')}")
    if choice == "tdp":
        return Audience.parse(f"tdp:{staff.field('tdp')}")
    if choice == "age":
        return Audience.parse(f"age:{staff.field('age')}")
    if choice in ("mentor", "learner"):
        return Audience("role", choice)
    if choice in ("all", "uncertified", "not_started"):
        return Audience(choice)
    raise AudienceError(f"unknown audience {choice!r}")


def when_of(staff: Staff, now: datetime) -> datetime | None:
    """The form's "YYYY-MM-DDTHH:MM" (a datetime-local field, in ward time) as UTC; None = now."""
    text = staff.field("at")
    if not text:
        return None
    moment = datetime.fromisoformat(text).replace(tzinfo=WARD_TZ).astimezone(UTC)
    if moment < now:
        raise ValueError("in the past")
    return moment


async def _counts(staff: Staff, audience: Audience) -> dict[str, int]:
    async with staff.db.sessions() as session:
        try:
            await service.check_scope(session, audience, staff.scope_tdp_id)
        except service.BroadcastRefused as exc:
            raise Refused(f"broadcast audience {audience.kind}:{audience.value} outside scope") from exc
        return await count(session, audience, staff.scope_tdp_id)


async def delivery(staff: Staff) -> list[dict[str, object]]:
    """The latest broadcasts (a TDP leader's own) with their delivery counts, in two queries."""
    async with staff.db.sessions() as session:
        query = select(Broadcast).order_by(Broadcast.id.desc()).limit(LISTED)
        if staff.scope_tdp_id is not None:
            query = query.where(Broadcast.created_by == staff.key)
        broadcasts = list(await session.scalars(query))
        ids = [b.id for b in broadcasts]
        counts: dict[int, dict[str, int]] = {i: dict.fromkeys(SHOWN, 0) for i in ids}
        if ids:
            for broadcast_id, state, n in await session.execute(
                    select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count())
                    .where(OutboxMessage.broadcast_id.in_(ids)).group_by(OutboxMessage.broadcast_id, OutboxMessage.status)):
                key = "queued" if state == "sending" else state
                counts[broadcast_id][key] = counts[broadcast_id].get(key, 0) + int(n)
    rows = []
    for b in broadcasts:
        c = counts[b.id]
        reachable = c["sent"] + c["queued"] + c["failed"]
        rows.append({"broadcast": b, "counts": c, "reachable": reachable,
                     "percent": round(100 * c["sent"] / reachable) if reachable else 0,
                     "audience": f"{b.audience.get('kind')}" + (f":{b.audience['value']}" if b.audience.get("value") else ""),
                     "can_cancel": b.status in ("queued", "sending") and c["queued"] > 0})
    return rows


@page
async def broadcasts_page(staff: Staff) -> web.StreamResponse:
    return await _page(staff)


async def _page(staff: Staff, *, status: int = 200, error: str | None = None) -> web.StreamResponse:
    return staff.render("broadcasts.html", status=status, rows=await delivery(staff), tdps=await tdp_choices(staff),
                        wards=await ward_choices(staff), choices=choices(staff), ages=AGE_BANDS, error=error,
                        form=dict(staff.form or {}), max_text=service.MAX_TEXT,
                        footer=service.with_footer("", staff.lang).strip())


@page
async def live_count(staff: Staff) -> web.StreamResponse:
    """GET ?audience=…: recipients per channel as JSON, for the count beside the form."""
    try:
        audience = audience_of(staff)
        per_channel = await _counts(staff, audience)
    except UnknownUnit:
        per_channel = {}
    except AudienceError:
        return web.json_response({"error": "bad_audience", "message": staff.t("staff_web.bc.bad_audience")}, status=400)
    total = sum(per_channel.values())
    response = web.json_response({"total": total, "channels": per_channel,
                                  "text": staff.t("staff_web.bc.count", n=total, telegram=per_channel.get("telegram", 0),
                                                  zalo=per_channel.get("zalo", 0), web=per_channel.get("web", 0))})
    secure_headers(response)
    return response


@page
async def live_status(staff: Staff) -> web.StreamResponse:
    """The delivery counts of the listed broadcasts, as JSON, for the list to refresh itself."""
    shown = {}
    for row in await delivery(staff):
        broadcast, counts = row["broadcast"], row["counts"]
        assert isinstance(broadcast, Broadcast) and isinstance(counts, dict)
        shown[str(broadcast.id)] = {**counts, "percent": row["percent"], "status": broadcast.status,
                                    "status_text": staff.t(f"staff_web.bc.status.{broadcast.status}")}
    response = web.json_response(shown)
    secure_headers(response)
    return response


@action
async def send(staff: Staff) -> web.StreamResponse:
    now = datetime.now(UTC)
    text = staff.field("text")
    problem = None
    audience = Audience()
    at: datetime | None = None
    if not text or len(text) > service.MAX_TEXT:
        problem = staff.t("staff_web.bc.bad_text", limit=service.MAX_TEXT)
    try:
        audience = audience_of(staff)
    except AudienceError:
        problem = problem or staff.t("staff_web.bc.bad_audience")
    try:
        at = when_of(staff, now)
    except ValueError:
        problem = problem or staff.t("staff_web.bc.bad_when")
    urgent = staff.field("urgent") == "1"
    if problem is None:
        per_channel = await _counts(staff, audience)
        if not sum(per_channel.values()):
            problem = staff.t("staff_web.bc.nobody")
    if problem is not None:
        return await _page(staff, status=400, error=problem)
    async with staff.db.transaction() as session:
        broadcast = await service.create(session, actor=staff.actor, text=text, audience=audience, at=at, urgent=urgent,
                                         scope_tdp_id=staff.scope_tdp_id)
        total = broadcast.total
    moved = not urgent and in_quiet_hours(at or now) and outside_quiet_hours(at or now, urgent) != (at or now)
    return staff.back_to("/staff/broadcasts", "broadcast_quiet" if moved else "broadcast_queued", total)


@action
async def cancel(staff: Staff) -> web.StreamResponse:
    raw = staff.request.match_info["id"]
    async with staff.db.transaction() as session:
        broadcast = await session.get(Broadcast, int(raw))
        if broadcast is None:
            raise web.HTTPNotFound()
        if staff.scope_tdp_id is not None and broadcast.created_by != staff.key:
            raise Refused(f"cancel broadcast#{broadcast.id} of another sender")
        withdrawn = await service.cancel(session, broadcast.id, staff.actor)
    return staff.back_to("/staff/broadcasts", "broadcast_cancelled", max(withdrawn, 0))


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/broadcasts", broadcasts_page)
    app.router.add_get("/staff/broadcasts/count", live_count)
    app.router.add_get("/staff/broadcasts/status", live_status)
    app.router.add_post("/staff/broadcasts", send)
    app.router.add_post(r"/staff/broadcasts/{id:\d{1,9}}/cancel", cancel)
