"""Sends what the outbox holds, through the paced sender, exactly once per row.

A batch of due rows is claimed (status "sending", FOR UPDATE SKIP LOCKED on
PostgreSQL so several workers never take the same row), each message is sent and
its outcome recorded before the worker moves on. Sending and recording are
shielded from cancellation, so stopping a worker finishes the message in
flight. While a worker sends, it renews its claim every `HEARTBEAT`; a worker
killed outright leaves its claimed rows in "sending", and once their claim is
`STALE_CLAIM` old another worker puts them back in the queue (the only case
where one message per worker could be repeated).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot.core.messages import Option, Reply
from bot.db.models import User
from bot.db.session import Database
from bot.db.staff import Broadcast, OutboxMessage
from bot.outbox.queue import PUSH_CHANNELS, UNFINISHED, finish_broadcasts

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(seconds=60)
HEARTBEAT = 20.0
"""Seconds between renewals of a worker's claim while it sends (well inside STALE_CLAIM)."""
MAX_ATTEMPTS = 5
Deliver = Callable[[str, str, Reply, int], Awaitable[str]]
"""(channel, external id, reply, priority) → "sent" / "failed" / "unreachable"."""


class OutboxWorker:
    def __init__(self, db: Database, deliver: Deliver, *, name: str | None = None, batch: int = 200,
                 poll: float = 1.0) -> None:
        self.db, self.deliver = db, deliver
        self.name = name or f"{socket.gethostname()}-{id(self):x}"
        self.batch, self.poll = batch, poll
        self.sent = 0

    async def claim(self) -> list[tuple[int, str, str, Reply, int, int | None]]:
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_CLAIM).values(status="queued"))
            query = (
                select(OutboxMessage.id).join(User, User.id == OutboxMessage.user_id)
                .where(OutboxMessage.status == "queued", OutboxMessage.not_before <= now,
                       User.channel.in_(PUSH_CHANNELS))
                .order_by(OutboxMessage.priority, OutboxMessage.id).limit(self.batch)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=OutboxMessage)
            ids = list(await session.scalars(query))
            if not ids:
                return []
            await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
                status="sending", claimed_by=self.name, claimed_at=now))
            rows = await session.execute(
                select(OutboxMessage, User.channel, User.external_id).join(User, User.id == OutboxMessage.user_id)
                .where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.priority, OutboxMessage.id))
            claimed = []
            for message, channel, external_id in rows:
                options = [Option(o["id"], o["label"]) for o in message.options or []]
                claimed.append((message.id, channel, external_id, Reply(message.text, options, "broadcast"),
                                message.priority, message.broadcast_id))
            await session.execute(update(Broadcast).where(Broadcast.status == "queued", Broadcast.id.in_(
                select(OutboxMessage.broadcast_id).where(OutboxMessage.id.in_(ids)))).values(status="sending"))
            return claimed

    async def _send_one(self, row_id: int, channel: str, external_id: str, reply: Reply, priority: int) -> None:
        try:
            outcome = await self.deliver(channel, external_id, reply, priority)
        except Exception:  # an adapter bug must not stop the broadcast; the row is retried
            log.exception("outbox delivery crashed for row %d", row_id)
            outcome = "failed"
        await self._record(row_id, str(outcome))

    async def _record(self, row_id: int, outcome: str) -> None:
        """One short transaction per message, before the next one is recorded: "sent" is never lost."""
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            if outcome in ("sent", "unreachable"):
                await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                    status=outcome, sent_at=now if outcome == "sent" else None))
                self.sent += outcome == "sent"
                return
            message = await session.get(OutboxMessage, row_id)
            if message is None:
                return
            message.attempts += 1
            give_up = message.attempts >= MAX_ATTEMPTS
            message.status = "failed" if give_up else "queued"
            message.not_before = now + timedelta(seconds=min(600, 5 * 2 ** message.attempts))

    async def _finish_broadcasts(self, broadcast_ids: set[int]) -> None:
        """Broadcasts of the batch with nothing left to send are done (checked once per batch, not per row)."""
        async with self.db.transaction() as session:
            await finish_broadcasts(session, broadcast_ids)

    async def run_once(self) -> int:
        """Claims one batch and sends it; returns how many rows it handled."""
        claimed = await self.claim()
        if claimed:
            heartbeat = asyncio.create_task(self._renew_claims())
            try:
                await asyncio.gather(*(asyncio.shield(self._send_one(*row[:5])) for row in claimed))
            finally:
                heartbeat.cancel()
            await self._finish_broadcasts({row[5] for row in claimed if row[5] is not None})
        return len(claimed)

    async def _renew_claims(self) -> None:
        """Keeps this worker's claim fresh while a slow batch (paused by a 429, say) is still going out."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                async with self.db.transaction() as session:
                    await session.execute(update(OutboxMessage).where(
                        OutboxMessage.status == "sending", OutboxMessage.claimed_by == self.name).values(
                        claimed_at=datetime.now(UTC)))
            except Exception:
                log.warning("outbox worker could not renew its claim", exc_info=True)

    async def run_until_empty(self) -> None:
        """Sends until no row is left to send by any worker (a one-off run: benchmarks, tests)."""
        while True:
            if await self.run_once():
                continue
            async with self.db.sessions() as session:
                if not await session.scalar(select(func.count()).select_from(OutboxMessage).where(UNFINISHED)):
                    return
            await asyncio.sleep(self.poll)  # rows not yet due, or claimed by another worker

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("outbox worker round failed; retrying")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll)
