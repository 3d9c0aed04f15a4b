"""Messages to someone other than the person being answered: mentor alerts, relayed answers, broadcasts.

They are written to the outbox in the same transaction as what caused them. Telegram
and Zalo people get them from the outbox worker through the paced sender; web-chat
visitors have no push channel, so theirs are shown at the start of their next turn.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Option
from bot.db.models import User
from bot.db.staff import OutboxMessage

PUSH_CHANNELS = ("telegram", "zalo")


async def enqueue(
    session: AsyncSession,
    user_id: int,
    text: str,
    *,
    kind: str = "alert",
    options: list[Option] | None = None,
    priority: int = 1,
    broadcast_id: int | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        user_id=user_id,
        text=text,
        kind=kind,
        options=[{"id": o.id, "label": o.label} for o in options or []],
        priority=priority,
        broadcast_id=broadcast_id,
        not_before=not_before or datetime.now(timezone.utc),
    )
    session.add(message)
    await session.flush()
    return message


async def take_inbox(session: AsyncSession, user: User) -> list[OutboxMessage]:
    """Queued messages for a web-chat visitor, marked sent as they are shown."""
    if user.channel in PUSH_CHANNELS:
        return []
    now = datetime.now(timezone.utc)
    rows = list(await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == user.id, OutboxMessage.status == "queued", OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.id)
        .limit(10)
    ))
    for row in rows:
        row.status, row.sent_at = "sent", now
    return rows
