"""Connects the outbox to the channels: the worker and the periodic jobs, for `bot run`, `bot worker`
and `bot broadcast send`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import func, select

from bot.app.jobs import run_due_jobs, run_nudges
from bot.app.runtime import Runtime
from bot.channels import Channels
from bot.core.messages import Reply
from bot.db.models import User
from bot.db.staff import OutboxMessage
from bot.outbox.queue import PUSH_CHANNELS
from bot.outbox.worker import UNFINISHED, Deliver, OutboxWorker

log = logging.getLogger(__name__)
JOBS_EVERY = 60.0


def deliver_through(channels: Channels) -> Deliver:
    async def deliver(channel: str, external_id: str, reply: Reply, priority: int) -> str:
        if channel not in channels.running:
            return "failed"  # retried later: the channel may come back (token fixed, restart)
        return str(await channels.send(channel, external_id, reply, priority))

    return deliver


@contextlib.asynccontextmanager
async def background_worker(runtime: Runtime, channels: Channels) -> AsyncIterator[OutboxWorker]:
    """The outbox worker and the periodic jobs, for as long as the block runs."""
    worker = OutboxWorker(runtime.db, deliver_through(channels))
    stop = asyncio.Event()

    async def jobs() -> None:
        while not stop.is_set():
            try:
                await run_due_jobs(runtime.db, runtime.settings)
                await run_nudges(runtime.db, runtime.settings, runtime.services.content)
            except Exception:
                log.exception("periodic jobs failed; retrying next round")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), JOBS_EVERY)

    tasks = [asyncio.create_task(worker.run(stop), name="outbox"), asyncio.create_task(jobs(), name="jobs")]
    try:
        yield worker
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


async def pending(runtime: Runtime, broadcast_id: int) -> int:
    """Messages of the broadcast still to go out through Telegram or Zalo (web residents' wait for their page)."""
    async with runtime.db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage).join(
            User, User.id == OutboxMessage.user_id).where(
            OutboxMessage.broadcast_id == broadcast_id, UNFINISHED, User.channel.in_(PUSH_CHANNELS))) or 0)
