"""One call that produces a report: the figures, the workbook, the chart image and a chat summary.

The CLI and the staff chat both go through `build_report`, so a report looks
the same whoever asks for it, and every export leaves an audit row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from babel.numbers import format_decimal
from sqlalchemy import select

from bot.config import PROJECT_ROOT, Settings
from bot.db.models import Ward
from bot.db.session import Database
from bot.people.audit import Actor, record
from bot.reports.chart import render_chart_png
from bot.reports.figures import TdpRow, report_topics, tdp_figures, totals
from bot.reports.pdf import write_report_pdf
from bot.reports.periods import Period
from bot.reports.xlsx import write_report

SUMMARY_LIMIT = 600
DEFAULT_DIR = PROJECT_ROOT / "var" / "reports"


@dataclass(frozen=True)
class ReportFiles:
    xlsx: Path
    chart_png: Path
    summary: str
    pdf: Path | None = None


class UnknownWard(ValueError):
    """The ward code names no ward in the database."""


def default_name(period: Period, ward_code: str | None) -> str:
    """'quarterly-2026-q4-hung-dao.xlsx'."""
    return f"{period.kind}-{period.slug}{'-' + ward_code if ward_code else ''}.xlsx"


def _n(value: int) -> str:
    return format_decimal(value, locale="vi_VN")


def _pct(value: float) -> str:
    return format_decimal(value, format="#,##0.0", locale="vi_VN") + "%"


def summary_text(rows: list[TdpRow], total: TdpRow, period: Period, mentor_target: int = 5) -> str:
    """A few plain Vietnamese sentences for chat (at most 600 characters)."""
    wards = ", ".join(dict.fromkeys(r.ward_name for r in rows))
    head = f"{period.label}, phường {wards}" if wards else period.label
    if not rows:
        return f"{head}: chưa có tổ dân phố nào trong danh sách."
    parts = []
    if total.certified_percent is not None:
        parts.append(f"{head}: {_n(total.certified)}/{_n(total.adult_population)} người trưởng thành đã có chứng "
                     f"nhận ({_pct(total.certified_percent)})"
                     + (f", mục tiêu {total.target_percent}%." if total.target_percent else "."))
    else:
        parts.append(f"{head}: {_n(total.certified)} người đã có chứng nhận (chưa có số người trưởng thành).")
    parts.append(f"Đã đăng ký {_n(total.registered)} người, {_n(total.active)} người học trong kỳ, "
                 f"{_n(total.lessons_total)} lượt hoàn thành bài học.")
    parts.append(f"Đại sứ số: {_n(total.mentors)} người ({_n(total.mentors_at_target)} người kèm từ {mentor_target} "
                 f"người trở lên), đang kèm {_n(total.active_mentees)} người, {_n(total.help_sessions)} buổi hướng dẫn.")
    parts.append(f"Hộ “Gia đình số”: {_n(total.digital_households)}.")
    ranked = sorted((r for r in rows if r.certified_percent is not None), key=lambda r: r.certified_percent or 0)
    many = len({r.ward_code for r in rows}) > 1

    def name(row: TdpRow) -> str:
        return f"{row.tdp_name} ({row.ward_name})" if many else row.tdp_name

    if len(ranked) >= 2 and (ranked[-1].certified_percent or 0) > (ranked[0].certified_percent or 0):
        low, high = ranked[0], ranked[-1]
        parts.append(f"Cao nhất: {name(high)} – {_pct(high.certified_percent or 0)}; "
                     f"thấp nhất: {name(low)} – {_pct(low.certified_percent or 0)}.")
    if total.is_example:
        parts.append("Lưu ý: có tổ dùng dân số mẫu.")
    text = ""
    for part in parts:  # whole sentences only
        if len(text) + len(part) + 1 > SUMMARY_LIMIT:
            break
        text = f"{text} {part}".strip()
    return text


def _audit_target(path: Path) -> str:
    try:
        shown = str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        shown = str(path)
    return shown if len(shown) <= 160 else "…" + shown[-159:]


async def build_report(
    db: Database, settings: Settings, kind: str, year: int, quarter: int | None = None, month: int | None = None,
    ward_code: str | None = None, *, out_dir: Path = DEFAULT_DIR, filename: str | None = None,
    actor: Actor | None = None, pdf: bool = False,
) -> ReportFiles:
    """Computes the figures and writes `<out_dir>/<filename>` (.xlsx) and the chart PNG next to it
    (and, with `pdf`, the same report as a PDF).

    With `actor`, an audit entry "report.export" records who exported what.
    Raises ValueError for a bad period and UnknownWard for an unknown ward code.
    """
    period = Period.of(kind, year, quarter, month)
    async with db.sessions() as session:
        if ward_code is not None and await session.scalar(select(Ward.id).where(Ward.code == ward_code)) is None:
            raise UnknownWard(ward_code)
        rows = await tdp_figures(session, period, ward_code, settings.mentor_target)
    total = totals(rows)
    xlsx_path = Path(out_dir) / (filename or default_name(period, ward_code))
    png_path = xlsx_path.with_suffix(".png")
    pdf_path = xlsx_path.with_suffix(".pdf") if pdf else None
    summary = summary_text(rows, total, period, settings.mentor_target)

    def render() -> None:  # CPU work off the event loop: the bot keeps answering meanwhile
        write_report(rows, total, period, xlsx_path, topics=report_topics(), mentor_target=settings.mentor_target)
        png_path.write_bytes(render_chart_png(rows, period))
        if pdf_path is not None:
            write_report_pdf(rows, total, period, summary, png_path, pdf_path)

    await asyncio.to_thread(render)
    if actor is not None:
        async with db.transaction() as session:
            record(session, actor, "report.export", target=_audit_target(xlsx_path),
                   detail=f"{period.label}; ward={ward_code or 'all'}; png={png_path.name}"
                   + (f"; pdf={pdf_path.name}" if pdf_path else ""))
    return ReportFiles(xlsx_path, png_path, summary, pdf_path)
