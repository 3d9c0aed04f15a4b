"""The certificate's layout, shared by the PDF and the PNG: what it says and where each element goes.

``_layout(view, measure)`` places every element in millimetres on a 297 x 210 mm page, using a
text-measuring function supplied by the backend (fpdf2's own metrics for the PDF, FreeType's for
the PNG), so centred and shrink-to-fit text is exact in each output; the backends
(`bot.quiz.pdf`, `bot.quiz.png`) then only draw the resolved operations. All text is
NFC-normalised first, so names typed with combining accents still render as single glyphs and
stay searchable in the PDF. Pure: no font, no image library.
"""

from __future__ import annotations

import datetime
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_ISSUER = "Phong trào “Bình dân học vụ số”"
DEFAULT_PLACE = "Hải Phòng"
TOPIC_TITLE = "Chứng nhận hoàn thành chủ đề"
OVERALL_TITLE = "Chứng nhận hoàn thành phổ cập kỹ năng số cơ bản"

PAGE_W, PAGE_H = 297.0, 210.0  # mm, A4 landscape
PNG_SIZE = (1200, 848)  # same aspect ratio as A4 (297:210)
_PX_PER_MM = PNG_SIZE[0] / PAGE_W
_MM_PER_PT = 25.4 / 72

# Palette: deep red and gold on warm paper, names in navy.
PAPER = (255, 252, 243)
RED = (140, 28, 28)
GOLD = (184, 138, 30)
NAVY = (22, 46, 99)
INK = (35, 35, 35)
GREY = (95, 95, 95)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)

Color = tuple[int, int, int]


# --------------------------------------------------------------------------- #
# Public data and helpers
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class CertificateView:
    """Everything printed on one certificate (already looked up / formatted)."""

    holder_name: str
    ward: str | None
    tdp: str | None
    title: str  # e.g. TOPIC_TITLE or OVERALL_TITLE
    topics: list[str]
    issued_on: datetime.date
    code: str
    verify_url: str
    issuer: str = DEFAULT_ISSUER


def vietnamese_date(d: datetime.date, place: str | None = DEFAULT_PLACE) -> str:
    """``"Hải Phòng, ngày 23 tháng 11 năm 2026"``.

    Follows the administrative convention (Nghị định 30/2020/NĐ-CP): days below
    10 and the months 1 and 2 get a leading zero ("ngày 05 tháng 02 năm 2026").
    ``place=None`` omits the place name.
    """
    day = f"{d.day:02d}" if d.day < 10 else str(d.day)
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    text = f"ngày {day} tháng {month} năm {d.year}"
    return f"{place}, {text}" if place else text


_TDP_PREFIXES = ("tổ dân phố", "tổ ", "khu phố", "khu ", "thôn", "xóm", "ấp", "bản", "tdp")
_WARD_PREFIXES = ("phường", "xã", "đặc khu", "thị trấn")


def location_line(tdp: str | None, ward: str | None) -> str:
    """``"Tổ dân phố số 5, phường Hưng Đạo"``; missing parts are skipped.

    Adds "Tổ dân phố" / "phường" only when the value does not already start
    with a unit word (so "Tổ dân phố số 5", "5", "Thôn Đông", "xã An Lão" all
    read naturally).
    """
    parts = []
    tdp = _clean(tdp or "")
    ward = _clean(ward or "")
    if tdp:
        low = tdp.lower()
        parts.append(tdp if low.startswith(_TDP_PREFIXES) else f"Tổ dân phố {tdp}")
    if ward:
        low = ward.lower()
        if low.startswith(_WARD_PREFIXES):
            # Lower-case the unit word after a comma, as in running text.
            ward = ward[0].lower() + ward[1:] if parts else ward[0].upper() + ward[1:]
            parts.append(ward)
        else:
            parts.append(f"phường {ward}" if parts else f"Phường {ward}")
    return ", ".join(parts)


