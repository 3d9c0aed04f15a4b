"""The report workbook staff send upward: a summary page with a native chart, and one row per TDP.

Values are written as numbers (percentages as fractions with a % format), so
the ward office can re-sort, filter and re-total them in Excel or LibreOffice.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports.figures import TdpRow, report_topics
from bot.reports.periods import Period
from bot.text.i18n import WARD_TZ, format_day, format_short_day

SUMMARY, DETAIL = "Tổng hợp", "Theo tổ dân phố"
CORE_TOPICS = ("vneid", "dichvucong", "thanhtoan", "antoan")
EXAMPLE_MARK = " (ví dụ)"
NAVY, PALE, TOTAL_FILL = "1F4E78", "DDEBF7", "FFF2CC"
THIN = Side(style="thin", color="8EA9C1")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = "Arial"  # on every cell: Excel has it, LibreOffice maps it to Liberation Sans
HEAD_FONT = Font(name=FONT, size=10, bold=True, color="FFFFFF")
BODY_FONT, BOLD_FONT = Font(name=FONT, size=10), Font(name=FONT, size=10, bold=True)
HEAD_FILL = PatternFill("solid", fgColor=NAVY)
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
COUNT, PERCENT = "#,##0", "0.0%"


def title_of(period: Period) -> str:
    return f"Báo cáo kết quả Phong trào “Bình dân học vụ số” – {period.label}"


def _wards(rows: Sequence[TdpRow]) -> str:
    names = list(dict.fromkeys(r.ward_name for r in rows))
    return ("phường " + ", ".join(names)) if names else "(chưa có tổ dân phố)"


def _columns(topics: Sequence[tuple[str, str]], many_wards: bool, mentor_target: int) -> list[tuple[str, str, float, str]]:
    """(group header, header, width, number format) of each column of the TDP sheet."""
    cols: list[tuple[str, str, float, str]] = [("", "STT", 5, "0")]
    if many_wards:
        cols.append(("", "Phường", 14, "@"))
    cols += [("", "Tổ dân phố", 24, "@"), ("", "Người trưởng thành", 11, COUNT), ("", "Số hộ gia đình", 9, COUNT),
             ("", "Người dân đã đăng ký", 11, COUNT), ("", "Hoạt động trong kỳ", 10, COUNT)]
    cols += [("Bài học hoàn thành trong kỳ", title, 8, COUNT) for _, title in topics]
    cols += [("Chứng nhận theo chủ đề (lũy kế)", title, 8, COUNT) for _, title in topics]
    cols += [("Chứng nhận toàn phần", "Số người", 10, COUNT), ("Chứng nhận toàn phần", "Tỷ lệ", 8, PERCENT),
             ("Chứng nhận toàn phần", "Mục tiêu", 8, "0%"), ("", "Đã kích hoạt VNeID (tự khai)", 11, COUNT),
             ("Đại sứ số", "Đã duyệt", 9, COUNT), ("Đại sứ số", f"Kèm ≥ {mentor_target} người", 10, COUNT),
             ("Đại sứ số", "Người đang được kèm", 10, COUNT), ("Đại sứ số", "Buổi hướng dẫn trong kỳ", 10, COUNT),
             ("", "Hộ “Gia đình số”", 10, COUNT),
             ("Kiểm tra tin nhắn lạ trong kỳ", "Số tin", 9, COUNT), ("Kiểm tra tin nhắn lạ trong kỳ", "Nguy hiểm", 9, COUNT),
             ("Nhắc học trong kỳ", "Đã gửi", 9, COUNT), ("Nhắc học trong kỳ", "Được trả lời", 9, COUNT)]
    return cols


def _values(index: int | None, row: TdpRow, topics: Sequence[tuple[str, str]], many_wards: bool) -> list[object]:
    name = row.tdp_name + (EXAMPLE_MARK if row.is_example and row.tdp_id is not None else "")
    percent = row.certified_percent
    values: list[object] = [index]
    if many_wards:
        values.append(row.ward_name if row.tdp_id is not None else "")
    values += [name, row.adult_population, row.households, row.registered, row.active]
    values += [row.lessons_completed.get(t, 0) for t, _ in topics]
    values += [row.certificates.get(t, 0) for t, _ in topics]
    values += [row.certified, None if percent is None else percent / 100,
               None if row.target_percent is None else row.target_percent / 100, row.vneid_active,
               row.mentors, row.mentors_at_target, row.active_mentees, row.help_sessions, row.digital_households,
               row.scam_checks, row.scam_dangerous, row.nudges, row.nudges_answered]
    return values


def _print_setup(ws: Worksheet, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "Trang &P/&N"
    if title_rows:
        ws.print_title_rows = title_rows


def _detail_sheet(ws: Worksheet, rows: Sequence[TdpRow], total: TdpRow, period: Period,
                  topics: Sequence[tuple[str, str]], mentor_target: int) -> tuple[int, int, int, int]:
    """Writes the per-TDP table; returns (first data row, last data row, name column, percent column)."""
    many = len({r.ward_code for r in rows}) > 1
    cols = _columns(topics, many, mentor_target)
    ws["A1"] = f"Kết quả theo tổ dân phố – {period.label} – {_wards(rows)}"
    ws["A1"].font = Font(name=FONT, bold=True, size=13, color=NAVY)
    for number, (group, header, width, _) in enumerate(cols, start=1):
        letter = get_column_letter(number)
        ws.column_dimensions[letter].width = width
        top, bottom = ws.cell(3, number), ws.cell(4, number)
        top.value, bottom.value = (group, header) if group else (header, None)
        for cell in (top, bottom):
            cell.font, cell.fill, cell.alignment, cell.border = HEAD_FONT, HEAD_FILL, WRAP_CENTER, BOX
        if not group:
            ws.merge_cells(start_row=3, start_column=number, end_row=4, end_column=number)
    start = 1
    for number in range(2, len(cols) + 2):  # merge each run of one group header
        if number > len(cols) or cols[number - 1][0] != cols[start - 1][0] or not cols[number - 1][0]:
            if cols[start - 1][0] and number - 1 > start:
                ws.merge_cells(start_row=3, start_column=start, end_row=3, end_column=number - 1)
            start = number
    ws.row_dimensions[3].height, ws.row_dimensions[4].height = 22, 48
    first = 5
    for offset, row in enumerate([*rows, total]):
        is_total = row is total
        values = _values(None if is_total else offset + 1, row, topics, many)
        for number, ((_, _, _, fmt), value) in enumerate(zip(cols, values), start=1):
            cell = _text_safe(ws.cell(first + offset, number), value)
            cell.border, cell.number_format, cell.font = BOX, fmt, BOLD_FONT if is_total else BODY_FONT
            if number == 1:
                cell.alignment = Alignment(horizontal="center")
            if is_total:
                cell.fill = PatternFill("solid", fgColor=TOTAL_FILL)
            elif offset % 2:
                cell.fill = PatternFill("solid", fgColor="F3F8FC")
    last = first + len(rows) - 1
    name_col = 3 if many else 2
    percent_col = next(i for i, c in enumerate(cols, start=1) if c[3] == PERCENT)
    if any(r.is_example for r in rows):
        note = ws.cell(last + 3, 1, f"{EXAMPLE_MARK.strip()}: số người trưởng thành và số hộ của tổ này là số liệu "
                                    "mẫu, cần thay bằng số liệu thật (lệnh: bot units import).")
        note.font = Font(name=FONT, size=9, italic=True, color="7F7F7F")
    ws.freeze_panes = ws.cell(first, name_col + 1)
    _print_setup(ws, "3:4")
    return first, last, name_col, percent_col


KEY_FIGURES: list[tuple[str, str, str]] = [
    ("Số tổ dân phố", "tdps", COUNT),
    ("Người trưởng thành (từ 16 tuổi)", "adult_population", COUNT),
    ("Số hộ gia đình", "households", COUNT),
    ("Người dân đã đăng ký học", "registered", COUNT),
    ("Người học hoạt động trong kỳ", "active", COUNT),
    ("Lượt hoàn thành bài học trong kỳ", "lessons_total", COUNT),
    ("Người đã có chứng nhận toàn phần", "certified", COUNT),
    ("Tỷ lệ người trưởng thành có chứng nhận", "percent", PERCENT),
    ("Mục tiêu năm", "target", "0%"),
    ("Đã kích hoạt VNeID (tự khai)", "vneid_active", COUNT),
    ("Đại sứ số đã duyệt", "mentors", COUNT),
    ("Đại sứ số kèm đủ chỉ tiêu", "mentors_at_target", COUNT),
    ("Người đang được Đại sứ số kèm", "active_mentees", COUNT),
    ("Buổi hướng dẫn trong kỳ", "help_sessions", COUNT),
    ("Hộ “Gia đình số”", "digital_households", COUNT),
]


def _key_value(total: TdpRow, key: str, tdps: int) -> object:
    if key == "tdps":
        return tdps
    if key == "percent":
        return None if total.certified_percent is None else total.certified_percent / 100
    if key == "target":
        return None if total.target_percent is None else total.target_percent / 100
    return getattr(total, key)


def _text_safe(cell: Cell, value: object) -> Cell:
    """Sets `value`; text is always stored as text, so a typed name starting with "=", "+", "-" or "@"
    is never read by a spreadsheet as a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _small_table(ws: Worksheet, top: int, heads: Sequence[str], body: list[list[tuple[object, str]]],
                 bold: Collection[int] = ()) -> int:
    """A bordered table at column A with a header row; returns the first row below it."""
    for number, head in enumerate(heads, start=1):
        cell = ws.cell(top, number, head)
        cell.font, cell.fill, cell.alignment, cell.border = HEAD_FONT, HEAD_FILL, WRAP_CENTER, BOX
    ws.row_dimensions[top].height = 28
    for offset, values in enumerate(body, start=1):
        for number, (value, fmt) in enumerate(values, start=1):
            cell = _text_safe(ws.cell(top + offset, number), value)
            cell.number_format, cell.border = fmt, BOX
            cell.font = BOLD_FONT if offset - 1 in bold else BODY_FONT
            if offset - 1 in bold:
                cell.fill = PatternFill("solid", fgColor=PALE)
    return top + len(body) + 2


