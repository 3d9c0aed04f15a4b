"""Periodic work of the outbox worker: reminders that must go out once, however many workers run,
and forgetting what is no longer needed; once a week, the mentors' digest of mentees not seen
for 14 days (`bot.network.digest`).

Each reminder is recorded (JobRun for report deadlines, `reminded_at` for help
requests) in the same transaction as the messages it queues. Once an hour,
expired codes go, and so do web-chat visitors who never consented, never
learned and have been silent for RETAIN_VISITORS_DAYS: opening the page costs
nobody a permanent row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.config import Settings
from bot.content.loader import Content
from bot.db.learning import LessonProgress, QuizAttempt, UnansweredQuestion
from bot.db.models import User, Ward, rows_changed
from bot.db.network import HelpRequest, HouseholdMember, Mentor, Mentorship
from bot.db.session import Database
from bot.db.staff import JobRun
from bot.network.digest import queue_digests
from bot.network.mentors import team_of_tdp
from bot.nudges.scheduler import queue_due, withdraw
from bot.outbox.queue import enqueue
from bot.people.codes import purge_expired
from bot.people.roles import STAFF_ROLES, TRUSTED_CHANNELS
from bot.reports.deadlines import due_within
from bot.text.i18n import WARD_TZ, format_short_day, translate

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
                                                      question=request.question[:200]), about=request.mentee_id)
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
        staff = await session.scalars(select(User).where(User.role.in_(STAFF_ROLES), User.channel.in_(TRUSTED_CHANNELS)))
        for person in staff:
            if deadline.ward_code is not None and person.ward_id not in (None, wards[deadline.ward_code].id):
                continue
            await enqueue(session, person.id, translate(person.locale, "jobs.report_reminder", period=deadline.period,
                                                        due=format_short_day(deadline.due, person.locale)))
            sent += 1
    return sent


async def forget_visitors(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Deletes silent web-chat visitors who never consented and never learned; returns how many."""
    silent_since = now - timedelta(days=settings.retain_visitors_days)
    linked = select(User.id).where(User.merged_into_id.is_not(None)).scalar_subquery()
    result = await session.execute(delete(User).where(
        User.channel == "web", User.consent_at.is_(None), User.merged_into_id.is_(None), User.id.not_in(linked),
        func.coalesce(User.last_seen_at, User.created_at) < silent_since,
        *(~exists().where(column == User.id) for column in (
            LessonProgress.user_id, QuizAttempt.user_id, Mentorship.mentee_id, HouseholdMember.user_id,
            HelpRequest.mentee_id)),
    ).execution_options(synchronize_session=False))
    return rows_changed(result)


async def apply_retention(session: AsyncSession, settings: Settings, now: datetime) -> dict[str, int]:
    """Deletes what has been kept as long as the privacy notice says (`retain_*` settings)."""
    silent = now - timedelta(days=settings.retain_unconsented_days)
    linked = aliased(User)
    unconsented = await session.execute(delete(User).where(
        User.consent_at.is_(None), User.merged_into_id.is_(None), User.role == "learner",
        ~exists().where(linked.merged_into_id == User.id),  # never a person other accounts are linked to
        func.coalesce(User.last_seen_at, User.created_at) < silent,
    ).execution_options(synchronize_session=False))
    questions = await session.execute(delete(UnansweredQuestion).where(
        UnansweredQuestion.asked_at < now - timedelta(days=settings.retain_questions_days)))
    requests = await session.execute(delete(HelpRequest).where(
        HelpRequest.created_at < now - timedelta(days=settings.retain_help_requests_days)))
    return {"unconsented accounts": rows_changed(unconsented), "unanswered questions": rows_changed(questions),
            "help requests": rows_changed(requests)}


async def hourly_cleanup(session: AsyncSession, settings: Settings, now: datetime) -> bool:
    """Expired codes, forgotten visitors and the retention periods, once an hour whatever the number of workers."""
    hour = now.strftime("%Y-%m-%dT%H")
    if await session.get(JobRun, ("cleanup", hour)) is not None:
        return False
    session.add(JobRun(name="cleanup", period=hour))
    await purge_expired(session, now)
    await forget_visitors(session, settings, now)
    await apply_retention(session, settings, now)
    return True


async def run_nudges(db: Database, settings: Settings, content: Content, now: datetime | None = None) -> int:
    """Learning nudges due now (`bot.nudges.scheduler`), in their own transaction: two workers queuing
    the same person's nudge collide on its (person, day) key, and the loser only loses this round."""
    now = now or datetime.now(UTC)
    try:
        async with db.transaction() as session:
            await withdraw(session, settings, now)
            return await queue_due(session, settings, content, now)
    except IntegrityError:
        return 0


async def run_due_jobs(db: Database, settings: Settings) -> None:
    now = datetime.now(UTC)
    try:
        async with db.transaction() as session:
            await remind_help_requests(session, now)
            await remind_report_deadlines(session, settings, now)
            await hourly_cleanup(session, settings, now)
    except IntegrityError:
        pass  # another worker recorded the same reminder first
    try:
        async with db.transaction() as session:
            await queue_digests(session, now)
    except IntegrityError:
        pass  # another worker queued this week's mentor digests first
