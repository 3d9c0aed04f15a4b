"""`bot admin add` and `bot audit`: roles for ward staff, and what staff did."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from bot.cli.common import fail, with_database
from bot.config import Settings
from bot.db.session import Database
from bot.people.audit import Actor

admin_app = typer.Typer(help="Roles: add ward staff and TDP leaders.", no_args_is_help=True)


@admin_app.command("add")
def admin_add(
    who: str = typer.Argument(..., help="channel:id of the person, e.g. telegram:123456 (they must have written to the bot)."),
    role: str = typer.Option("staff", "--role", help="staff, tdp-leader, admin, or learner to remove rights."),
    tdp: str = typer.Option(None, "--tdp", help="For a TDP leader: <ward code>/<TDP number>, e.g. hung-dao/5."),
) -> None:
    """Give a person a staff role (recorded in the audit log)."""
    from bot.people.roles import ROLES, TRUSTED_CHANNELS, grant_role
    from bot.units.reference import tdp_by_ref

    channel, _, external = who.partition(":")
    if channel not in TRUSTED_CHANNELS or not external:
        raise fail("give channel:id with channel telegram or zalo (web-chat ids never carry staff rights)", 2)
    if role not in ROLES:
        raise fail(f"--role must be one of {', '.join(ROLES)}", 2)
    if role == "tdp-leader" and not tdp:
        raise fail("a tdp-leader needs --tdp <ward code>/<number>", 2)

    async def work(_settings: Settings, database: Database) -> str | None:
        async with database.transaction() as session:
            scope = await tdp_by_ref(session, tdp) if tdp else None
            if tdp and scope is None:
                return None
            await grant_role(session, Actor.cli("admin add"), channel, external, role, scope.id if scope else None)
            return f"{who}: {role}" + (f" ({tdp})" if tdp else "")

    message = with_database(work)
    if message is None:
        raise fail(f"no TDP {tdp}")
    typer.echo(message)


def audit(since: str = typer.Option(None, "--since", help="YYYY-MM-DD: only entries from that day on."),
          limit: int = typer.Option(200, help="How many entries at most.")) -> None:
    """Every staff action with who and when: broadcasts, roles, revocations, exports, deletions, refusals."""
    from sqlalchemy import select

    from bot.db.models import AuditEntry
    from bot.text.i18n import format_moment

    start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None

    async def work(_settings: Settings, database: Database) -> list[Any]:
        async with database.sessions() as session:
            query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
            if start is not None:
                query = query.where(AuditEntry.at >= start)
            return list(await session.scalars(query))

    for entry in with_database(work):
        typer.echo(f"{format_moment(entry.at)}  {entry.actor:<24} {entry.via or '':<26} {entry.action:<22} "
                   f"{entry.target or ''}" + (f"  {entry.detail}" if entry.detail else ""))
