"""Structured logs that never carry personal numbers or secrets.

Residents type their ID number, phone number or an OTP into chats by mistake,
and HTTP client libraries log URLs that contain the bot token. Every record
is masked before it is written, whoever logged it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_MASKS: list[tuple[re.Pattern[str], str]] = [
    # Bot tokens inside API URLs (Telegram "123:ABC…", Zalo "<id>:<key>").
    (re.compile(r"bot\d+:[A-Za-z0-9_\-]+"), "bot***"),
    (re.compile(r"(?i)(token|secret|key)=([^&\s]+)"), r"\1=***"),
    # Phone numbers: +84 / 84 / 0 followed by 9 digits, with optional spaces or dots.
    (re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){9}(?!\d)"), "<phone>"),
    # Citizen ID numbers (12 digits) and old ID card numbers (9 digits).
    (re.compile(r"(?<!\d)\d{12}(?!\d)"), "<id-number>"),
    (re.compile(r"(?<!\d)\d{9}(?!\d)"), "<id-number>"),
    # One-time codes and other 6-digit codes.
    (re.compile(r"(?<!\d)\d{6}(?!\d)"), "<code>"),
]


def mask(text: str) -> str:
    """'số 0912345678, cccd 001203004567' → 'số <phone>, cccd <id-number>'."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("channel", "user", "screen", "update"):
            if hasattr(record, key):
                entry[key] = mask(str(getattr(record, key)))
        if record.exc_info:
            entry["exc"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # logs every update at INFO
