"""Tổng quan: each TDP against the ward's targets, this week's work, help requests waiting.

The per-TDP figures are the quarterly report's own (`bot.reports.figures.tdp_figures`), so the page
and the XLSX never disagree. With 100,000 residents they take seconds to count, so they are kept per
scope and counted again in the background once they are `FRESH` seconds old; the page says when they
were counted. The help requests waiting are always live.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import and_, func, select

from bot.db.learning import Certificate, LessonProgress
from bot.db.models import Tdp, User
from bot.db.network import HelpRequest
from bot.reports.figures import TdpRow, tdp_figures, totals
from bot.reports.periods import Period, local_midnight_utc
from bot.text.i18n import WARD_TZ
from bot.web.staff.console import Staff, page

log = logging.getLogger(__name__)
FRESH = 60.0
_CACHE: dict[object, tuple[float, Any]] = {}


_REFRESHING: dict[object, asyncio.Task[Any]] = {}


async def _kept(key: object, compute: Callable[[], Awaitable[Any]]) -> Any:
    """`await compute()`, kept in this process's memory (the figures change slowly). Past FRESH seconds
    the kept value is still shown once more while a fresh one is counted in the background, so only the
    very first visit after start-up waits for the count."""
    hit = _CACHE.get(key)
    if hit is not None:
        if time.monotonic() - hit[0] >= FRESH and key not in _REFRESHING:
            task = asyncio.create_task(_refresh(key, compute))
            _REFRESHING[key] = task
            task.add_done_callback(lambda _: _REFRESHING.pop(key, None))
        return hit[1]
    return await _store(key, compute)


async def _refresh(key: object, compute: Callable[[], Awaitable[Any]]) -> None:
    try:
        await _store(key, compute)
    except Exception:  # the kept figures stay; the next visit tries again
        log.exception("counting the overview figures failed")


async def _store(key: object, compute: Callable[[], Awaitable[Any]]) -> Any:
    value = await compute()
    if len(_CACHE) > 1000:
        _CACHE.clear()
    _CACHE[key] = (time.monotonic(), value)
    return value


@dataclass(frozen=True)
class Line:
    """One TDP (or the total) as the page shows it: counts and the share of its base, in %."""

    row: TdpRow
    skilled: int

    def share(self, part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None


def current_quarter(now: datetime) -> Period:
    local = now.astimezone(WARD_TZ)
    return Period.quarterly(local.year, (local.month - 1) // 3 + 1)


async def figures(staff: Staff, now: datetime) -> tuple[datetime, list[TdpRow], dict[int, int]]:
    """When counted, the quarter's figures per TDP in this staff member's scope, and the people with basic
    skills per TDP (kept FRESH seconds). TDPs nobody registered in are left out unless nothing is left."""
    period = current_quarter(now)

    async def compute() -> tuple[datetime, list[TdpRow], dict[int, int]]:
        async with staff.db.sessions() as session:
            rows = await tdp_figures(session, period, None, staff.settings.mentor_target)
        if staff.scope_tdp_id is not None:
            rows = [r for r in rows if r.tdp_id == staff.scope_tdp_id]
        rows = [r for r in rows if r.registered] or rows
        return now, rows, await skilled(staff, [r.tdp_id for r in rows if r.tdp_id is not None])

    return await _kept((period.slug, staff.scope_tdp_id, id(staff.db)), compute)


def week_start(now: datetime) -> datetime:
    local: date = now.astimezone(WARD_TZ).date()
    return local_midnight_utc(local - timedelta(days=local.weekday()))


async def this_week(staff: Staff, now: datetime) -> dict[str, int]:
    """Learners and certificates since Monday 00:00 ward time (kept FRESH seconds: they scan the week's
    lesson rows), and the help requests waiting now (always live: staff act on it)."""
    since = week_start(now)
    scope = staff.scope_tdp_id
    in_scope = [User.merged_into_id.is_(None)] + ([User.tdp_id == scope] if scope is not None else [])

    async def counted() -> dict[str, int]:
        async with staff.db.sessions() as session:
            learners = await session.scalar(
                select(func.count(func.distinct(LessonProgress.user_id))).join(User, User.id == LessonProgress.user_id)
                .where(LessonProgress.updated_at >= since, *in_scope))
            certificates = await session.scalar(
                select(func.count()).select_from(Certificate).join(User, User.id == Certificate.user_id)
                .where(Certificate.issued_at >= since, Certificate.revoked_at.is_(None), *in_scope))
        return {"learners": int(learners or 0), "certificates": int(certificates or 0)}

    week = await _kept(("week", since, scope, id(staff.db)), counted)
    async with staff.db.sessions() as session:
        waiting = await session.scalar(
            select(func.count()).select_from(HelpRequest)
            .where(HelpRequest.status == "open", *([HelpRequest.tdp_id == scope] if scope is not None else [])))
    return {**week, "waiting": int(waiting or 0)}


async def skilled(staff: Staff, tdp_ids: list[int]) -> dict[int, int]:
    """People per TDP holding at least one topic certificate: "có kỹ năng số cơ bản"."""
    if not tdp_ids:
        return {}
    async with staff.db.sessions() as session:
        rows = await session.execute(
            select(User.tdp_id, func.count(func.distinct(Certificate.user_id))).join(User, User.id == Certificate.user_id)
            .where(and_(Certificate.revoked_at.is_(None), User.merged_into_id.is_(None), User.tdp_id.in_(tdp_ids)))
            .group_by(User.tdp_id))
        return {tdp_id: int(n) for tdp_id, n in rows}


@page
async def overview(staff: Staff) -> web.StreamResponse:
    tdp = staff.field("tdp")
    staff.check_tdp(int(tdp) if tdp.isdecimal() else None)
    now = datetime.now(UTC)
    counted_at, rows, per_tdp = await figures(staff, now)
    lines = [Line(r, per_tdp.get(r.tdp_id or 0, 0)) for r in rows]
    total = totals(rows)
    period = current_quarter(now)
    async with staff.db.sessions() as session:
        scope_name = await session.scalar(select(Tdp.name).where(Tdp.id == staff.scope_tdp_id)) \
            if staff.scope_tdp_id else None
    return staff.render("overview.html", lines=lines, total=Line(total, sum(per_tdp.values())), period=period,
                        week=await this_week(staff, now), counted_at=counted_at, scope_name=scope_name,
                        target=period.target, many_wards=len({r.ward_code for r in rows}) > 1)


def setup(app: web.Application) -> None:
    app.router.add_get("/staff", overview)
    app.router.add_get("/staff/", overview)