def _summary_sheet(ws: Worksheet, rows: Sequence[TdpRow], total: TdpRow, period: Period, generated_on: date,
                   detail: Worksheet, span: tuple[int, int, int, int], mentor_target: int,
                   topics: Sequence[tuple[str, str]]) -> None:
    ws["A1"] = title_of(period)
    ws["A1"].font = Font(name=FONT, bold=True, size=15, color=NAVY)
    lines = [f"Đơn vị: {_wards(rows)}",
             f"Kỳ báo cáo: {period.label} (từ {format_short_day(period.first_day)} đến {format_short_day(period.last_day)})",
             f"Ngày lập báo cáo: {format_day(generated_on)}"]
    if generated_on <= period.last_day:
        lines[-1] += " (kỳ chưa kết thúc: số liệu tính đến ngày lập)"
    for number, line in enumerate(lines, start=2):
        ws.cell(number, 1, line).font = Font(name=FONT, size=11, italic=number == 4)
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = ws.column_dimensions["C"].width = 13
    figures = [(label.replace("đủ chỉ tiêu", f"≥ {mentor_target} người"), _key_value(total, key, len(rows)), fmt)
               for label, key, fmt in KEY_FIGURES]
    row = _small_table(ws, 6, ("Chỉ tiêu", "Kết quả"), [[(label, "@"), (value, fmt)] for label, value, fmt in figures],
                       bold={6, 7})
    row = _small_table(ws, row + 1, ("Chủ đề", "Chứng nhận (lũy kế)", "Bài học xong trong kỳ"),
                       [[(title, "@"), (total.certificates.get(t, 0), COUNT), (total.lessons_completed.get(t, 0), COUNT)]
                        for t, title in topics])
    notes = [f"“Chứng nhận toàn phần”: đã đạt cả {len(CORE_TOPICS)} chủ đề cơ bản; tỷ lệ tính trên số người trưởng "
             "thành của tổ."]
    if total.is_example:
        notes.append("Có tổ dân phố dùng số liệu dân số mẫu (ví dụ): xem trang “Theo tổ dân phố”.")
    for number, text in enumerate(notes, start=row):
        ws.merge_cells(start_row=number, start_column=1, end_row=number, end_column=3)
        cell = ws.cell(number, 1, text)
        cell.font = Font(name=FONT, italic=True, size=9, color="595959")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[number].height = 26
    first, last, name_col, percent_col = span
    if last >= first:
        top = max([1.0, *((r.certified_percent or 0) / 100 for r in rows)])
        ws.add_chart(_chart(detail, first, last, name_col, percent_col, len(rows), top), "E6")
    _print_setup(ws)


