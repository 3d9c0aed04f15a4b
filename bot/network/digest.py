"""The weekly mentor digest: which mentees have not been seen for 14 days, with a one-tap "Nhắc nhẹ".

Once a ward week (Monday from 09:00, or the first round after it, never in the
evening or at night), each approved Đại sứ số with such mentees gets one message
through the outbox; a mentor with none gets nothing. "Nhắc nhẹ" sends the mentee
one kind, short line, at most once a week whoever taps it, and never a word about
how long they were away.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Option
from bot.db.models import User
from bot.db.network import Mentor
from bot.db.staff import JobRun, OutboxMessage
from bot.network.mentors import MenteeRow, mentee_rows
from bot.outbox.queue import DIGEST_KIND, enqueue
from bot.text.i18n import WARD_TZ, format_short_day, translate

INACTIVE_AFTER = timedelta(days=14)
DIGEST_HOURS = range(9, 20)
"""Ward-time hours a digest may be queued in (Monday first; later in the week if the worker was down)."""
GENTLE = "gentle:"
"""Option id prefix of "Nhắc nhẹ": "gentle:<mentee id>" (a pushed button, `Router.pushed_option`)."""
GENTLE_KIND = "gentle"
MAX_BUTTONS = 5
NAME_IN_LABEL = 24


def week_key(now: datetime) -> str:
    year, week, _ = now.astimezone(WARD_TZ).isocalendar()
    return f"{year}-W{week:02d}"


def inactive(rows: list[MenteeRow], now: datetime) -> list[MenteeRow]:
    """Mentees with a chat account whose last activity is 14 days old or more, longest away first."""
    quiet = [r for r in rows if not r.offline and r.last_active is not None and now - r.last_active >= INACTIVE_AFTER]
    return sorted(quiet, key=lambda r: r.last_active or now)


def gentle_option(row: MenteeRow, lang: str) -> Option:
    name = row.name if len(row.name) <= NAME_IN_LABEL else row.name[:NAME_IN_LABEL - 1] + "…"
    return Option(f"{GENTLE}{row.user_id}", translate(lang, "digest.gentle_button", name=name))


async def queue_digests(session: AsyncSession, now: datetime) -> int:
    """This week's digests, once whatever the number of workers; returns how many were queued."""
    if now.astimezone(WARD_TZ).hour not in DIGEST_HOURS:
        return 0
    key = week_key(now)
    if await session.get(JobRun, ("mentor-digest", key)) is not None:
        return 0
    session.add(JobRun(name="mentor-digest", period=key))
    queued = 0
    for mentor in list(await session.scalars(select(Mentor).where(Mentor.status == "approved").order_by(Mentor.id))):
        away = inactive(await mentee_rows(session, mentor, {}), now)
        person = await session.get(User, mentor.user_id)
        if not away or person is None:
            continue
        lang = person.locale or "vi"
        lines = [translate(lang, "digest.line", name=r.name, seen=format_short_day(r.last_active, lang))
                 for r in away if r.last_active is not None]
        await enqueue(session, mentor.user_id, "\n".join([translate(lang, "digest.title", n=len(away)), *lines,
                                                          translate(lang, "digest.hint")]),
                      kind=DIGEST_KIND, options=[gentle_option(r, lang) for r in away[:MAX_BUTTONS]],
                      about=away[0].user_id if len(away) == 1 else None)
        queued += 1
    return queued


async def nudged_recently(session: AsyncSession, mentee_id: int, now: datetime) -> bool:
    """A gentle nudge was sent to them in the last 7 days (by any mentor, any tap)."""
    return await session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.user_id == mentee_id, OutboxMessage.kind == GENTLE_KIND,
        OutboxMessage.created_at >= now - timedelta(days=7)).limit(1)) is not None


async def send_gentle(session: AsyncSession, mentor: Mentor, mentee: User) -> None:
    await enqueue(session, mentee.id, translate(mentee.locale or "vi", "digest.gentle_message", mentor=mentor.full_name),
                  kind=GENTLE_KIND)
