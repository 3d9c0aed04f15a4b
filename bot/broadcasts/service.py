"""Broadcasts: written to the outbox with one row per recipient, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import String, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts.audience import Audience, recipients_query
from bot.broadcasts.schedule import outside_quiet_hours
from bot.db.models import rows_changed
from bot.db.staff import Broadcast, OutboxMessage
from bot.people.audit import Actor, record
from bot.text.i18n import translate
from bot.units.reference import tdp_by_ref

MAX_TEXT = 1500
STATUSES = ("queued", "sending", "sent", "failed", "unreachable")


class BroadcastRefused(PermissionError):
    """The sender may not reach this audience (a TDP leader outside their TDP)."""


def with_footer(text: str, lang: str = "vi") -> str:
    """Every broadcast tells people how to stop them."""
    return f"{text.strip()}\n\n{translate(lang, 'broadcast.footer')}"


async def check_scope(session: AsyncSession, audience: Audience, scope_tdp_id: int | None) -> None:
    """A TDP leader reaches only their own TDP: another TDP or a whole ward is refused outright;
    other audiences are narrowed to their TDP by the recipients query."""
    if scope_tdp_id is None:
        return
    if audience.kind == "ward":
        raise BroadcastRefused("a TDP leader can only broadcast to their own TDP")
    if audience.kind == "tdp":
        target = await tdp_by_ref(session, audience.value or "")
        if target is None or target.id != scope_tdp_id:
            raise BroadcastRefused("a TDP leader can only broadcast to their own TDP")


async def create(
    session: AsyncSession,
    *,
    actor: Actor,
    text: str,
    audience: Audience,
    at: datetime | None = None,
    urgent: bool = False,
    scope_tdp_id: int | None = None,
    image: str | None = None,
) -> Broadcast:
    """The broadcast and its outbox rows; quiet hours push a non-urgent send to 07:00."""
    await check_scope(session, audience, scope_tdp_id)
    now = datetime.now(UTC)
    send_at = outside_quiet_hours(at or now, urgent)
    broadcast = Broadcast(created_by=actor.who, text=text[:MAX_TEXT], audience=audience.as_dict(), urgent=urgent,
                          scheduled_at=send_at, image=image, status="queued")
    session.add(broadcast)
    await session.flush()
    recipients = (await recipients_query(session, audience, scope_tdp_id)).subquery()
    body = with_footer(text[:MAX_TEXT])
    await session.execute(insert(OutboxMessage).from_select(
        ["broadcast_id", "user_id", "kind", "text", "options", "image", "priority", "status", "attempts",
         "not_before", "created_at"],
        select(literal(broadcast.id), recipients.c.id, literal("broadcast"), literal(body),
               literal([], OutboxMessage.options.type), literal(image, String()), literal(1), literal("queued"),
               literal(0), literal(send_at, OutboxMessage.not_before.type), literal(now, OutboxMessage.created_at.type)),
    ))
    broadcast.total = int(await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast.id)) or 0)
    record(session, actor, "broadcast.schedule" if at else "broadcast.send", target=f"broadcast#{broadcast.id}",
           detail=f"audience={audience.kind}:{audience.value or ''} recipients={broadcast.total}")
    return broadcast


async def cancel(session: AsyncSession, broadcast_id: int, actor: Actor) -> int:
    """Cancels what has not gone out yet; returns how many messages were withdrawn."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return -1
    result = await session.execute(update(OutboxMessage).where(
        OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == "queued").values(status="cancelled"))
    broadcast.status = "cancelled"
    record(session, actor, "broadcast.cancel", target=f"broadcast#{broadcast_id}")
    return rows_changed(result)


@dataclass(frozen=True)
class Status:
    broadcast: Broadcast
    counts: dict[str, int]


async def status(session: AsyncSession, broadcast_id: int) -> Status | None:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    rows = await session.execute(select(OutboxMessage.status, func.count()).where(
        OutboxMessage.broadcast_id == broadcast_id).group_by(OutboxMessage.status))
    counts = dict.fromkeys(STATUSES, 0) | {state: n for state, n in rows}
    return Status(broadcast, counts)
