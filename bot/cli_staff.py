"""Staff commands: roles, the audit log, broadcasts (`bot admin …`, `bot audit`, `bot broadcast …`)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import typer
from sqlalchemy import select

from bot.db.session import Database
from bot.people.audit import Actor

admin_app = typer.Typer(help="Roles: add ward staff and TDP leaders.", no_args_is_help=True)
broadcast_app = typer.Typer(help="Announcements through the outbox.", no_args_is_help=True)


def _cli():  # type: ignore[no-untyped-def]
    from bot import cli

    return cli


@admin_app.command("add")
def admin_add(
    who: str = typer.Argument(..., help="channel:id of the person, e.g. telegram:123456 (they must have written to the bot)."),
    role: str = typer.Option("staff", "--role", help="staff, tdp-leader, admin, or learner to remove rights."),
    tdp: str = typer.Option(None, "--tdp", help="For a TDP leader: <ward code>/<TDP number>, e.g. hung-dao/5."),
) -> None:
    """Give a person a staff role (recorded in the audit log)."""
    from bot.db.models import Tdp, Ward
    from bot.people.roles import ROLES, grant_role

    cli = _cli()
    settings = cli.settings_or_exit()
    channel, _, external = who.partition(":")
    if channel not in ("telegram", "zalo") or not external:
        typer.echo("error: give channel:id with channel telegram or zalo (web-chat ids never carry staff rights)", err=True)
        raise typer.Exit(2)
    if role not in ROLES:
        typer.echo(f"error: --role must be one of {', '.join(ROLES)}", err=True)
        raise typer.Exit(2)
    if role == "tdp-leader" and not tdp:
        typer.echo("error: a tdp-leader needs --tdp <ward code>/<number>", err=True)
        raise typer.Exit(2)

    async def work(database: Database) -> str:
        async with database.transaction() as session:
            scope = None
            if tdp:
                ward_code, _, number = tdp.partition("/")
                scope = await session.scalar(select(Tdp.id).join(Ward, Ward.id == Tdp.ward_id).where(
                    Ward.code == ward_code, Tdp.number == (int(number) if number.isdigit() else -1)))
                if scope is None:
                    return f"error: no TDP {tdp}"
            await grant_role(session, Actor.cli("admin add"), channel, external, role, scope)
            return f"{who}: {role}" + (f" ({tdp})" if tdp else "")

    message = cli.with_database(settings, work)
    if message.startswith("error"):
        typer.echo(message, err=True)
        raise typer.Exit(1)
    typer.echo(message)


def audit(since: str = typer.Option(None, "--since", help="YYYY-MM-DD: only entries from that day on."),
          limit: int = typer.Option(200, help="How many entries at most.")) -> None:
    """Every staff action with who and when: broadcasts, roles, revocations, exports, deletions, refusals."""
    from bot.core.i18n import format_moment
    from bot.db.models import AuditEntry

    cli = _cli()
    settings = cli.settings_or_exit()
    start = datetime.fromisoformat(since).replace(tzinfo=timezone.utc) if since else None

    async def work(database: Database) -> list:
        async with database.sessions() as session:
            query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
            if start is not None:
                query = query.where(AuditEntry.at >= start)
            return list(await session.scalars(query))

    for entry in cli.with_database(settings, work):
        typer.echo(f"{format_moment(entry.at)}  {entry.actor:<24} {entry.via or '':<26} {entry.action:<22} "
                   f"{entry.target or ''}" + (f"  {entry.detail}" if entry.detail else ""))


@broadcast_app.command("send")
def broadcast_send(
    text: str = typer.Option(..., "--text", help="The announcement (a line on how to stop them is added)."),
    audience: str = typer.Option("all", "--audience",
                                 help="all | ward:<code> | tdp:<ward>/<n> | role:learner|mentor | uncertified | "
                                      "not_started:<topic> | channel:telegram|zalo"),
    at: str = typer.Option(None, "--at", help='"YYYY-MM-DD HH:MM" (ward time) or "20/12 8:00"; default now.'),
    urgent: bool = typer.Option(False, "--urgent", help="Send even in quiet hours (21:00–07:00)."),
    yes: bool = typer.Option(False, "--yes", help="Confirm without asking."),
    no_wait: bool = typer.Option(False, "--no-wait", help="Only queue it for the running bot's worker."),
) -> None:
    """Write the broadcast to the outbox, then send it here with a progress bar (or leave it to the bot)."""
    from bot.broadcasts import service
    from bot.broadcasts.audience import Audience, AudienceError, count
    from bot.broadcasts.schedule import ScheduleError, parse_when

    cli = _cli()
    settings = cli.settings_or_exit()
    try:
        target = Audience.parse(audience)
        when = parse_when(at, datetime.now(timezone.utc)) if at else None
    except (AudienceError, ScheduleError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    async def preview(database: Database) -> dict[str, int] | str:
        async with database.sessions() as session:
            try:
                return await count(session, target)
            except AudienceError as exc:
                return str(exc)

    per_channel = cli.with_database(settings, preview)
    if isinstance(per_channel, str) or not sum(per_channel.values()):
        typer.echo(f"error: {per_channel if isinstance(per_channel, str) else 'nobody in this audience'}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{sum(per_channel.values())} recipients (" + ", ".join(f"{k} {v}" for k, v in per_channel.items())
               + "; web-chat residents get it live, or when they next open the page)")
    if not yes and not typer.confirm("Send?"):
        raise typer.Exit(1)

    async def queue(database: Database) -> tuple[int, int, datetime | None]:
        async with database.transaction() as session:
            broadcast = await service.create(session, actor=Actor.cli("broadcast send"), text=text, audience=target,
                                             at=when, urgent=urgent)
            return broadcast.id, broadcast.total, broadcast.scheduled_at

    broadcast_id, total, scheduled = cli.with_database(settings, queue)
    typer.echo(f"broadcast #{broadcast_id}: {total} messages queued for {scheduled:%Y-%m-%d %H:%M} UTC")
    if no_wait or (scheduled is not None and scheduled > datetime.now(timezone.utc)):
        return
    from bot.app.delivery import send_in_foreground

    sent = asyncio.run(send_in_foreground(settings, broadcast_id, total))
    typer.echo(f"broadcast #{broadcast_id}: " + ", ".join(f"{k} {v}" for k, v in sent.items()))


@broadcast_app.command("list")
def broadcast_list(limit: int = typer.Option(20, help="How many.")) -> None:
    """Recent broadcasts with their status."""
    from bot.db.staff import Broadcast

    cli = _cli()
    settings = cli.settings_or_exit()

    async def work(database: Database) -> list:
        async with database.sessions() as session:
            return list(await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))

    for row in cli.with_database(settings, work):
        when = f"{row.scheduled_at:%Y-%m-%d %H:%M}" if row.scheduled_at else "-"
        typer.echo(f"#{row.id:<5} {row.status:<9} {row.total:>6} recipients  {when} UTC  {row.text[:50]!r}")


@broadcast_app.command("status")
def broadcast_status(broadcast_id: int) -> None:
    """Queued / sent / failed / unreachable counts of one broadcast."""
    from bot.broadcasts import service

    cli = _cli()
    settings = cli.settings_or_exit()

    async def work(database: Database):  # type: ignore[no-untyped-def]
        async with database.sessions() as session:
            return await service.status(session, broadcast_id)

    result = cli.with_database(settings, work)
    if result is None:
        typer.echo(f"no broadcast #{broadcast_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"#{broadcast_id} {result.broadcast.status}: " + ", ".join(f"{k} {v}" for k, v in result.counts.items()))


@broadcast_app.command("cancel")
def broadcast_cancel(broadcast_id: int) -> None:
    """Withdraw the messages of a broadcast that have not gone out yet."""
    from bot.broadcasts import service

    cli = _cli()
    settings = cli.settings_or_exit()

    async def work(database: Database) -> int:
        async with database.transaction() as session:
            return await service.cancel(session, broadcast_id, actor=Actor.cli("broadcast cancel"))

    withdrawn = cli.with_database(settings, work)
    if withdrawn < 0:
        typer.echo(f"no broadcast #{broadcast_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"#{broadcast_id} cancelled: {withdrawn} unsent messages withdrawn")
