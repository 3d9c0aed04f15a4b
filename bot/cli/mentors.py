"""`bot mentor …`: the Đại sứ số applications, decided from the server."""

from __future__ import annotations

from typing import Any

import typer

from bot.cli.common import with_database
from bot.config import Settings
from bot.db.session import Database
from bot.people.audit import Actor

mentor_app = typer.Typer(help="Đại sứ số: approve mentors, hand out approval codes.", no_args_is_help=True)


def _decide(mentor_id: int, approve: bool) -> None:
    from bot.db.network import Mentor
    from bot.network import mentors as net

    async def work(_settings: Settings, database: Database) -> str | None:
        async with database.transaction() as session:
            mentor = await session.get(Mentor, mentor_id)
            if mentor is None:
                return None
            await net.decide(session, mentor, approve, Actor.cli("mentor approve" if approve else "mentor reject"))
            return mentor.full_name

    name = with_database(work)
    if name is None:
        typer.echo(f"no mentor application #{mentor_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{name}: {'approved' if approve else 'rejected'}")


@mentor_app.command("approve")
def mentor_approve(mentor_id: int = typer.Argument(..., help="Application number (bot mentor list).")) -> None:
    """Approve a mentor application; the person is told and sees the Đại sứ số menu."""
    _decide(mentor_id, True)


@mentor_app.command("reject")
def mentor_reject(mentor_id: int = typer.Argument(..., help="Application number.")) -> None:
    """Reject a mentor application."""
    _decide(mentor_id, False)


@mentor_app.command("list")
def mentor_list(pending: bool = typer.Option(False, "--pending", help="Only applications waiting.")) -> None:
    """Mentor applications and mentors, with their organisation and status."""
    from sqlalchemy import select

    from bot.db.network import Mentor

    async def work(_settings: Settings, database: Database) -> list[Any]:
        async with database.sessions() as session:
            query = select(Mentor).order_by(Mentor.id)
            if pending:
                query = query.where(Mentor.status == "pending")
            return list(await session.scalars(query))

    for mentor in with_database(work):
        typer.echo(f"#{mentor.id:<5} {mentor.status:<9} {mentor.organisation:<16} {mentor.full_name}")


@mentor_app.command("code")
def mentor_code() -> None:
    """A one-time code: whoever types it under "Nhập mã" becomes an approved mentor at once."""
    from bot.network import mentors as net
    from bot.people import codes

    async def work(_settings: Settings, database: Database) -> str:
        async with database.transaction() as session:
            return await net.new_approval_code(session, Actor.cli("mentor code"))

    typer.echo(codes.shown(with_database(work)))
