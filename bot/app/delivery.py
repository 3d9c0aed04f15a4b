"""Connects the outbox to the channels: the worker inside `bot run`, and a CLI sending in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import typer
from sqlalchemy import func, select

from bot.channels import Channels, start_channels
from bot.config import Settings
from bot.core.messages import Reply
from bot.db.staff import OutboxMessage
from bot.app.jobs import run_due_jobs
from bot.outbox.worker import UNFINISHED, Deliver, OutboxWorker
from bot.app.runtime import Runtime, build_runtime

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
    async with runtime.db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.broadcast_id == broadcast_id, UNFINISHED)) or 0)


async def send_in_foreground(settings: Settings, broadcast_id: int, total: int) -> dict[str, int]:
    """`bot broadcast send`: sends the queued rows from this process with a progress bar."""
    from bot.broadcasts.service import status

    runtime = await build_runtime(settings, load_reference=False)
    channels = await start_channels(runtime, None, receive=False)
    try:
        if not channels.running:
            typer.echo("no Telegram or Zalo token set: the messages stay queued for the bot's worker")
            return {}
        async with background_worker(runtime, channels):
            with typer.progressbar(length=total, label="sending") as bar:
                done = 0
                while (left := await pending(runtime, broadcast_id)) > 0:
                    bar.update(total - left - done)
                    done = total - left
                    await asyncio.sleep(0.5)
                bar.update(total - done)
        async with runtime.db.sessions() as session:
            result = await status(session, broadcast_id)
        return result.counts if result else {}
    finally:
        await channels.stop()
        await runtime.close()
