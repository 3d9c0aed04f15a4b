"""Certificate rendering: a printable PDF (A4 landscape) and a chat-friendly PNG.

Both outputs share one layout.  ``_layout(view, measure)`` places every element
in millimetres on a 297 x 210 mm page, using a text-measuring function supplied
by the backend (fpdf2's own metrics for the PDF, FreeType's for the PNG), so
centred and shrink-to-fit text is exact in each output.  The backends then only
draw the resolved operations.

Fonts are the DejaVu TTFs shipped in ``bot/assets/fonts`` (they cover every
Vietnamese precomposed letter).  All text is NFC-normalised first, so names
typed with combining accents still render as single glyphs and stay
searchable/extractable in the PDF.

Speed (2-core machine): with the full DejaVu files, fontTools parsing and
subsetting dominate fpdf2's cost (~130 ms per PDF).  So the four fonts are
subset *once per process* (~0.3 s, see warm_up) to Latin + Vietnamese +
punctuation and written to a private temporary folder; each PDF then embeds a
subset of those small fonts (~50 ms per PDF).  The PNG uses cached Pillow fonts
and a fixed palette (~13 ms).  ``python bench/certificates.py`` measures it.

Threads: render_pdf uses only per-call objects; render_png serialises its use
of the shared FreeType font objects with a lock.
"""

from __future__ import annotations

import atexit
import datetime
import io
import math
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import segno
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "CertificateView",
    "DEFAULT_ISSUER",
    "DEFAULT_PLACE",
    "OVERALL_TITLE",
    "PNG_SIZE",
    "TOPIC_TITLE",
    "location_line",
    "render_pdf",
    "render_png",
    "vietnamese_date",
    "warm_up",
]

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT_FILES = {
    "sans": "DejaVuSans.ttf",
    "sans-b": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-b": "DejaVuSerif-Bold.ttf",
}
# fpdf2 family/style for each font key.
_PDF_FONTS = {
    "sans": ("DejaVuSans", ""),
    "sans-b": ("DejaVuSans", "B"),
    "serif": ("DejaVuSerif", ""),
    "serif-b": ("DejaVuSerif", "B"),
}

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

# What a certificate is expected to contain: ASCII, Latin-1 + Latin Extended-A
# (also covers minority-language letters such as ŏ ĭ ŭ), Ơ ơ Ư ư, combining
# marks, the Vietnamese block of Latin Extended Additional, general
# punctuation (“ ” – — …) and a few symbols.  A view with any other character
# is rendered with the full font files instead (see _pdf_font_dir).
_SUBSET_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x17F),
    (0x1A0, 0x1A1),  # Ơ ơ
    (0x1AF, 0x1B0),  # Ư ư
    (0x300, 0x36F),
    (0x1EA0, 0x1EFF),
    (0x2010, 0x2027),
    (0x2030, 0x203A),
    (0x20AB, 0x20AB),  # ₫
    (0x2116, 0x2116),  # №
    (0x2713, 0x2714),  # ✓ ✔
)
_SUBSET_CODEPOINTS = frozenset(
    cp for lo, hi in _SUBSET_RANGES for cp in range(lo, hi + 1)
)

_subset_lock = threading.Lock()
_subset_dir: Path | None = None


def _subset_fonts() -> Path:
    """Subset the four fonts once per process (about 0.3 s); returns their folder.

    Falls back to the full fonts if subsetting fails.  Rebuilt if the temporary
    folder vanished (e.g. a /tmp cleaner on a long-running bot).
    """
    global _subset_dir
    with _subset_lock:
        if _subset_dir is not None and (
            _subset_dir == FONT_DIR
            or all((_subset_dir / name).is_file() for name in FONT_FILES.values())
        ):
            return _subset_dir
        try:
            from fontTools import subset as ftsubset
            from fontTools.ttLib import TTFont

            tmp = Path(tempfile.mkdtemp(prefix="cert-fonts-"))
            atexit.register(shutil.rmtree, tmp, True)
            for name in FONT_FILES.values():
                font = TTFont(FONT_DIR / name, recalcTimestamp=False)
                opts = ftsubset.Options(notdef_outline=True, recommended_glyphs=True)
                # fpdf2 does no shaping/kerning unless asked: drop layout tables.
                opts.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "hdmx"]
                # Keep glyph names in 'post': otherwise fontTools re-derives
                # them from the cmap every time fpdf2 opens the font.
                opts.glyph_names = True
                sub = ftsubset.Subsetter(opts)
                cmap = font.getBestCmap()
                sub.populate(unicodes=[cp for cp in _SUBSET_CODEPOINTS if cp in cmap])
                sub.subset(font)
                font.save(tmp / name)
            _subset_dir = tmp
        except Exception:  # pragma: no cover - fall back to the full fonts
            _subset_dir = FONT_DIR
        return _subset_dir


def warm_up() -> None:
    """Do the one-off work (font subsetting, font loading) ahead of the first
    certificate, e.g. at bot start-up; otherwise the first render pays ~0.4 s."""
    _subset_fonts()
    _png_palette()
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


def _pdf_font_dir(view_text: str) -> Path:
    """Pre-subset fonts when they cover the text, else the full files."""
    if all(ord(ch) in _SUBSET_CODEPOINTS for ch in view_text):
        return _subset_fonts()
    return FONT_DIR


@lru_cache(maxsize=128)
def _pil_font(key: str, size_px: float) -> ImageFont.FreeTypeFont:
    # BASIC layout: precomposed Vietnamese glyphs need no shaping (text is NFC),
    # and it is faster and identical whether or not libraqm is installed.
    return ImageFont.truetype(
        str(FONT_DIR / FONT_FILES[key]), size_px, layout_engine=ImageFont.Layout.BASIC
    )


