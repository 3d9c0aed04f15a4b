"""The `bot` command: run the assistant, manage the database and content, staff tasks."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from bot.config import Settings, SettingsError, load_settings
from bot.db.session import Database
from bot.logs import setup_logging
from bot.people import codes
from bot.people.audit import Actor

T = TypeVar("T")

app = typer.Typer(
    help="Trợ lý \"Bình dân học vụ số\": teaches residents basic digital skills on Telegram, Zalo and the web.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database: migrations.", no_args_is_help=True)
content_app = typer.Typer(help="Lessons, quiz banks and FAQ under content/.", no_args_is_help=True)
certificate_app = typer.Typer(help="Certificates: revoke.", no_args_is_help=True)
faq_app = typer.Typer(help="Questions residents asked.", no_args_is_help=True)
mentor_app = typer.Typer(help="Đại sứ số: approve mentors, hand out approval codes.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(certificate_app, name="certificate")
app.add_typer(faq_app, name="faq")
app.add_typer(mentor_app, name="mentor")


def _mount_staff_commands() -> None:
    from bot.cli_staff import admin_app, audit, broadcast_app
    from bot.units.demo import demo_app
    from bot.reports.cli import report_app
    from bot.units.importing import units_app

    app.add_typer(admin_app, name="admin")
    app.add_typer(broadcast_app, name="broadcast")
    app.add_typer(report_app, name="report")
    app.add_typer(units_app, name="units")
    app.add_typer(demo_app, name="demo")
    app.command("audit")(audit)

log = logging.getLogger("bot")


def settings_or_exit() -> Settings:
    """Settings, or one clear line naming the bad setting and exit code 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Runs `work` against the configured database (migrated first), then closes it."""
    from bot.db.migrate import upgrade

    upgrade(settings.database_url)

    async def main() -> T:
        database = Database(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


@app.command()
def run(
    workers: int = typer.Option(1, min=1, max=32, help="Web/webhook processes sharing the port (N > 1 needs "
                                "PostgreSQL and REDIS_URL)."),
    web_only: bool = typer.Option(False, "--web-only", help="Leave the outbox and the periodic jobs to `bot worker`."),
) -> None:
    """Migrate the database, load reference data and content, start every configured channel and the web chat."""
    settings = settings_or_exit()
    setup_logging()
    _scale_out_or_exit(settings, f"--workers {workers}" if workers > 1 else "--web-only" if web_only else None)
    from bot.db.migrate import upgrade
    from bot.app.server import serve

    upgrade(settings.database_url)
    if workers > 1:
        from bot.app.supervisor import run_workers

        raise typer.Exit(run_workers(settings, workers, web_only=web_only))
    try:
        asyncio.run(serve(settings, background=not web_only))
    except KeyboardInterrupt:
        pass


@app.command()
def worker() -> None:
    """Send the outbox (broadcasts, reminders, alerts) and run the periodic jobs; no web server, no polling.

    For `bot run --web-only`; several workers (even on several machines) may run side by side.
    """
    settings = settings_or_exit()
    setup_logging()
    _scale_out_or_exit(settings, "bot worker")
    from bot.db.migrate import upgrade
    from bot.app.server import work

    upgrade(settings.database_url)
    try:
        asyncio.run(work(settings))
    except KeyboardInterrupt:
        pass


def _scale_out_or_exit(settings: Settings, what: str | None) -> None:
    """Several processes need PostgreSQL (row locks, SKIP LOCKED) and Redis (shared order and rate limit)."""
    if what is None:
        return
    missing = [name for name, ok in (("DATABASE_URL=postgresql+asyncpg://…", not settings.is_sqlite),
                                     ("REDIS_URL=redis://…", settings.redis_url is not None)) if not ok]
    if missing:
        typer.echo(f"error: {what} runs several processes and needs {' and '.join(missing)} "
                   "(see docs/deploy.md)", err=True)
        raise typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply database migrations (bot run does this automatically)."""
    settings = settings_or_exit()
    from bot.db.migrate import upgrade

    upgrade(settings.database_url, revision)
    typer.echo("database is up to date")


@content_app.command("check")
def content_check(
    pass_mark: int = typer.Option(80, min=1, max=100, envvar="QUIZ_PASS_MARK",
                                  help="Quiz pass mark in percent the blind-guessing check uses (QUIZ_PASS_MARK)."),
) -> None:
    """Validate every content file (schema, ids, sources, URLs, diacritics, quiz answers, screen fit, blind guessing); print a table per topic."""
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


