"""The printable certificate: A4 landscape PDF with the text extractable and the fonts embedded.

Uses only per-call objects, so PDFs may be made in threads side by side.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from fpdf import FPDF

from bot.quiz.fonts import _PDF_FONTS, FONT_FILES, _pdf_font_dir
from bot.quiz.layout import _QR, CertificateView, _clean, _layout, _Line, _Poly, _Rect, _Text
from bot.quiz.qr import _qr_png

# --------------------------------------------------------------------------- #
# PDF
# --------------------------------------------------------------------------- #


def _view_text(view: CertificateView) -> str:
    parts = [
        view.holder_name,
        view.ward or "",
        view.tdp or "",
        view.title,
        view.code,
        view.verify_url,
        view.issuer,
        view.issuer.upper(),
        *view.topics,
    ]
    return _clean(" ".join(parts))


def render_pdf(view: CertificateView) -> bytes:
    """A4 landscape certificate as PDF bytes (text extractable, fonts embedded).

    Deterministic: the same view gives the same bytes (creation date is the
    issue date, the file ID is derived from the content).
    """
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    font_dir = _pdf_font_dir(_view_text(view))
    for key, (family, style) in _PDF_FONTS.items():
        pdf.add_font(family, style, font_dir / FONT_FILES[key])

    holder = _clean(view.holder_name)
    pdf.set_title(f"{_clean(view.title)} – {holder}")
    pdf.set_author(_clean(view.issuer))
    pdf.set_subject(f"Mã chứng nhận {_clean(view.code)}")
    pdf.set_creator("Bình dân học vụ số – chat-bot")
    pdf.set_lang("vi")
    pdf.set_creation_date(
        datetime.datetime.combine(
            view.issued_on, datetime.time(0, 0), datetime.timezone(datetime.timedelta(hours=7))
        )
    )
    pdf.add_page()

    state: dict[str, Any] = {"font": None, "tracking": 0.0}

    def use_font(key: str, size: float, tracking: float) -> None:
        if state["font"] != (key, size):
            family, style = _PDF_FONTS[key]
            pdf.set_font(family, style, size)
            state["font"] = (key, size)
        if state["tracking"] != tracking:
            pdf.set_char_spacing(tracking)
            state["tracking"] = tracking

    def measure(key: str, size: float, s: str, tracking: float) -> float:
        use_font(key, size, tracking)
        return pdf.get_string_width(s)

    ops = _layout(view, measure)

    for op in ops:
        if isinstance(op, _Text):
            use_font(op.font, op.size, op.tracking)
            pdf.set_text_color(*op.color)
            pdf.text(op.x, op.y, op.text)
        elif isinstance(op, _Rect):
            style = ""
            if op.fill is not None:
                pdf.set_fill_color(*op.fill)
                style += "F"
            if op.line and op.stroke is not None:
                pdf.set_draw_color(*op.stroke)
                pdf.set_line_width(op.line)
                style = "D" + style
            pdf.rect(op.x, op.y, op.w, op.h, style=style or "D")
        elif isinstance(op, _Line):
            pdf.set_draw_color(*op.color)
            pdf.set_line_width(op.width)
            pdf.line(op.x1, op.y1, op.x2, op.y2)
        elif isinstance(op, _Poly):
            pdf.set_fill_color(*op.fill)
            pdf.polygon(op.points, style="F")
        elif isinstance(op, _QR):
            pdf.image(io.BytesIO(_qr_png(op.data)), x=op.x, y=op.y, w=op.size, h=op.size)
            pdf.link(op.x, op.y, op.size, op.size, op.data)
    return bytes(pdf.output())
