"""`bot report quarterly|annual|monthly`: a report to XLSX + chart PNG, and its summary printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from bot.cli.common import fail, with_database
from bot.config import Settings
from bot.db.session import Database
from bot.people.audit import Actor

report_app = typer.Typer(help="Progress reports per tổ dân phố (XLSX + chart).", no_args_is_help=True)

YEAR = typer.Option(..., "--year", min=2024, max=2100, help="Year, e.g. 2026.")
WARD = typer.Option(None, "--ward", help="Ward code (data/units.yaml), e.g. hung-dao; all wards when omitted.")
OUT = typer.Option(None, "--out", help="XLSX file to write (default var/reports/<kind>-<period>[-ward].xlsx).")


def _export(kind: str, year: int, quarter: int | None, month: int | None, ward: str | None,
            out: Path | None) -> None:
    from bot.reports.service import DEFAULT_DIR, UnknownWard, build_report

    async def work(settings: Settings, db: Database) -> Any:
        target = out.expanduser() if out is not None else None
        return await build_report(
            db, settings, kind, year, quarter, month, ward,
            out_dir=target.parent if target else DEFAULT_DIR,
            filename=target.name if target else None, actor=Actor.cli(f"report {kind}"))

    try:
        files = with_database(work)
    except UnknownWard as exc:
        raise fail(f"no ward with code '{exc}' (see data/units.yaml)") from None
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
