"""Issuing, rendering, verifying and revoking certificates."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.loader import Content
from bot.core.messages import Attachment
from bot.db.learning import Certificate, RevokedCertificate
from bot.db.models import Tdp, User, Ward
from bot.people.audit import Actor, record
from bot.people.codes import digest as code_digest
from bot.quiz import attempts, codes
from bot.quiz.render import OVERALL_TITLE, TOPIC_TITLE, CertificateView, render_pdf, render_png

OVERALL = "all"
Status = Literal["genuine", "revoked", "invalid"]


@dataclass(frozen=True)
class Verification:
    status: Status
    certificate: Certificate | None = None
    revoked_at: datetime | None = None
    """When it was revoked; also for a certificate whose holder was deleted (no `certificate` then)."""


def topic_titles(content: Content, certificate: Certificate) -> list[str]:
    return [topic.title if (topic := content.topic(t)) else t for t in certificate.topics]


async def _unit_names(session: AsyncSession, user: User) -> tuple[str | None, str | None]:
    ward = await session.get(Ward, user.ward_id) if user.ward_id else None
    tdp = await session.get(Tdp, user.tdp_id) if user.tdp_id else None
    return (ward.name if ward else None), (tdp.name if tdp else None)


async def _issue(session: AsyncSession, settings: Settings, user: User, topic_id: str, topics: list[str]) -> Certificate:
    ward, tdp = await _unit_names(session, user)
    while True:
        code = codes.new_code(settings.signing_key)
        if await session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            break
    certificate = Certificate(code=code, user_id=user.id, topic_id=topic_id, holder_name=user.display_name or "",
                              ward_name=ward, tdp_name=tdp, topics=topics)
    session.add(certificate)
    await session.flush()
    return certificate


async def certificates_of(session: AsyncSession, user_id: int) -> list[Certificate]:
    rows = await session.scalars(
        select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.issued_at, Certificate.id))
    return list(rows)


def _earned(owned: set[str], topic_id: str, core: list[str]) -> list[str]:
    """The certificates a measured pass of `topic_id` earns, given those already `owned`: the topic's
    (once), then the overall one when every core topic is held."""
    earned = [] if topic_id in owned else [topic_id]
    if OVERALL not in owned and all(t in owned or t in earned for t in core):
        earned.append(OVERALL)
    return earned


async def would_issue(session: AsyncSession, content: Content, user: User, topic_id: str) -> bool:
    """Whether `issue_for_pass` would issue anything now (so the name to print is confirmed first)."""
    if not await attempts.measured_pass(session, user.id, topic_id):
        return False
    owned = {c.topic_id for c in await certificates_of(session, user.id)}
    return bool(_earned(owned, topic_id, [t.id for t in content.core_topics]))


async def issue_for_pass(
    session: AsyncSession, settings: Settings, content: Content, user: User, topic_id: str
) -> list[Certificate]:
    """Certificates newly earned by passing `topic_id`: the topic's (once) and the overall one
    when every core topic is now passed. A second pass issues nothing new, and nothing is issued
    without a measured pass of the topic's quiz (`attempts.measured_pass`)."""
    if not await attempts.measured_pass(session, user.id, topic_id):
        return []
    owned = {c.topic_id for c in await certificates_of(session, user.id)}
    core = [t.id for t in content.core_topics]
    new: list[Certificate] = []
    for earned in _earned(owned, topic_id, core):
        new.append(await _issue(session, settings, user, earned, core if earned == OVERALL else [earned]))
    return new


def view_of(certificate: Certificate, content: Content, settings: Settings) -> CertificateView:
    return CertificateView(
        holder_name=certificate.holder_name,
        ward=certificate.ward_name,
        tdp=certificate.tdp_name,
        title=OVERALL_TITLE if certificate.topic_id == OVERALL else TOPIC_TITLE,
        topics=topic_titles(content, certificate),
        issued_on=certificate.issued_at.date(),
        code=certificate.code,
        verify_url=verify_url(settings, certificate.code),
    )


def verify_url(settings: Settings, code: str) -> str:
    base = settings.public_base_url or f"http://{settings.web_host}:{settings.web_port}"
    return f"{base}/verify/{code}"


async def render_files(view: CertificateView, folder: Path) -> tuple[Attachment, Attachment]:
    """PDF and PNG in the holder's own folder (`bot.people.folders`: its name cannot be guessed),
    drawn the first time they are asked for and again only if missing: a certificate never changes."""
    pdf_path, png_path = folder / f"cert-{view.code}.pdf", folder / f"cert-{view.code}.png"
    if not (pdf_path.is_file() and png_path.is_file()):
        pdf, png = await asyncio.to_thread(lambda: (render_pdf(view), render_png(view)))
        folder.mkdir(parents=True, exist_ok=True)
        pdf_path.write_bytes(pdf)
        png_path.write_bytes(png)
    filename = f"chung-nhan-{view.code}"
    return (Attachment(pdf_path, f"{filename}.pdf", "application/pdf"),
            Attachment(png_path, f"{filename}.png", "image/png"))


async def verify(session: AsyncSession, settings: Settings, text: str) -> Verification:
    """Genuine, revoked or not valid: the signature first (typos, forgeries), then the register."""
    code = codes.normalize(text)
    if code is None or not codes.is_well_signed(code, settings.signing_key):
        return Verification("invalid")
    certificate = await session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        gone = await session.get(RevokedCertificate, code_digest(code))
        return Verification("revoked", revoked_at=gone.revoked_at) if gone else Verification("invalid")
    return Verification("revoked" if certificate.revoked_at else "genuine", certificate, certificate.revoked_at)


async def revoke(session: AsyncSession, settings: Settings, text: str, reason: str, actor: Actor) -> Certificate | None:
    result = await verify(session, settings, text)
    if result.certificate is None:
        return None
    certificate = result.certificate
    if certificate.revoked_at is None:
        certificate.revoked_at = datetime.now(UTC)
        certificate.revoke_reason = reason
        record(session, actor, "certificate.revoke", target=certificate.code, detail=reason)
    return certificate


def masked_name(name: str) -> str:
    """'Nguyễn Thị Hồng Nhung' → 'Nguyễn T. H. N.': enough to match a paper, too little to copy."""
    words = name.split()
    if len(words) <= 1:
        return (words[0][0] + "***") if words else "***"
    return " ".join([words[0], *(w[0] + "." for w in words[1:])])
