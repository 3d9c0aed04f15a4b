"""The periodic job that queues the nudges due now, and withdraws the ones that could only arrive late.

Run every minute by the outbox worker's jobs (`bot.app.jobs.run_nudges`) with the
moment as a parameter, so tests and the bench drive it with a fake clock. A nudge
is queued for a person when all of these hold:

* today is one of their days, now is their minute of their part of the day
  (`bot.nudges.times.slot`), inside the ward's nudge hours;
* they have not had one today, nor as many this week as days they chose;
* they got no broadcast today (a broadcast queued later the same day withdraws
  a nudge still waiting), did not say "DỪNG", and were not ignoring the last three
  (then nudges pause until they write);
* they are not in the middle of a conversation (seen in the last `BUSY`).

It goes through the outbox at the lowest priority (`PRIORITY`), after every reply,
broadcast and alert. Web-chat residents get it in their history like a broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.loader import Content
from bot.core.messages import Option
from bot.db.models import User, rows_changed
from bot.db.nudges import Nudge, NudgePlan
from bot.db.staff import OutboxMessage
from bot.lessons import progress as prog
from bot.lessons.path import next_lesson
from bot.nudges.plans import PAUSE_AFTER
from bot.nudges.times import PARTS, aware, day_bit, day_bounds, in_hours, iso_week, local_day, local_moment, slot, weekdays_of, window
from bot.outbox.queue import PUSH_CHANNELS, enqueue
from bot.review.items import SESSION, due_count
from bot.text.i18n import translate

PRIORITY = 2
"""Outbox and sender priority of nudges: after replies (0) and broadcasts, reminders and alerts (1)."""
KIND = "nudge"
BUSY = timedelta(minutes=30)
LATE = timedelta(minutes=30)
"""A push nudge not sent this long after its moment is withdrawn (its part of the day is over)."""
GO = "nudge:go"


@dataclass(frozen=True)
class Next:
    """What a nudge offers: "review" (with how many questions) or "lesson" (with the lesson)."""

    kind: str
    text_key: str
    button_key: str
    params: dict[str, object]
    lesson_id: str | None = None


async def what_next(session: AsyncSession, content: Content, user: User, now: datetime) -> Next | None:
    """Due review first ("Ôn nhanh: 3 câu"), else the lesson left open or the next on their path."""
    waiting = await due_count(session, user.id, now)
    if waiting:
        return Next("review", "nudge.review", "nudge.go_review", {"count": min(waiting, SESSION)})
    progress = await prog.progress_of(session, user.id)
    current = prog.in_progress(progress)
    lesson = content.lessons.get(current.lesson_id) if current is not None else None
    if lesson is None:
        lesson = next_lesson(content, prog.answers_of(user), (k for k, r in progress.items() if r.completed_at))
    if lesson is None:
        return None
    return Next("lesson", "nudge.lesson", "nudge.go_lesson", {"title": lesson.title, "minutes": lesson.minutes},
                lesson.id)


async def withdraw(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Push nudges still waiting that would arrive late, outside the nudge hours, or on a broadcast's day."""
    start, end = day_bounds(local_day(now))
    push_user = select(User.id).where(User.channel.in_(PUSH_CHANNELS)).scalar_subquery()
    broadcast_today = exists().where(
        OutboxMessage.user_id == Nudge.user_id, OutboxMessage.broadcast_id.is_not(None),
        OutboxMessage.status != "cancelled", OutboxMessage.not_before >= start, OutboxMessage.not_before < end)
    on_broadcast_day = select(Nudge.outbox_id).where(Nudge.day == local_day(now), broadcast_today).scalar_subquery()
    waiting = (OutboxMessage.kind == KIND) & (OutboxMessage.status == "queued")
    late = (OutboxMessage.not_before < now - LATE) & OutboxMessage.user_id.in_(push_user)
    condition = late | OutboxMessage.id.in_(on_broadcast_day)
    if not in_hours(now, settings.nudge_window):
        condition = condition | OutboxMessage.user_id.in_(push_user)
    result = await session.execute(update(OutboxMessage).where(waiting, condition).values(status="cancelled")
                                   .execution_options(synchronize_session=False))
    return rows_changed(result)


async def queue_due(session: AsyncSession, settings: Settings, content: Content, now: datetime) -> int:
    """Queues every nudge due at `now`; returns how many."""
    hours = settings.nudge_window
    if not in_hours(now, hours):
        return 0
    today = local_day(now)
    minute = (now - day_bounds(today)[0]) // timedelta(minutes=1)
    open_parts = [part for part in PARTS if window(part, hours)[0] <= minute < window(part, hours)[1]]
    if not open_parts:
        return 0  # between the parts of the day: nobody's window is open
    week = iso_week(today)
    start, end = day_bounds(today)
    person = NudgePlan.user_id
    this_week = select(func.count()).select_from(Nudge).where(Nudge.user_id == person, Nudge.week == week) \
        .correlate(NudgePlan).scalar_subquery()
    reachable = (User.channel.in_(PUSH_CHANNELS) & User.unreachable_at.is_(None)) | (User.channel == "web")
    rows = await session.execute(
        select(NudgePlan, this_week).join(User, User.id == person).where(
            NudgePlan.days.op("&")(day_bit(today.weekday())) != 0, NudgePlan.part.in_(open_parts),
            NudgePlan.stopped_at.is_(None), NudgePlan.paused_at.is_(None),
            User.merged_into_id.is_(None), User.consent_at.is_not(None), reachable,
            ~exists().where(Nudge.user_id == person, Nudge.day == today),
            ~exists().where(OutboxMessage.user_id == person, OutboxMessage.broadcast_id.is_not(None),
                            OutboxMessage.status != "cancelled", OutboxMessage.not_before >= start,
                            OutboxMessage.not_before < end)))
    queued = 0
    for plan, sent_this_week in rows:
        span = window(str(plan.part), hours)
        if sent_this_week >= len(weekdays_of(plan.days)) or not slot(plan.user_id, today, span) <= now \
                or now >= local_moment(today, span[1]):
            continue
        if plan.ignored >= PAUSE_AFTER:
            plan.paused_at = now  # three in a row with no reply: quiet until they write
            continue
        user = await session.get(User, plan.user_id)
        if user is None or (user.last_seen_at is not None and aware(user.last_seen_at) > now - BUSY):
            continue
        offer = await what_next(session, content, user, now)
        if offer is None:
            continue
        lang = user.locale or settings.default_locale
        name = user.display_name or translate(lang, "nudge.you")
        text = translate(lang, offer.text_key, name=name, **offer.params)
        hint = "nudge.web_hint" if user.channel == "web" else "nudge.stop_hint"
        message = await enqueue(session, user.id, f"{text}\n\n{translate(lang, hint)}", kind=KIND,
                                options=[Option(GO, translate(lang, offer.button_key))], priority=PRIORITY,
                                not_before=now)
        session.add(Nudge(user_id=user.id, day=today, week=week, kind=offer.kind, queued_at=now,
                          outbox_id=message.id))
        plan.ignored += 1
        queued += 1
    await session.flush()
    return queued
