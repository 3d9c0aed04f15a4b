"""`bot privacy export PERSON` and `bot privacy delete PERSON`: staff answering a written request.

PERSON is an account as the ward knows it: `telegram:123456789`, `zalo:…`,
`web:…` or `user:42` (the number `bot privacy export` prints). Both commands are
audited under the command's name; `delete` asks for confirmation unless `--yes`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import fail, with_database
from bot.config import FILES_DIR, Settings
from bot.db.models import User
from bot.db.session import Database
from bot.people.audit import Actor, record

privacy_app = typer.Typer(help="A person's data: a copy of it, or deleting it, at their written request.",
                          no_args_is_help=True)


async def find_person(session: AsyncSession, person: str) -> User | None:
    """The primary account of `telegram:123`, `web:…` or `user:42` (a linked account gives its person)."""
    channel, _, external = person.partition(":")
    if not external:
        return None
    if channel == "user":
        user = await session.get(User, int(external)) if external.isdecimal() else None
    else:
        user = await session.scalar(select(User).where(User.channel == channel, User.external_id == external))
    if user is not None and user.merged_into_id is not None:
        user = await session.get(User, user.merged_into_id)
    return user


@privacy_app.command("export")
def export_person(
    person: str = typer.Argument(..., help="telegram:<id>, zalo:<id>, web:<id> or user:<number>."),
    out: Path = typer.Option(Path("."), "--out", help="Folder to write the copy (HTML and JSON) into."),
) -> None:
    """Write a copy of everything held about PERSON (a readable page and JSON)."""
    from bot.privacy import export

    async def work(_settings: Settings, database: Database) -> tuple[Path, Path] | None:
        async with database.transaction() as session:
            user = await find_person(session, person)
            if user is None:
                return None
            sections = await export.collect(session, user)
            page, data = export.write_copy(sections, out, datetime.now(UTC))
            record(session, Actor.cli("privacy export"), "data.export", target=f"user#{user.id}",
                   detail=f"{sum(len(s.rows) for s in sections)} rows")
            return page.path, data.path

    written = with_database(work)
    if written is None:
        raise fail(f"no such person: {person}")
    typer.echo(f"{written[0]}\n{written[1]}")


@privacy_app.command("delete")
def delete_person(
    person: str = typer.Argument(..., help="telegram:<id>, zalo:<id>, web:<id> or user:<number>."),
    reason: str = typer.Option("written request", "--reason", help="Kept in the audit log (no personal data)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete PERSON everywhere: every linked account, their files, their counters; the audit keeps the fact."""
    from bot.core.limits import Counter, LocalCounter
    from bot.privacy.erase import erase_person

    if not yes:
        typer.confirm(f"Delete {person} and everything about them? This cannot be undone", abort=True)

    async def work(settings: Settings, database: Database) -> dict[str, int] | None:
        async with database.transaction() as session:
            user = await find_person(session, person)
            if user is None:
                return None
            erasure = await erase_person(session, user, Actor.cli("privacy delete"), reason[:200])
        counter: Counter = LocalCounter()
        link = None
        if settings.redis_url:
            from bot.scale.counter import SharedCounter
            from bot.scale.link import RedisLink

            link = RedisLink(settings.redis_url, settings.redis_prefix)
            counter = SharedCounter(link)
        try:
            await erasure.finish(files_dir=FILES_DIR, signing_key=settings.signing_key, counter=counter, db=database)
        finally:
            if link is not None:
                await link.close()
        return erasure.counts

    counts = with_database(work)
    if counts is None:
        raise fail(f"no such person: {person}")
    typer.echo("deleted: " + ", ".join(f"{name} {n}" for name, n in counts.items() if n))
