"""Certificate rendering: a printable PDF (A4 landscape) and a chat-friendly PNG from one layout.

What a certificate says and where each element goes is `bot.quiz.layout`; `bot.quiz.fonts` holds
the fonts, `bot.quiz.pdf` and `bot.quiz.png` draw. The drawing libraries (fpdf2, fontTools, Pillow)
are imported only when a certificate is actually drawn, so a bot that has not made one does not
carry them in memory.
"""

from __future__ import annotations

import datetime

from bot.quiz.layout import (
    DEFAULT_ISSUER,
    DEFAULT_PLACE,
    OVERALL_TITLE,
    PNG_SIZE,
    TOPIC_TITLE,
    CertificateView,
    location_line,
    vietnamese_date,
)

__all__ = [
    "DEFAULT_ISSUER",
    "DEFAULT_PLACE",
    "OVERALL_TITLE",
    "PNG_SIZE",
    "TOPIC_TITLE",
    "CertificateView",
    "location_line",
    "render_pdf",
    "render_png",
    "vietnamese_date",
    "warm_up",
]


def render_pdf(view: CertificateView) -> bytes:
    """A4 landscape certificate as PDF bytes (see `bot.quiz.pdf`)."""
    from bot.quiz import pdf

    return pdf.render_pdf(view)


def render_png(view: CertificateView) -> bytes:
    """The same certificate as a 1200x848 PNG for chat apps (see `bot.quiz.png`)."""
    from bot.quiz import png

    return png.render_png(view)


def warm_up() -> None:
    """Do the one-off work (font subsetting, font loading) ahead of the first
    certificate, e.g. at bot start-up; otherwise the first render pays ~0.4 s."""
    from bot.quiz import fonts, png

    fonts._subset_fonts()
    png._png_palette()
    sample = CertificateView(
        holder_name="Nguyễn Văn A",
        ward="Hưng Đạo",
        tdp="1",
        title=OVERALL_TITLE,
        topics=["VNeID"],
        issued_on=datetime.date(2026, 1, 1),
        code="ABCD-EFGH-JKMN",
        verify_url="https://example.invalid/verify/ABCD-EFGH-JKMN",
    )
    render_pdf(sample)
    render_png(sample)
