"""Interface text through Babel gettext catalogs, keyed by message id.

Catalogs are the `.po` files under `bot/locales/<lang>/LC_MESSAGES/`; they are
compiled in memory at start-up, so a translator edits one file and restarts.
Messages are keys with named placeholders ("menu.hello" → "Chào {name}!").
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("vi", "en")
BABEL_LOCALE = {"vi": "vi_VN", "en": "en_GB"}
WARD_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@cache
def catalog(lang: str) -> Translations:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def keys(lang: str) -> set[str]:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id and message.string}


def translate(lang: str, key: str, **params: object) -> str:
    """The message for `key` in `lang` (falling back to Vietnamese), with placeholders filled."""
    lang = lang if lang in LANGUAGES else "vi"
    text = catalog(lang).gettext(key)
    if text == key and lang != "vi":
        text = catalog("vi").gettext(key)
    if not params:
        return text
    for name, value in params.items():  # a title that is itself a quotation is not quoted twice
        if isinstance(value, str) and value[:1] in _OPENING and value[-1:] in _CLOSING:
            text = text.replace(f'"{{{name}}}"', f"{{{name}}}").replace(f"“{{{name}}}”", f"{{{name}}}")
    return text.format(**params)


_OPENING, _CLOSING = "“\"'", "”\"'"


def format_day(value: date | datetime, lang: str = "vi") -> str:
    """'ngày 23 tháng 11 năm 2026' in Vietnamese, '23 November 2026' in English."""
    if isinstance(value, datetime):
        value = value.date()
    if lang == "vi":
        return format_date(value, "'ngày' d 'tháng' M 'năm' y", locale="vi_VN")
    return format_date(value, format="long", locale=BABEL_LOCALE.get(lang, "en_GB"))


def format_short_day(value: date | datetime, lang: str = "vi") -> str:
    """'23/11/2026': how dates are written on Vietnamese forms."""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, "dd/MM/yyyy", locale=BABEL_LOCALE.get(lang, "vi_VN"))


def format_moment(value: datetime, lang: str = "vi") -> str:
    """'08:05 23/11/2026' in the ward's time zone."""
    return format_datetime(value, "HH:mm dd/MM/yyyy", tzinfo=WARD_TZ, locale=BABEL_LOCALE.get(lang, "vi_VN"))


def format_number(value: float, lang: str = "vi") -> str:
    return format_decimal(value, locale=BABEL_LOCALE.get(lang, "vi_VN"))
