"""A screen's text as it should be said: what a Vietnamese listener expects to hear.

espeak-ng's Vietnamese voice reads "1.000.000" as "một triệu không trăm không
trăm", "12/3/2024" without "ngày … tháng … năm", "07:30" as "bảy ba mươi",
"VNeID" in English and every emoji by its name. So before any provider reads a
text, numbers become words here (the grammar: "một trăm lẻ năm", "hai nghìn
không trăm hai mươi tư", "hai mươi mốt"), dates and times get their words,
amounts their "đồng", long codes and phone numbers are read digit by digit, web
addresses are named instead of spelled, and the content's pronunciation list
(content/voice/pronunciation.yaml) says the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS = ("", "nghìn", "triệu", "tỷ")
MAX_NUMBER = 10**12 - 1
"""Larger numbers are codes, not amounts: read digit by digit."""

_URL = re.compile(r"https?://\S+|www\.\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:vn|com|net|org|gov)\b(?:/\S*)?", re.I)
_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])|(?<=ngày )(\d{1,2})/(\d{1,2})(?![\d/])", re.I)
_RATIO = re.compile(r"(?<![\d/])(\d+)/(\d+)(?![\d/])")
_TIME = re.compile(r"(?<![\d:])(\d{1,2})(?::|h)(\d{2})?(?![\d:])(?!\w)")
_AMOUNT = re.compile(r"(\d[\d.]*)\s?(?:đ|vnđ|vnd|đồng)(?!\w)", re.I)
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d.,]*\d)")
_DECIMAL = re.compile(r"(?<![\d,])(\d+),(\d+)(?![\d,])")
_NUMBER = re.compile(r"\d+")
_PERCENT = re.compile(r"\s*%")
_LINE_END = re.compile(r"[.!?:;,…]\s*$")


def read_number(number: int) -> str:
    """An integer in Vietnamese words (digit by digit beyond `MAX_NUMBER`)."""
    if number < 0:
        return "âm " + read_number(-number)
    if number > MAX_NUMBER:
        return read_digits(str(number))
    if number == 0:
        return DIGITS[0]
    groups: list[int] = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    words: list[str] = []
    for position in range(len(groups) - 1, -1, -1):
        group = groups[position]
        if group == 0:
            continue
        leading = position == len(groups) - 1
        words.append(_three_digits(group, full=not leading))
        if GROUPS[position]:
            words.append(GROUPS[position])
    return " ".join(words)


def _three_digits(group: int, *, full: bool) -> str:
    """0–999; `full` (a group after a bigger one) says its hundreds even when they are 0: "không trăm"."""
    hundreds, rest = divmod(group, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            words += ["lẻ", DIGITS[units]] if words else [DIGITS[units]]
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(units, DIGITS[units]))
    return " ".join(words)


def read_digits(digits: str) -> str:
    return " ".join(DIGITS[int(d)] for d in digits)


def _integer(digits: str) -> str:
    """A number as written: a code or phone number ("0912…", 6 digits and more) digit by digit."""
    if len(digits) >= 6 or (len(digits) >= 3 and digits.startswith("0")):
        return read_digits(digits)
    return read_number(int(digits))


def _decimal(found: re.Match[str]) -> str:
    """"2,5" → "hai phẩy năm"; "1,05" → "một phẩy không năm"."""
    whole, part = found.groups()
    return f"{_integer(whole)} phẩy {read_digits(part) if part.startswith('0') else _integer(part)}"


def _date(found: re.Match[str]) -> str:
    """"1/7/2024" → "ngày một tháng bảy năm …"; "ngày 1/7" → "ngày một tháng bảy" (its "ngày" is kept)."""
    day, month, year = found.group(1) or found.group(4), found.group(2) or found.group(5), found.group(3)
    if not (1 <= int(day) <= 31 and 1 <= int(month) <= 12):
        return found.group(0)
    said = f"{read_number(int(day))} tháng {read_number(int(month))}"
    if year is None:
        return said
    named = found.string[:found.start()].rstrip().casefold().endswith("ngày")
    return f"{'' if named else 'ngày '}{said} năm {read_number(int(year))}"


def _time(found: re.Match[str]) -> str:
    hours, minutes = found.groups()
    if int(hours) > 24 or (minutes is not None and int(minutes) > 59):
        return found.group(0)
    if found.group(0)[len(hours)] == ":" and minutes is None:
        return found.group(0)  # "mục 2:" is no time
    said = f"{read_number(int(hours))} giờ"
    return f"{said} {read_number(int(minutes))}" if minutes and int(minutes) else said


@lru_cache(maxsize=8)
def _words_pattern(keys: tuple[str, ...]) -> re.Pattern[str] | None:
    if not keys:
        return None
    alternatives = "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))
    return re.compile(rf"(?<![\w/.]){'(?:' + alternatives + ')'}(?![\w/])", re.I)


def _without_symbols(text: str) -> str:
    """Emojis, arrows, ticks and bullets are for the eyes: the voice would read their names."""
    return "".join(" " if unicodedata.category(c) in ("So", "Sk", "Sm", "Co", "Cs") or c in "•·" else c for c in text)


def _sentences(text: str) -> str:
    """Lines as pauses: a line without its own full stop gets a comma, so a list is not one breath."""
    lines = [line.strip(" -*\t") for line in text.splitlines()]
    lines = [line for line in lines if line]
    return " ".join(line if _LINE_END.search(line) else line + "," for line in lines[:-1]) + (
        " " + lines[-1] if lines else "")


def speakable(text: str, words: Mapping[str, str] | None = None, link: str = "đường link") -> str:
    """`text` as the voice should read it, normalised (one space between words) so that equal
    speech gives equal cache keys."""
    words = words or {}
    lowered = {key.casefold(): said for key, said in words.items()}
    text = unicodedata.normalize("NFC", text)
    text = _URL.sub(" \x00 ", text)  # named after the words are replaced: the name may hold one ("link")
    pattern = _words_pattern(tuple(words))
    if pattern is not None:
        text = pattern.sub(lambda m: f" {lowered[m.group(0).casefold()]} ", text)
    text = text.replace("\x00", link)
    text = _DATE.sub(_date, text)
    text = _RATIO.sub(lambda m: f"{m.group(1)} trên {m.group(2)}", text)
    text = _TIME.sub(_time, text)
    text = _AMOUNT.sub(lambda m: f"{m.group(1)} đồng", text)
    text = _GROUPED.sub(lambda m: m.group(0).replace(".", ""), text)
    text = _DECIMAL.sub(_decimal, text)
    text = _PERCENT.sub(" phần trăm", text)
    text = _NUMBER.sub(lambda m: f" {_integer(m.group(0))} ", text)
    text = _sentences(_without_symbols(text))
    return re.sub(r"\s+([,.!?;:])", r"\1", re.sub(r"\s+", " ", text)).strip()
