"""`bot db upgrade`: apply the migrations (`bot run` does it too)."""

from __future__ import annotations

import typer

from bot.cli.common import settings_or_exit

db_app = typer.Typer(help="Database: migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply database migrations (bot run does this automatically)."""
    settings = settings_or_exit()
    from bot.db.migrate import upgrade

    upgrade(settings.database_url, revision)
    typer.echo("database is up to date")
