"""The certificate's QR code to its verify page, made once and shared by the PDF and the PNG."""

from __future__ import annotations

import io
from functools import lru_cache

import segno

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
