"""The `bot` command: run the assistant, manage the database and content, staff tasks.

One module per command group; `main` (the console script) is here.
"""

from __future__ import annotations

import sys

import typer

from bot.cli.broadcasts import broadcast_app
from bot.cli.certificates import certificate_app, verify
from bot.cli.content import content_app
from bot.cli.database import db_app
from bot.cli.faq import faq_app
from bot.cli.mentors import mentor_app
from bot.cli.privacy import privacy_app
from bot.cli.reports import report_app
from bot.cli.serve import run, worker
from bot.cli.staff import admin_app, audit
from bot.cli.units import demo_app, units_app
from bot.config import SettingsError

app = typer.Typer(
    help="Trợ lý \"Bình dân học vụ số\": teaches residents basic digital skills on Telegram, Zalo and the web.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for command in (run, worker, verify, audit):
    app.command()(command)
for name, group in (("db", db_app), ("content", content_app), ("certificate", certificate_app), ("faq", faq_app),
                    ("mentor", mentor_app), ("admin", admin_app), ("broadcast", broadcast_app),
                    ("report", report_app), ("units", units_app), ("demo", demo_app), ("privacy", privacy_app)):
    app.add_typer(group, name=name)
app.add_typer(certificate_app, name="certificates", hidden=True)  # `bot certificates revoke` works too


def main() -> None:
    try:
        app()
    except SettingsError as exc:  # settings read lazily by a subcommand
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
