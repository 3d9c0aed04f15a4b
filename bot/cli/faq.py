"""`bot faq unanswered`: what residents asked that the FAQ could not answer."""

from __future__ import annotations

from typing import Any

import typer

from bot.cli.common import with_database
from bot.config import Settings
from bot.db.session import Database

faq_app = typer.Typer(help="Questions residents asked.", no_args_is_help=True)


@faq_app.command("unanswered")
def faq_unanswered(limit: int = typer.Option(50, help="How many distinct questions to list.")) -> None:
    """Questions the FAQ could not answer (masked), most asked first: what to add to content/faq/."""
    from sqlalchemy import func, select

    from bot.db.learning import UnansweredQuestion

    async def work(_settings: Settings, database: Database) -> list[Any]:
        async with database.sessions() as session:
            last = func.max(UnansweredQuestion.asked_at)
            return list(await session.execute(
                select(UnansweredQuestion.text, func.count(), last).group_by(UnansweredQuestion.text)
                .order_by(func.count().desc(), last.desc()).limit(limit)))

    rows = with_database(work)
    if not rows:
        typer.echo("no unanswered questions")
    for text, count, last in rows:
        typer.echo(f"{count:>4} × {text}  (last {last:%d/%m/%Y})")