def _pt_to_px(size_pt: float) -> float:
    # Round to 1/4 px so the font cache stays small.
    return round(size_pt * _MM_PER_PT * _PX_PER_MM * 4) / 4


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


QR_BORDER = 2  # quiet zone in modules (white), inside the QR square


@lru_cache(maxsize=64)
def _qr(data: str) -> segno.QRCode:
    """QR symbol for a URL; cached so PDF and PNG of one certificate share it."""
    return segno.make(data, error="m", micro=False)


@lru_cache(maxsize=64)
def _qr_png(data: str) -> bytes:
    buf = io.BytesIO()
    _qr(data).save(buf, kind="png", scale=4, border=QR_BORDER, dark="black", light="white")
    return buf.getvalue()


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

    state = {"font": None, "tracking": 0.0}

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


# --------------------------------------------------------------------------- #
# PNG
# --------------------------------------------------------------------------- #


def _px(mm: float) -> float:
    return mm * _PX_PER_MM


def render_png(view: CertificateView) -> bytes:
    """The same certificate as a 1200x848 PNG for chat apps (palette PNG)."""
    with _png_lock:
        return _render_png(view)


_png_lock = threading.Lock()  # the cached FreeType faces are shared state


def _render_png(view: CertificateView) -> bytes:
    img = Image.new("RGB", PNG_SIZE, PAPER)
    draw = ImageDraw.Draw(img)

    def measure(key: str, size: float, s: str, tracking: float) -> float:
        font = _pil_font(key, _pt_to_px(size))
        w = font.getlength(s) + _px(tracking * _MM_PER_PT) * max(len(s) - 1, 0)
        return w / _PX_PER_MM

    for op in _layout(view, measure):
        if isinstance(op, _Text):
            font = _pil_font(op.font, _pt_to_px(op.size))
            x, y = _px(op.x), _px(op.y)
            if op.tracking:
                step = _px(op.tracking * _MM_PER_PT)
                for ch in op.text:
                    draw.text((x, y), ch, font=font, fill=op.color, anchor="ls")
                    x += font.getlength(ch) + step
            else:
                draw.text((x, y), op.text, font=font, fill=op.color, anchor="ls")
        elif isinstance(op, _Rect):
            box = [_px(op.x), _px(op.y), _px(op.x + op.w), _px(op.y + op.h)]
            width = max(1, round(_px(op.line))) if op.line and op.stroke else 0
            if width:
                # PDF strokes are centred on the path; PIL draws inside the box.
                half = width / 2
                box = [box[0] - half, box[1] - half, box[2] + half, box[3] + half]
            draw.rectangle(
                box,
                fill=op.fill,
                outline=op.stroke if width else None,
                width=width,
            )
        elif isinstance(op, _Line):
            draw.line(
                [_px(op.x1), _px(op.y1), _px(op.x2), _px(op.y2)],
                fill=op.color,
                width=max(1, round(_px(op.width))),
            )
        elif isinstance(op, _Poly):
            draw.polygon([(_px(x), _px(y)) for x, y in op.points], fill=op.fill)
        elif isinstance(op, _QR):
            _draw_qr(draw, op)

    # Palette PNG: every pixel is a design colour, or an anti-aliasing blend of
    # one with the paper/white, so a fixed palette of those blends looks the
    # same as RGB at a third of the size -- and mapping to a fixed palette is
    # ~8x faster than computing an adaptive one.
    img = img.quantize(palette=_png_palette(), dither=Image.Dither.NONE)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


@lru_cache(maxsize=1)
def _png_palette() -> Image.Image:
    colors: list[Color] = []
    steps = 16
    for bg in (PAPER, WHITE):
        for fg in (RED, GOLD, NAVY, INK, GREY, BLACK):
            for i in range(steps + 1):
                t = i / steps
                c = tuple(round(b + (f - b) * t) for f, b in zip(fg, bg))
                if c not in colors:
                    colors.append(c)  # type: ignore[arg-type]
    for i in range(1, 8):  # red diamonds on gold ones
        t = i / 8
        c = tuple(round(b + (f - b) * t) for f, b in zip(RED, GOLD))
        if c not in colors:
            colors.append(c)  # type: ignore[arg-type]
    assert len(colors) <= 256
    pal = Image.new("P", (1, 1))
    flat = [v for c in colors for v in c]
    pal.putpalette(flat + flat[:3] * (256 - len(colors)))
    return pal


def _draw_qr(draw: ImageDraw.ImageDraw, op: _QR) -> None:
    qr = _qr(op.data)
    border = QR_BORDER
    side = qr.symbol_size(scale=1, border=border)[0]
    box = round(_px(op.size))
    module = max(1, box // side)  # whole pixels per module: crisp, scannable
    x0 = round(_px(op.x)) + (box - module * side) // 2
    y0 = round(_px(op.y)) + (box - module * side) // 2
    draw.rectangle([x0, y0, x0 + module * side - 1, y0 + module * side - 1], fill=WHITE)
    for r, row in enumerate(qr.matrix_iter(scale=1, border=border)):
        c = 0
        while c < side:
            if row[c]:
                start = c
                while c < side and row[c]:
                    c += 1
                draw.rectangle(
                    [
                        x0 + start * module,
                        y0 + r * module,
                        x0 + c * module - 1,
                        y0 + (r + 1) * module - 1,
                    ],
                    fill=BLACK,
                )
            else:
                c += 1
