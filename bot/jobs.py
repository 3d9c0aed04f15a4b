"""Periodic work of the outbox worker: reminders that must go out once, however many workers run.

Each reminder is recorded (JobRun for report deadlines, `reminded_at` for help
requests) in the same transaction as the messages it queues.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core.i18n import WARD_TZ, format_short_day, translate
from bot.db.models import User, Ward
from bot.db.network import HelpRequest, Mentor
from bot.db.session import Database
from bot.db.staff import JobRun
from bot.network.mentors import team_of_tdp
from bot.outbox import enqueue
from bot.reports.deadlines import due_within
from bot.roles import STAFF_ROLES

HELP_REMINDER_AFTER = timedelta(hours=24)


async def remind_help_requests(session: AsyncSession, now: datetime) -> int:
    """Open requests unanswered for 24 h: one reminder to whoever should answer."""
    due = list(await session.scalars(select(HelpRequest).where(
        HelpRequest.status == "open", HelpRequest.reminded_at.is_(None),
        HelpRequest.created_at <= now - HELP_REMINDER_AFTER)))
    for request in due:
        if request.mentor_id is not None:
            mentor = await session.get(Mentor, request.mentor_id)
            recipients = [mentor.user_id] if mentor else []
        else:
            recipients = [m.user_id for m in await team_of_tdp(session, request.tdp_id)]
        for user_id in recipients:
            user = await session.get(User, user_id)
            await enqueue(session, user_id, translate(user.locale if user else "vi", "jobs.help_reminder",
                                                      question=request.question[:200]))
        request.reminded_at = now
    return len(due)


async def remind_report_deadlines(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Staff hear about each report deadline `report_reminder_days` ahead, once."""
    today = now.astimezone(WARD_TZ).date()
    sent = 0
    wards = {w.code: w for w in await session.scalars(select(Ward))}
    for deadline in due_within(today, settings.report_reminder_days):
        if deadline.ward_code is not None and deadline.ward_code not in wards:
            continue
        key = f"{deadline.kind}:{deadline.period}:{deadline.ward_code or ''}"
        if await session.get(JobRun, ("report-reminder", key)) is not None:
            continue
        session.add(JobRun(name="report-reminder", period=key))
        staff = await session.scalars(select(User).where(User.role.in_(STAFF_ROLES), User.channel != "web"))
        for person in staff:
            if deadline.ward_code is not None and person.ward_id not in (None, wards[deadline.ward_code].id):
                continue
            await enqueue(session, person.id, translate(person.locale, "jobs.report_reminder", period=deadline.period,
                                                        due=format_short_day(deadline.due, person.locale)))
            sent += 1
    return sent


async def run_due_jobs(db: Database, settings: Settings) -> None:
    now = datetime.now(timezone.utc)
    try:
        async with db.transaction() as session:
            await remind_help_requests(session, now)
            await remind_report_deadlines(session, settings, now)
    except IntegrityError:
        pass  # another worker recorded the same reminder first
