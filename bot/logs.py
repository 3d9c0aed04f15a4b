"""Structured logs that never carry personal numbers or secrets.

Residents type their ID number, phone number or an OTP into chats by mistake,
and HTTP client libraries log URLs that contain the bot token. Every record
is masked before it is written, whoever logged it: secrets here, personal
numbers by the one masking function the rest of the bot uses too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from bot.text.masking import mask as mask_personal_numbers

_SECRETS: list[tuple[re.Pattern[str], str]] = [
    # Bot tokens inside API URLs (Telegram "123:ABC…", Zalo "<id>:<key>").
    (re.compile(r"bot\d+:[A-Za-z0-9_\-]+"), "bot***"),
    (re.compile(r"(?i)(token|secret|key)=([^&\s]+)"), r"\1=***"),
]


def mask(text: str) -> str:
    """'số 0912345678, cccd 001203004567, /bot123:ABC/' → 'số <phone>, cccd <id-number>, /bot***/'.

    Secrets first (a token's digits must not be read as a phone number), then personal numbers.
    """
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return mask_personal_numbers(text)


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
    for name in ("aiosqlite", "sqlalchemy.engine", "telegram"):  # at DEBUG they log every statement / request
        logging.getLogger(name).setLevel(logging.WARNING)
