"""`bot units import <file.csv>` and `bot demo seed|clear`: a ward's real TDP list, or a demo ward."""

from __future__ import annotations

import time
from dataclasses import fields
from pathlib import Path
from typing import Optional

import typer

from bot.cli.common import fail, with_database
from bot.config import Settings
from bot.db.session import Database
from bot.people.audit import Actor, record
from bot.units.importing import COLUMNS, ImportResult, UnitsCsvError, import_units, read_units_csv

units_app = typer.Typer(help="Wards and tổ dân phố: import the real list.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data: a realistic ward (removable again).", no_args_is_help=True)


@units_app.callback()
def _units() -> None:
    """Wards and tổ dân phố (keeps `units` a command group even with one command)."""


@units_app.command("import")
def import_command(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: " + ",".join(COLUMNS))) -> None:
    """Create or update wards and TDPs from a CSV (all rows or none)."""
    try:
        units = read_units_csv(file)
    except UnitsCsvError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {file.name}: {problem}", err=True)
        typer.echo("nothing imported", err=True)
        raise typer.Exit(1) from None

    async def work(_settings: Settings, db: Database) -> ImportResult:
        async with db.transaction() as session:
            result = await import_units(session, units)
            record(session, Actor.cli("units import"), "units.import", target=file.name[-160:],
                   detail=f"{result.tdps_created} created, {result.tdps_updated} updated")
            return result

    result = with_database(work)
    typer.echo(f"wards: {result.wards_created} created, {result.wards_updated} updated; "
               f"TDPs: {result.tdps_created} created, {result.tdps_updated} updated")
    if result.examples_left:
        typer.echo(f"note: {result.examples_left} example TDP(s) of these wards were not in the file and keep "
                   "their example figures")


@demo_app.command("seed")
def seed_command(
    residents: int = typer.Option(2000, "--residents", min=1, max=1_000_000, help="How many demo residents."),
    ward: Optional[str] = typer.Option(None, "--ward", help="Ward code (default: the first ward)."),
    seed_value: Optional[int] = typer.Option(None, "--seed", help="Random seed, for the same data again."),
) -> None:
    """Fill a ward with demo residents, progress, certificates, Đại sứ số, help sessions and households."""
    from bot.units.demo import DemoError, seed

    started = time.perf_counter()
    try:
        result = with_database(lambda settings, db: seed(db, settings, residents, ward, seed_value))
    except DemoError as exc:
        raise fail(str(exc)) from None
    typer.echo(", ".join(f"{f.name.replace('_', ' ')}: {getattr(result, f.name)}" for f in fields(result))
               + f" ({time.perf_counter() - started:.1f} s)")


@demo_app.command("clear")
def clear_command(ward: Optional[str] = typer.Option(None, "--ward", help="Only this ward's demo data.")) -> None:
    """Remove the demo residents and everything attached to them (real residents are never touched)."""
    from bot.units.demo import DemoError, clear

    try:
        removed = with_database(lambda _settings, db: clear(db, ward))
    except DemoError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"removed {removed} demo residents")
