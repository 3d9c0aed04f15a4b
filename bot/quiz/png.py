"""The certificate as a 1200 x 848 palette PNG for chat apps (~13 ms with cached Pillow fonts).

The shared FreeType font objects are used under a lock, so PNGs may be made in threads.
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache

from PIL import Image, ImageDraw

from bot.quiz.fonts import _pil_font, _pt_to_px
from bot.quiz.layout import (
    _MM_PER_PT,
    _PX_PER_MM,
    _QR,
    BLACK,
    GOLD,
    GREY,
    INK,
    NAVY,
    PAPER,
    PNG_SIZE,
    RED,
    WHITE,
    CertificateView,
    Color,
    _layout,
    _Line,
    _Poly,
    _Rect,
    _Text,
)
from bot.quiz.qr import QR_BORDER, _qr

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
    for r, cells in enumerate(qr.matrix_iter(scale=1, border=border)):
        row = list(cells)
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
