"""`bot report quarterly|annual|monthly`: export a report to XLSX + chart PNG and print the summary."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Optional, TypeVar

import typer

from bot.config import Settings, load_settings
from bot.db.session import Database
from bot.people.audit import Actor

T = TypeVar("T")

report_app = typer.Typer(help="Progress reports per tổ dân phố (XLSX + chart).", no_args_is_help=True)

YEAR = typer.Option(..., "--year", min=2024, max=2100, help="Year, e.g. 2026.")
WARD = typer.Option(None, "--ward", help="Ward code (data/units.yaml), e.g. hung-dao; all wards when omitted.")
OUT = typer.Option(None, "--out", help="XLSX file to write (default var/reports/<kind>-<period>[-ward].xlsx).")


def run_with_database(work: Callable[[Settings, Database], Awaitable[T]]) -> T:
    """Loads settings, migrates the database, runs `work`, closes the database."""
    from bot.db.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)

    async def main() -> T:
        database = Database(settings.database_url)
        try:
            return await work(settings, database)
        finally:
            await database.dispose()

    return asyncio.run(main())


def _export(kind: str, year: int, quarter: int | None, month: int | None, ward: str | None,
            out: Path | None) -> None:
    from bot.reports.service import DEFAULT_DIR, UnknownWard, build_report

    async def work(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
        target = out.expanduser() if out is not None else None
        return await build_report(
            db, settings, kind, year, quarter, month, ward,
            out_dir=target.parent if target else DEFAULT_DIR,
            filename=target.name if target else None, actor=Actor.cli(f"report {kind}"))

    try:
        files = run_with_database(work)
    except UnknownWard as exc:
        typer.echo(f"error: no ward with code '{exc}' (see data/units.yaml)", err=True)
        raise typer.Exit(1) from None
    typer.echo(files.summary)
    typer.echo(f"XLSX: {files.xlsx}")
    typer.echo(f"PNG:  {files.chart_png}")


@report_app.command()
def quarterly(
    year: int = YEAR,
    quarter: int = typer.Option(..., "--quarter", min=1, max=4, help="Quarter 1–4."),
    ward: Optional[str] = WARD,
    out: Optional[Path] = OUT,
) -> None:
    """Quarterly report (due before the 15th of the quarter's last month)."""
    _export("quarterly", year, quarter, None, ward, out)


@report_app.command()
def annual(year: int = YEAR, ward: Optional[str] = WARD, out: Optional[Path] = OUT) -> None:
    """Annual report (due 25/10 or 05/12 depending on the ward)."""
    _export("annual", year, None, None, ward, out)


@report_app.command()
def monthly(
    year: int = YEAR,
    month: int = typer.Option(..., "--month", min=1, max=12, help="Month 1–12."),
    ward: Optional[str] = WARD,
    out: Optional[Path] = OUT,
) -> None:
    """Monthly % completion."""
    _export("monthly", year, None, month, ward, out)
