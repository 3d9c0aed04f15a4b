"""The `bot` command: run the assistant, manage the database and content, staff tasks."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from bot.config import Settings, SettingsError, load_settings
from bot.logs import setup_logging

T = TypeVar("T")

app = typer.Typer(
    help="Trợ lý \"Bình dân học vụ số\": teaches residents basic digital skills on Telegram, Zalo and the web.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

log = logging.getLogger("bot")


def settings_or_exit() -> Settings:
    """Settings, or one clear line naming the bad setting and exit code 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(make())  # type: ignore[arg-type]


@app.command()
def run(
    workers: int = typer.Option(1, min=1, max=32, help="Web/webhook processes (scale-out needs PostgreSQL)."),
) -> None:
    """Migrate the database, load reference data and content, start every configured channel and the web chat."""
    settings = settings_or_exit()
    setup_logging()
    from bot.db.migrate import upgrade
    from bot.server import serve

    upgrade(settings.database_url)
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply database migrations (bot run does this automatically)."""
    settings = settings_or_exit()
    from bot.db.migrate import upgrade

    upgrade(settings.database_url, revision)
    typer.echo("database is up to date")


def main() -> None:
    try:
        app()
    except SettingsError as exc:  # settings read lazily by a subcommand
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
