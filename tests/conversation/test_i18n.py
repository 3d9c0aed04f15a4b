"""Every interface message exists in Vietnamese and English; dates and numbers read the Vietnamese way."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from bot.db.network import ORGANISATIONS, PLACES
from bot.handlers.onboarding import AGE_BANDS
from bot.text.i18n import format_day, format_moment, format_number, format_short_day, keys, translate

BOT = Path(__file__).resolve().parents[2] / "bot"
PATTERNS = [
    r'ctx\.t\(\s*"([a-z_][a-z0-9_.+\-]*)"',
    r'ctx\.opt\([^,()]+,\s*"([a-z_][a-z0-9_.+\-]*)"',
    r'help="([a-z_.]+)"',
    r'menu_entry\(\d+, "[a-z_]+", "([a-z_.]+)"',
]


def used_keys() -> set[str]:
    found: set[str] = set()
    for path in BOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            found |= set(re.findall(pattern, text))
    found |= {f"org.{o}" for o in ORGANISATIONS} | {f"place.{p}" for p in PLACES} | {f"age.{a}" for a in AGE_BANDS}
    found |= {f"path.q.{q}" for q in ("has_smartphone", "uses_social", "vneid_active")}
    return found


def test_every_used_message_exists_in_both_languages() -> None:
    used = used_keys()
    assert len(used) > 150
    assert used - keys("vi") == set()
    assert used - keys("en") == set()


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    assert keys("vi") == keys("en")
    for key in keys("vi"):
        vi = set(re.findall(r"{(\w+)}", translate("vi", key)))
        en = set(re.findall(r"{(\w+)}", translate("en", key)))
        assert vi == en, key


def test_vietnamese_formats() -> None:
    assert format_day(date(2026, 11, 23)) == "ngày 23 tháng 11 năm 2026"
    assert format_short_day(date(2026, 3, 5)) == "05/03/2026"
    assert format_moment(datetime(2026, 11, 23, 1, 5, tzinfo=UTC)) == "08:05 23/11/2026"
    assert format_number(1234567.5) == "1.234.567,5"
    assert format_day(date(2026, 11, 23), "en") == "23 November 2026"
