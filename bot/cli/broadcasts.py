"""`bot broadcast …`: announcements through the outbox, sent from here or left to the running bot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from bot.cli.common import fail, with_database
from bot.config import Settings
from bot.db.session import Database
from bot.people.audit import Actor

broadcast_app = typer.Typer(help="Announcements through the outbox.", no_args_is_help=True)


@broadcast_app.command("send")
def broadcast_send(
    text: str = typer.Option(..., "--text", help="The announcement (a line on how to stop them is added)."),
    audience: str = typer.Option("all", "--audience",
                                 help="all | ward:<code> | tdp:<ward>/<n> | role:learner|mentor | uncertified | "
                                      "not_started:<topic> | channel:telegram|zalo|web | age:u16|16-59|60+"),
    at: str = typer.Option(None, "--at", help='"YYYY-MM-DD HH:MM" (ward time) or "20/12 8:00"; default now.'),
    urgent: bool = typer.Option(False, "--urgent", help="Send even in quiet hours (21:00–07:00)."),
    yes: bool = typer.Option(False, "--yes", help="Confirm without asking."),
    no_wait: bool = typer.Option(False, "--no-wait", help="Only queue it for the running bot's worker."),
) -> None:
    """Write the broadcast to the outbox, then send it here with a progress bar (or leave it to the bot)."""
    from bot.broadcasts import service
    from bot.broadcasts.audience import Audience, AudienceError, count
    from bot.broadcasts.schedule import ScheduleError, parse_when

    try:
        target = Audience.parse(audience)
        when = parse_when(at, datetime.now(UTC)) if at else None
    except (AudienceError, ScheduleError) as exc:
        raise fail(str(exc), 2) from None

    async def work(settings: Settings, database: Database) -> None:
        """Preview, confirmation, queueing and sending: one database, one event loop, migrated once."""
        async with database.sessions() as session:
            try:
                per_channel = await count(session, target)
            except AudienceError as exc:
                raise fail(str(exc)) from None
        if not sum(per_channel.values()):
            raise fail("nobody in this audience")
        typer.echo(f"{sum(per_channel.values())} recipients ("
                   + ", ".join(f"{channel} {n}" for channel, n in per_channel.items())
                   + "; web-chat residents get it live, or when they next open the page)")
        if not yes and not typer.confirm("Send?"):
            raise typer.Exit(1)
        async with database.transaction() as session:
            broadcast = await service.create(session, actor=Actor.cli("broadcast send"), text=text, audience=target,
                                             at=when, urgent=urgent)
            broadcast_id, total, scheduled = broadcast.id, broadcast.total, broadcast.scheduled_at
        typer.echo(f"broadcast #{broadcast_id}: {total} messages queued for {scheduled:%Y-%m-%d %H:%M} UTC")
        if no_wait or (scheduled is not None and scheduled > datetime.now(UTC)):
            return
        sent = await send_in_foreground(settings, database, broadcast_id, total)
        typer.echo(f"broadcast #{broadcast_id}: " + ", ".join(f"{k} {v}" for k, v in sent.items()))

    with_database(work)


async def send_in_foreground(settings: Settings, database: Database, broadcast_id: int, total: int) -> dict[str, int]:
    """Sends the queued Telegram and Zalo rows from this process, with a progress bar."""
    import asyncio

    from bot.app.delivery import background_worker, pending
    from bot.app.runtime import build_runtime
    from bot.broadcasts.service import status
    from bot.channels import start_channels

    runtime = await build_runtime(settings, db=database, load_reference=False)
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


@broadcast_app.command("list")
def broadcast_list(limit: int = typer.Option(20, help="How many.")) -> None:
    """Recent broadcasts with their status."""
    from sqlalchemy import select

    from bot.db.staff import Broadcast

    async def work(_settings: Settings, database: Database) -> list[Any]:
        async with database.sessions() as session:
            return list(await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))

    from bot.text.i18n import format_moment

    for row in with_database(work):  # ward time, like every other list (the console, `bot audit`)
        when = f"{format_moment(row.scheduled_at)} (UTC+7)" if row.scheduled_at else "-"
        typer.echo(f"#{row.id:<5} {row.status:<9} {row.total:>6} recipients  {when}  {row.text[:50]!r}")


@broadcast_app.command("status")
def broadcast_status(broadcast_id: int) -> None:
    """Queued / sent / failed / unreachable counts of one broadcast."""
    from bot.broadcasts import service

    async def work(_settings: Settings, database: Database) -> service.Status | None:
        async with database.sessions() as session:
            return await service.status(session, broadcast_id)

    result = with_database(work)
    if result is None:
        raise fail(f"no broadcast #{broadcast_id}")
    typer.echo(f"#{broadcast_id} {result.broadcast.status}: " + ", ".join(f"{k} {v}" for k, v in result.counts.items()))


@broadcast_app.command("cancel")
def broadcast_cancel(broadcast_id: int) -> None:
    """Withdraw the messages of a broadcast that have not gone out yet."""
    from bot.broadcasts import service

    async def work(_settings: Settings, database: Database) -> int:
        async with database.transaction() as session:
            return await service.cancel(session, broadcast_id, actor=Actor.cli("broadcast cancel"))

    withdrawn = with_database(work)
    if withdrawn < 0:
        raise fail(f"no broadcast #{broadcast_id}")
    typer.echo(f"#{broadcast_id} cancelled: {withdrawn} unsent messages withdrawn")