@app.command()
def verify(code: str = typer.Argument(..., help="Certificate code, e.g. ABCD-EFGH-JKMN.")) -> None:
    """Check a certificate: genuine, revoked or not valid (exit code 1 when not valid)."""
    from bot.core.i18n import format_day
    from bot.content.loader import load_content
    from bot.quiz import certificates as certs

    settings = settings_or_exit()

    async def work(database: Database):  # type: ignore[no-untyped-def]
        async with database.sessions() as session:
            return await certs.verify(session, settings, code)

    result = with_database(settings, work)
    if result.certificate is None:
        typer.echo(f"{code}: không hợp lệ (not valid)")
        raise typer.Exit(1)
    certificate = result.certificate
    status = "đã thu hồi (revoked)" if result.status == "revoked" else "thật (genuine)"
    topics = ", ".join(certs.topic_titles(load_content(), certificate))
    typer.echo(f"{certificate.code}: {status}\n  người nhận: {certs.masked_name(certificate.holder_name)}\n"
               f"  chủ đề: {topics}\n  ngày cấp: {format_day(certificate.issued_at)}")
    if certificate.revoke_reason:
        typer.echo(f"  lý do thu hồi: {certificate.revoke_reason}")


@certificate_app.command("revoke")
def certificate_revoke(
    code: str = typer.Argument(..., help="Certificate code."),
    reason: str = typer.Option(..., "--reason", help="Why it is revoked (kept in the audit log)."),
) -> None:
    """Revoke a certificate; the verify page then shows it as "đã thu hồi"."""
    from bot.quiz import certificates as certs

    settings = settings_or_exit()

    async def work(database: Database):  # type: ignore[no-untyped-def]
        async with database.transaction() as session:
            certificate = await certs.revoke(session, settings, code, reason, actor=Actor.cli("certificate revoke"))
            return certificate.code if certificate else None

    revoked = with_database(settings, work)
    if revoked is None:
        typer.echo(f"{code}: không hợp lệ (not valid)", err=True)
        raise typer.Exit(1)
    typer.echo(f"{revoked}: revoked")


@faq_app.command("unanswered")
def faq_unanswered(limit: int = typer.Option(50, help="How many distinct questions to list.")) -> None:
    """Questions the FAQ could not answer (masked), most asked first: what to add to content/faq/."""
    from sqlalchemy import func, select

    from bot.db.learning import UnansweredQuestion

    settings = settings_or_exit()

    async def work(database: Database):  # type: ignore[no-untyped-def]
        async with database.sessions() as session:
            return list(await session.execute(
                select(UnansweredQuestion.text, func.count(), func.max(UnansweredQuestion.asked_at))
                .group_by(UnansweredQuestion.text).order_by(func.count().desc(), func.max(UnansweredQuestion.asked_at).desc())
                .limit(limit)))

    rows = with_database(settings, work)
    if not rows:
        typer.echo("no unanswered questions")
    for text, count, last in rows:
        typer.echo(f"{count:>4} × {text}  (last {last:%d/%m/%Y})")


def _decide_mentor(mentor_id: int, approve: bool) -> None:
    from bot.db.network import Mentor
    from bot.network import mentors as net

    settings = settings_or_exit()

    async def work(database: Database) -> str | None:
        async with database.transaction() as session:
            mentor = await session.get(Mentor, mentor_id)
            if mentor is None:
                return None
            await net.decide(session, mentor, approve, Actor.cli("mentor approve" if approve else "mentor reject"))
            return mentor.full_name

    name = with_database(settings, work)
    if name is None:
        typer.echo(f"no mentor application #{mentor_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{name}: {'approved' if approve else 'rejected'}")


@mentor_app.command("approve")
def mentor_approve(mentor_id: int = typer.Argument(..., help="Application number (bot mentor list).")) -> None:
    """Approve a mentor application; the person is told and sees the Đại sứ số menu."""
    _decide_mentor(mentor_id, True)


@mentor_app.command("reject")
def mentor_reject(mentor_id: int = typer.Argument(..., help="Application number.")) -> None:
    """Reject a mentor application."""
    _decide_mentor(mentor_id, False)


@mentor_app.command("list")
def mentor_list(pending: bool = typer.Option(False, "--pending", help="Only applications waiting.")) -> None:
    """Mentor applications and mentors, with their organisation and status."""
    from sqlalchemy import select

    from bot.db.network import Mentor

    settings = settings_or_exit()

    async def work(database: Database) -> list:
        async with database.sessions() as session:
            query = select(Mentor).order_by(Mentor.id)
            if pending:
                query = query.where(Mentor.status == "pending")
            return list(await session.scalars(query))

    for mentor in with_database(settings, work):
        typer.echo(f"#{mentor.id:<5} {mentor.status:<9} {mentor.organisation:<16} {mentor.full_name}")


@mentor_app.command("code")
def mentor_code() -> None:
    """A one-time code: whoever types it under "Nhập mã" becomes an approved mentor at once."""
    from bot.network import mentors as net

    settings = settings_or_exit()

    async def work(database: Database) -> str:
        async with database.transaction() as session:
            return await net.new_approval_code(session, Actor.cli("mentor code"))

    typer.echo(codes.shown(with_database(settings, work)))


_mount_staff_commands()


def main() -> None:
    try:
        app()
    except SettingsError as exc:  # settings read lazily by a subcommand
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