def _clean(text: str) -> str:
    """NFC + collapsed whitespace (names typed on phones are often NFD)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


# --------------------------------------------------------------------------- #
# Layout (backend-independent, millimetres, text placed by baseline)
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Text:
    x: float  # left edge of the first glyph's advance box
    y: float  # baseline
    text: str
    font: str
    size: float  # points
    color: Color
    tracking: float = 0.0  # extra space after each glyph, points


@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    w: float
    h: float
    line: float  # line width mm (0 = no stroke)
    stroke: Color | None = None
    fill: Color | None = None


@dataclass(frozen=True)
class _Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    color: Color


@dataclass(frozen=True)
class _Poly:
    points: tuple[tuple[float, float], ...]
    fill: Color


@dataclass(frozen=True)
class _QR:
    x: float
    y: float
    size: float
    data: str


# measure(font_key, size_pt, text, tracking_pt) -> width in mm
Measure = Callable[[str, float, str, float], float]

QR_SIZE = 36.0
QR_X = PAGE_W - 25.0 - QR_SIZE
QR_Y = 149.0
CODE_BOX_W = 80.0


def _diamond(cx: float, cy: float, r: float, color: Color) -> _Poly:
    return _Poly(((cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)), color)


def _layout(view: CertificateView, measure: Measure) -> list[object]:
    ops: list[object] = []
    cx = PAGE_W / 2

    def text(
        x: float,
        y: float,
        s: str,
        font: str,
        size: float,
        color: Color,
        *,
        align: str = "C",
        max_w: float | None = None,
        tracking: float = 0.0,
    ) -> float:
        """Place one line; shrink the size until it fits max_w. Returns width."""
        s = _clean(s)
        if not s:
            return 0.0
        w = measure(font, size, s, tracking)
        if max_w is not None and w > max_w:
            for _ in range(4):  # width is ~linear in size; converge in a step or two
                size *= max_w / w * 0.995
                w = measure(font, size, s, tracking)
                if w <= max_w:
                    break
        left = {"C": x - w / 2, "L": x, "R": x - w}[align]
        ops.append(_Text(left, y, s, font, size, color, tracking))
        return w

    # -- paper and decorative double border --------------------------------
    ops.append(_Rect(0, 0, PAGE_W, PAGE_H, 0, fill=PAPER))
    ops.append(_Rect(7, 7, PAGE_W - 14, PAGE_H - 14, 1.6, stroke=RED))
    ops.append(_Rect(10.5, 10.5, PAGE_W - 21, PAGE_H - 21, 0.45, stroke=GOLD))
    ops.append(_Rect(12, 12, PAGE_W - 24, PAGE_H - 24, 0.2, stroke=GOLD))
    for x, y in ((12, 12), (PAGE_W - 12, 12), (12, PAGE_H - 12), (PAGE_W - 12, PAGE_H - 12)):
        ops.append(_diamond(x, y, 3.2, GOLD))
        ops.append(_diamond(x, y, 1.3, RED))

    # -- heading ---------------------------------------------------------------
    issuer = _clean(view.issuer)
    text(cx, 25, issuer.upper(), "sans-b", 11, RED, max_w=230, tracking=1.2)
    text(cx, 46, "CHỨNG NHẬN", "serif-b", 38, RED, tracking=3)
    # ornament under the heading: line - diamond - line
    ops.append(_Line(cx - 48, 52, cx - 5, 52, 0.4, GOLD))
    ops.append(_Line(cx + 5, 52, cx + 48, 52, 0.4, GOLD))
    ops.append(_diamond(cx, 52, 2.2, GOLD))
    text(cx, 63, view.title, "serif", 17, INK, max_w=235)

    # -- recipient + topics: one block, centred vertically between the title
    # and the bottom row, so short certificates do not leave a hole ----------
    topics = [t for t in (_clean(t) for t in view.topics) if t]
    n = len(topics)
    cols = 1 if n <= 4 else 2
    rows = math.ceil(n / cols)
    line_h = min(7.4, 30.0 / rows) if rows else 0.0
    loc = location_line(view.tdp, view.ward)
    height = 4 + 15 + (10 if loc else 0) + (12 + 8.5 + (rows - 1) * line_h if n else 0) + 2
    top, bottom = 67.0, 151.0
    y = top + max(0.0, (bottom - top - height) / 2) + 4
    text(cx, y, "Trao cho", "sans", 11, GREY)
    y += 15
    text(cx, y, view.holder_name, "serif-b", 30, NAVY, max_w=235)
    if loc:
        y += 10
        text(cx, y, loc, "sans", 12.5, INK, max_w=235)
    y += 12

    # -- topics --------------------------------------------------------------------
    if n:
        label = "Đã hoàn thành chủ đề:" if n == 1 else "Đã hoàn thành các chủ đề:"
        text(cx, y, label, "sans", 10.5, GREY)
        y += 8.5
        size = 13.5 if rows <= 4 else max(9.5, 13.5 * line_h / 7.4)
        col_max = 200.0 if cols == 1 else 112.0
        check_w = measure("sans-b", size, "✓", 0) + 2.2
        widths = [min(measure("serif", size, t, 0), col_max) for t in topics]
        col_gap = 10.0
        col_w = [
            check_w + max(widths[c * rows : (c + 1) * rows] or [0]) for c in range(cols)
        ]
        total = sum(col_w) + col_gap * (cols - 1)
        x0 = cx - total / 2
        for c in range(cols):
            for r in range(rows):
                i = c * rows + r
                if i >= n:
                    break
                ty = y + r * line_h
                text(x0, ty, "✓", "sans-b", size, RED, align="L")
                text(x0 + check_w, ty, topics[i], "serif", size, INK, align="L", max_w=col_max)
            x0 += col_w[c] + col_gap

    # -- bottom: date + issuer (left), code (centre), QR (right) ----------------
    left_cx = 62.0
    text(left_cx, 166, vietnamese_date(view.issued_on), "serif", 11, INK, max_w=80)
    text(left_cx, 173, issuer, "sans-b", 9.5, RED, max_w=80)

    code = _clean(view.code).upper()
    text(cx, 157.5, "MÃ CHỨNG NHẬN", "sans", 8.5, GREY, tracking=1.5)
    ops.append(_Rect(cx - CODE_BOX_W / 2, 160.5, CODE_BOX_W, 14, 0.35, stroke=GOLD, fill=WHITE))
    # Wide letters (M, W) make some codes longer: tighten the letter spacing
    # before shrinking the size.
    code_max = CODE_BOX_W - 8
    tracking = 2.6
    if code:
        excess = measure("sans-b", 18, code, tracking) - code_max
        if excess > 0:
            per_gap_pt = excess / max(len(code) - 1, 1) / _MM_PER_PT
            tracking = max(0.8, tracking - per_gap_pt)
    text(cx, 170.1, code, "sans-b", 18, NAVY, tracking=tracking, max_w=code_max)

    ops.append(_QR(QR_X, QR_Y, QR_SIZE, view.verify_url))
    verify = f"Kiểm tra tại: {view.verify_url}"
    text(cx, 189, verify, "sans", 9, GREY, max_w=2 * (QR_X - cx) - 12)
    return ops


# --------------------------------------------------------------------------- #
# Fonts
# --------------------------------------------------------------------------- #