def _chart(detail: Worksheet, first: int, last: int, name_col: int, percent_col: int, count: int,
           top: float) -> BarChart:
    """Horizontal "bullet" bars: the target as a pale bar behind each TDP's % certified."""
    bars = BarChart()
    bars.type, bars.grouping, bars.overlap, bars.gapWidth = "bar", "clustered", 100, 40
    bars.title = "Tỷ lệ có chứng nhận theo tổ dân phố"
    for column, label, colour in ((percent_col + 1, "Mục tiêu", "D9D9D9"), (percent_col, "Đã có chứng nhận", "2E75B6")):
        bars.add_data(Reference(detail, min_col=column, min_row=first, max_row=last))
        series = bars.series[-1]
        series.tx = SeriesLabel(v=label)
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.noFill = True
    shown = bars.series[-1]
    shown.dLbls = DataLabelList()
    shown.dLbls.showVal, shown.dLbls.position, shown.dLbls.numFmt = True, "outEnd", "0.0%"
    for flag in ("showSerName", "showCatName", "showLegendKey", "showPercent"):
        setattr(shown.dLbls, flag, False)
    bars.set_categories(Reference(detail, min_col=name_col, min_row=first, max_row=last))
    bars.x_axis.scaling.orientation = "maxMin"  # first TDP on top, as in the table
    bars.y_axis.crosses = "max"  # keeps the % axis at the bottom
    bars.y_axis.number_format, bars.y_axis.scaling.min, bars.y_axis.scaling.max = "0%", 0, top
    bars.x_axis.delete = bars.y_axis.delete = False
    bars.legend.position = "b"
    bars.width, bars.height = 17.5, min(200.0, 3.5 + 0.65 * count)
    return bars


def write_report(rows: Sequence[TdpRow], totals: TdpRow, period: Period, path: Path, *,
                 topics: Sequence[tuple[str, str]] | None = None, generated_on: date | None = None,
                 mentor_target: int = 5) -> Path:
    """Writes the workbook to `path` (parents created) and returns it."""
    topics = list(topics) if topics is not None else report_topics()
    generated_on = generated_on or datetime.now(WARD_TZ).date()
    book = Workbook()
    summary = book.active
    summary.title = SUMMARY
    detail = book.create_sheet(DETAIL)
    span = _detail_sheet(detail, rows, totals, period, topics, mentor_target)
    _summary_sheet(summary, rows, totals, period, generated_on, detail, span, mentor_target, topics)
    book.properties.title, book.properties.creator = title_of(period), "Trợ lý Bình dân học vụ số"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
