"""What every `bot` command shares: settings or one clear line, and one database for the command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from bot.config import Settings, SettingsError, load_settings
from bot.db.session import Database

T = TypeVar("T")


def settings_or_exit() -> Settings:
    """Settings, or one clear line naming the bad setting and exit code 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def with_database(work: Callable[[Settings, Database], Awaitable[T]], settings: Settings | None = None) -> T:
    """Runs `work` once, in one event loop, against the configured database (migrated first), then closes it."""
    from bot.db.migrate import upgrade

    settings = settings or settings_or_exit()
    upgrade(settings.database_url)

    async def main() -> T:
        database = Database(settings.database_url)
        try:
            return await work(settings, database)
        finally:
            await database.dispose()

    return asyncio.run(main())


def fail(message: str, code: int = 1) -> typer.Exit:
    """Prints `error: message` and gives the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)
