"""Messages to someone other than the person being answered: mentor alerts, relayed answers, broadcasts.

They are written to the outbox in the same transaction as what caused them. Telegram
and Zalo people get them from the outbox worker through the paced sender. Web-chat
visitors get theirs on the open page (`bot.web.live`, Server-Sent Events), or, when
no page was open, at the start of their next turn (`take_inbox`). Either way a row
is taken by one guarded UPDATE (`claim_queued`), so it is shown once, however many
tabs, streams and processes ask at the same time.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Option
from bot.db.models import User, rows_changed
from bot.db.staff import Broadcast, OutboxMessage

PUSH_CHANNELS = ("telegram", "zalo")
DIGEST_KIND = "digest"
"""A mentor's weekly digest (`bot.network.digest`): it names several mentees, so deleting any of
them withdraws it (`bot.privacy.erase`)."""
UNFINISHED = OutboxMessage.status.in_(("queued", "sending"))
"""Rows still to be sent: waiting, or claimed by a worker or a web page's stream."""
WEB_BATCH = 10
"""At most this many waiting messages are shown at once (the rest follow on the next turn or event)."""


@dataclass(frozen=True, order=True)
class Taken:
    """A row claimed for a web visitor: what the page shows, and the broadcast it belongs to."""

    id: int
    text: str
    broadcast_id: int | None


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
    about: int | None = None,
) -> OutboxMessage:
    """`about`: the person the message speaks of (a mentee's question to their mentor), so deleting
    that person withdraws it too, sent or not."""
    message = OutboxMessage(
        user_id=user_id,
        subject_id=about,
        text=text,
        kind=kind,
        options=[{"id": o.id, "label": o.label} for o in options or []],
        priority=priority,
        broadcast_id=broadcast_id,
        not_before=not_before or datetime.now(UTC),
    )
    session.add(message)
    await session.flush()
    return message


async def claim_queued(session: AsyncSession, user_id: int, *, status: str, claimed_by: str | None = None,
                       limit: int = WEB_BATCH) -> list[Taken]:
    """One person's due rows, moved from "queued" to `status`, oldest first.

    The UPDATE repeats `status = 'queued'`, so of two claimers racing for a row (two
    tabs, a stream and a turn, two processes) exactly one gets it: on PostgreSQL the
    loser re-reads the committed row and skips it, on SQLite writers take turns.
    The plain SELECT first keeps the usual case (nothing waiting) a read.
    """
    now = datetime.now(UTC)
    ids = list(await session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.user_id == user_id, OutboxMessage.status == "queued", OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.id).limit(limit)))
    if not ids:
        return []
    values: dict[str, object] = {"status": status, "claimed_at": now, "claimed_by": claimed_by}
    if status == "sent":
        values["sent_at"] = now
    rows = await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "queued").values(**values)
        .returning(OutboxMessage.id, OutboxMessage.text, OutboxMessage.broadcast_id)
        .execution_options(synchronize_session=False))
    return sorted(Taken(*row) for row in rows)


async def release_claim(session: AsyncSession, ids: Collection[int], claimed_by: str) -> int:
    """Rows a stream wrote that the page never confirmed go back to "queued"; returns how many.

    Rows confirmed meanwhile (by this process or another) are "sent" and stay so.
    """
    if not ids:
        return 0
    result = await session.execute(update(OutboxMessage).where(
        OutboxMessage.id.in_(list(ids)), OutboxMessage.status == "sending", OutboxMessage.claimed_by == claimed_by,
    ).values(status="queued", claimed_by=None, claimed_at=None).execution_options(synchronize_session=False))
    return rows_changed(result)


async def confirm_shown(session: AsyncSession, user_id: int, ids: Collection[int]) -> int:
    """The page says it shows these rows: they are "sent" (once: a repeated confirmation changes nothing)."""
    if not ids:
        return 0
    rows = list(await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(list(ids)), OutboxMessage.user_id == user_id,
                                    OutboxMessage.status == "sending")
        .values(status="sent", sent_at=datetime.now(UTC))
        .returning(OutboxMessage.broadcast_id).execution_options(synchronize_session=False)))
    await finish_broadcasts(session, {row.broadcast_id for row in rows if row.broadcast_id is not None})
    return len(rows)


async def finish_broadcasts(session: AsyncSession, broadcast_ids: Collection[int]) -> None:
    """Broadcasts with nothing left to send are done (whoever sent their last row: worker, stream or turn)."""
    for broadcast_id in broadcast_ids:
        pending = await session.scalar(select(func.count()).select_from(OutboxMessage).where(and_(
            OutboxMessage.broadcast_id == broadcast_id, UNFINISHED)))
        if not pending:
            await session.execute(update(Broadcast).where(
                Broadcast.id == broadcast_id, Broadcast.status != "cancelled").values(status="done"))


async def take_inbox(session: AsyncSession, user: User) -> list[Taken]:
    """Queued messages for a web-chat visitor whose page did not get them live, marked sent as they are shown."""
    if user.channel in PUSH_CHANNELS:
        return []
    taken = await claim_queued(session, user.id, status="sent")
    await finish_broadcasts(session, {t.broadcast_id for t in taken if t.broadcast_id is not None})
    return taken
