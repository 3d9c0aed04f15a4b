"""`bot verify <code>` and `bot certificate revoke`: what the verify page says, from the server."""

from __future__ import annotations

import typer

from bot.cli.common import with_database
from bot.config import Settings
from bot.db.session import Database
from bot.people.audit import Actor

certificate_app = typer.Typer(help="Certificates: revoke.", no_args_is_help=True)


def verify(code: str = typer.Argument(..., help="Certificate code, e.g. ABCD-EFGH-JKMN.")) -> None:
    """Check a certificate: genuine, revoked or not valid (exit code 1 when not valid)."""
    from bot.content.loader import load_content
    from bot.quiz import certificates as certs
    from bot.text.i18n import format_day

    async def work(settings: Settings, database: Database) -> certs.Verification:
        async with database.sessions() as session:
            return await certs.verify(session, settings, code)

    result = with_database(work)
    if result.status == "invalid":
        typer.echo(f"{code}: không hợp lệ (not valid)")
        raise typer.Exit(1)
    if result.certificate is None:  # its holder was deleted: only the fact remains
        day = format_day(result.revoked_at) if result.revoked_at else "?"
        typer.echo(f"{code}: đã thu hồi (revoked) ngày {day}; người nhận đã xóa dữ liệu")
        return
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

    async def work(settings: Settings, database: Database) -> str | None:
        async with database.transaction() as session:
            certificate = await certs.revoke(session, settings, code, reason, actor=Actor.cli("certificate revoke"))
            return certificate.code if certificate else None

    revoked = with_database(work)
    if revoked is None:
        typer.echo(f"{code}: không hợp lệ (not valid)", err=True)
        raise typer.Exit(1)
    typer.echo(f"{revoked}: revoked")
