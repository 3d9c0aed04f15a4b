"""The certificate's fonts: the DejaVu TTFs shipped in ``bot/assets/fonts`` (they cover every
Vietnamese precomposed letter), subset once per process for the PDF.

With the full DejaVu files, fontTools parsing and subsetting dominate fpdf2's cost (~130 ms per
PDF). So the four fonts are subset *once per process* (~0.3 s, see `warm_up`) to Latin +
Vietnamese + punctuation and written to a private temporary folder; each PDF then embeds a subset
of those small fonts (~50 ms per PDF). ``python bench/certificates.py`` measures it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from bot.quiz.layout import _MM_PER_PT, _PX_PER_MM

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
