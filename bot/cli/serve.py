"""`bot run` and `bot worker`: the assistant itself, in one process or several."""

from __future__ import annotations

import asyncio
import contextlib

import typer

from bot.cli.common import fail, settings_or_exit
from bot.config import Settings
from bot.logs import setup_logging


def run(
    workers: int = typer.Option(1, min=1, max=32, help="Web/webhook processes sharing the port (N > 1 needs "
                                "PostgreSQL and REDIS_URL)."),
    web_only: bool = typer.Option(False, "--web-only", help="Leave the outbox and the periodic jobs to `bot worker`."),
) -> None:
    """Migrate the database, load reference data and content, start every configured channel and the web chat."""
    settings = settings_or_exit()
    setup_logging()
    _scale_out_or_exit(settings, f"--workers {workers}" if workers > 1 else "--web-only" if web_only else None)
    from bot.app.server import serve
    from bot.db.migrate import upgrade

    upgrade(settings.database_url)
    if workers > 1:
        from bot.app.supervisor import run_workers

        raise typer.Exit(run_workers(settings, workers, web_only=web_only))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings, background=not web_only))


def worker() -> None:
    """Send the outbox (broadcasts, reminders, alerts) and run the periodic jobs; no web server, no polling.

    For `bot run --web-only`; several workers (even on several machines) may run side by side.
    """
    settings = settings_or_exit()
    setup_logging()
    _scale_out_or_exit(settings, "bot worker")
    from bot.app.server import work
    from bot.db.migrate import upgrade

    upgrade(settings.database_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(work(settings))


def _scale_out_or_exit(settings: Settings, what: str | None) -> None:
    """Several processes need PostgreSQL (row locks, SKIP LOCKED) and Redis (shared order and rate limit)."""
    if what is None:
        return
    missing = [name for name, ok in (("DATABASE_URL=postgresql+asyncpg://…", not settings.is_sqlite),
                                     ("REDIS_URL=redis://…", settings.redis_url is not None)) if not ok]
    if missing:
        raise fail(f"{what} runs several processes and needs {' and '.join(missing)} (see docs/deploy.md)", 2)
