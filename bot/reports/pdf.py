"""The report as a PDF to print or send on: the period, the chat summary, the chart and one line per
TDP (the figures of the XLSX's main sheet), in the bundled DejaVu fonts, which cover Vietnamese."""

from __future__ import annotations

from pathlib import Path

from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.fonts import FontFace

from bot.quiz.fonts import FONT_DIR, FONT_FILES
from bot.reports.figures import TdpRow
from bot.reports.periods import Period

HEADINGS = ("Tổ dân phố", "Người trưởng thành", "Đã đăng ký", "Có chứng nhận", "Tỉ lệ", "VNeID mức 2",
            "Đại sứ số", "Hộ Gia đình số")


def _n(value: int) -> str:
    return format_decimal(value, locale="vi_VN")


def _line(row: TdpRow) -> tuple[str, ...]:
    share = row.certified_percent
    return (row.tdp_name + (" *" if row.is_example else ""), _n(row.adult_population), _n(row.registered),
            _n(row.certified), "–" if share is None else format_decimal(share, format="#,##0.0", locale="vi_VN") + "%",
            _n(row.vneid_active), _n(row.mentors), _n(row.digital_households))


def write_report_pdf(rows: list[TdpRow], total: TdpRow, period: Period, summary: str, chart_png: Path,
                     path: Path) -> None:
    """Writes `path`: A4 landscape, the heading and summary, the chart, then the table (over pages)."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font("DejaVuSans", "", FONT_DIR / FONT_FILES["sans"])
    pdf.add_font("DejaVuSans", "B", FONT_DIR / FONT_FILES["sans-b"])
    pdf.set_title(f"Báo cáo {period.label}")
    pdf.set_creator("Bình dân học vụ số – chat-bot")
    pdf.set_lang("vi")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("DejaVuSans", "B", 16)
    pdf.cell(0, 10, f"Báo cáo phổ cập kỹ năng số – {period.label}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVuSans", "", 10)
    pdf.multi_cell(0, 5, summary, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.image(str(chart_png), w=min(250.0, pdf.epw))
    pdf.ln(4)
    pdf.set_font("DejaVuSans", "", 9)
    with pdf.table(headings_style=FontFace(emphasis="BOLD"), col_widths=(60, 28, 24, 26, 18, 24, 22, 28),
                   text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
                   repeat_headings=1) as table:
        table.row(HEADINGS)
        for row in [*rows, total]:
            table.row(_line(row))
    if total.is_example:
        pdf.ln(2)
        pdf.cell(0, 5, "* Tổ dùng dân số mẫu.")
    path.write_bytes(bytes(pdf.output()))
