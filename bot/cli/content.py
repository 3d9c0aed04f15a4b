"""`bot content check`: every content file validated, and a table per topic."""

from __future__ import annotations

import typer

content_app = typer.Typer(help="Lessons, quiz banks and FAQ under content/.", no_args_is_help=True)


@content_app.command("check")
def content_check(
    pass_mark: int = typer.Option(80, min=1, max=100, envvar="QUIZ_PASS_MARK",
                                  help="Quiz pass mark in percent the blind-guessing check uses (QUIZ_PASS_MARK)."),
) -> None:
    """Validate every content file (schema, ids, sources, URLs, diacritics, quiz answers, screen fit, blind guessing).

    Prints a table per topic; exits non-zero on any problem."""
    from bot.content.check import check, find_warnings, render_table, topic_stats

    content, problems = check(pass_mark=pass_mark)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if content is not None:
        for warning in find_warnings(content):
            typer.echo(f"warning: {warning}", err=True)
        typer.echo(render_table(topic_stats(content, pass_mark), len(content.faq)))
    if problems:
        typer.echo(f"{len(problems)} problem(s) found", err=True)
        raise typer.Exit(1)
    typer.echo("content is valid")
