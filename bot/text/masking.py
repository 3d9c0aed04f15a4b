"""`mask`: personal numbers residents type, replaced before the text reaches anyone else.

Elderly residents type their phone number, citizen ID, bank account, card number or the
one-time code a scammer asked for straight into the chat ("stk 0011004123456", "otp 482913").
Whenever that text is stored for others or shown to others — help requests, mentor alerts,
the unanswered-questions list, reports, logs — it goes through `mask` first, so a mentor,
an admin or whoever reads a log never sees the numbers themselves, only what kind they were:
<phone>, <id-number>, <bank-account>, <card>, <code>, <email>.

The rules, and the exact output for what residents really type, live in
tests/data/masking_corpus.yaml; "rule N" below refers to its header. Ordinary numbers
(dates, amounts, times, TDP, lesson and house numbers, years) stay, and every character
outside a masked number stays exactly as typed: numbers are found in the original text,
only keywords are compared folded (one word at a time, so positions never shift).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.text.fold import fold

PHONE, ID_NUMBER, BANK_ACCOUNT, CARD, CODE, EMAIL = (
    "<phone>", "<id-number>", "<bank-account>", "<card>", "<code>", "<email>")
PLACEHOLDERS = (PHONE, ID_NUMBER, BANK_ACCOUNT, CARD, CODE, EMAIL)

# Rule 1. The local part is capped at 64 characters (the e-mail limit) so that a long run of
# letters without "@" costs linear, not quadratic, time.
_EMAIL = re.compile(r"[\w.%+-]{1,64}@[\w-]+(?:\.[\w-]+)+")

# Rule 2: a written number, with its optional "+", "(+84)" or "(024)" in front; then digit
# groups joined by exactly one space, dot or hyphen.
_PREFIX = r"\(\+\d{1,3}\)[ .-]?|\(0\d{1,3}\)[ .-]?|\+"
_NUMBER = rf"(?:{_PREFIX})?\d+(?:[ .-]\d+)*"
# A word is a run of letters; combining marks count too, for text typed decomposed (NFD).
_WORD = r"(?:[^\W\d_]+|[\u0300-\u036f]+)+"
# Placeholders from an earlier pass are tokens of their own, never words: "<code>" must not
# read as the keyword "code" (that keeps `mask` idempotent).
_PLACEHOLDER = "|".join(re.escape(p) for p in PLACEHOLDERS)
_TOKEN = re.compile(rf"(?P<placeholder>{_PLACEHOLDER})|(?P<number>{_NUMBER})|(?P<word>{_WORD})")
_SPLIT_PREFIX = re.compile(rf"({_PREFIX})?(.*)", re.DOTALL)

# Rule 3b: amount words, folded.
_AMOUNT_WORDS = frozenset({"d", "vnd", "dong", "k", "nghin", "ngan", "trieu", "tr", "ty"})

# Rules 4 and 5: keywords as folded word sequences, and how many tokens may stand between
# the keyword and the number ("stk vietcombank 0011…", "ma xac nhan cua toi la 7731").
_ACCOUNT, _CODE = "account", "code"
_KEYWORDS: dict[tuple[str, ...], str] = {
    **dict.fromkeys([("stk",), ("tk",), ("tai", "khoan"), ("so", "tai", "khoan"), ("so", "tk"), ("account",)], _ACCOUNT),
    **dict.fromkeys([("ma",), ("ma", "xac", "nhan"), ("ma", "xac", "thuc"), ("otp",), ("code",), ("passcode",),
                     ("pin",), ("cvv",)], _CODE),
}
_MAX_GAP = 3
_LONGEST_KEYWORD = max(len(phrase) for phrase in _KEYWORDS)


@dataclass(frozen=True)
class _Number:
    """One written number (rule 2), split into what the rules look at, digits as 0-9."""

    prefix: str  # "", "+", "(+84)", "(024)", with the separator after a bracket
    groups: tuple[str, ...]  # the digit groups after the prefix
    separators: tuple[str, ...]  # what joins them: " ", "." or "-"
    digits: str  # every digit, prefix included: N is len(digits)

    @classmethod
    def parse(cls, written: str) -> _Number:
        written = _ascii_digits(written)
        match = _SPLIT_PREFIX.fullmatch(written)
        assert match is not None  # (.*) matches anything
        prefix, body = match.group(1) or "", match.group(2)
        digits = "".join(char for char in written if char.isdecimal())
        return cls(prefix, tuple(re.findall(r"\d+", body)), tuple(re.findall(r"\D", body)), digits)

    @property
    def plus(self) -> bool:
        return "+" in self.prefix

    @property
    def bracketed(self) -> bool:
        return self.prefix.startswith("(")


def mask(text: str) -> str:
    """'sdt 0912 345 678, otp 482913, hen 12/03/2025' → 'sdt <phone>, otp <code>, hen 12/03/2025'."""
    if "@" in text:
        text = _EMAIL.sub(EMAIL, text)
    tokens = list(_TOKEN.finditer(text))
    pieces: list[str] = []
    done = 0
    for index, token in enumerate(tokens):
        if token.lastgroup != "number":
            continue
        placeholder = _placeholder(text, tokens, index)
        if placeholder is not None:
            pieces += [text[done:token.start()], placeholder]
            done = token.end()
    pieces.append(text[done:])
    return "".join(pieces)


def _placeholder(text: str, tokens: list[re.Match[str]], index: int) -> str | None:
    """What the number tokens[index] is masked as (rules 3–10), or None to leave it as typed."""
    number = _Number.parse(tokens[index].group())
    if _never_masked(text, tokens, index, number):
        return None
    n = len(number.digits)
    keywords = _keywords_before(tokens, index) if 3 <= n <= 19 else set()
    if _ACCOUNT in keywords and 8 <= n <= 19:
        return BANK_ACCOUNT
    if _CODE in keywords and 3 <= n <= 8:
        return CODE
    if _is_card(number):
        return CARD
    if _is_phone(number):
        return PHONE
    if n in (9, 12):
        return ID_NUMBER
    if n == 6 and len(number.groups) == 1 and not number.prefix:
        return CODE
    if 8 <= n <= 19:
        return BANK_ACCOUNT
    return None  # rule 3f: short numbers


def _never_masked(text: str, tokens: list[re.Match[str]], index: int, number: _Number) -> bool:
    """Rule 3a–e: amounts, dates, service numbers and numbers that are part of a word."""
    start, end = tokens[index].span()
    before, after = text[start - 1:start], text[end:end + 1]
    if _is_letter(before) or _is_letter(after):  # 3a: EB123456789VN, 8h30, 500.000đ
        return True
    if after == "%" or _amount_word_follows(text, tokens, index):  # 3b: 100%, 5 triệu
        return True
    return _is_date(number) or _is_thousands(number) or _is_service_number(number)


def _is_letter(char: str) -> bool:
    return bool(char) and (char.isalpha() or unicodedata.category(char).startswith("M"))


def _amount_word_follows(text: str, tokens: list[re.Match[str]], index: int) -> bool:
    end = tokens[index].end()
    if text[end:end + 1] != " " or index + 1 == len(tokens):
        return False
    following = tokens[index + 1]
    return following.start() == end + 1 and following.lastgroup == "word" and _fold_word(following.group()) in _AMOUNT_WORDS


def _is_date(number: _Number) -> bool:
    """3c: d.m.yyyy or d-m-yyyy ("12.03.2025", "20-03-2025")."""
    if number.bracketed or len(number.groups) != 3 or len(set(number.separators)) != 1 or number.separators[0] == " ":
        return False
    day, month, year = number.groups
    return len(day) <= 2 and len(month) <= 2 and len(year) == 4 and 1 <= int(day) <= 31 and 1 <= int(month) <= 12


def _is_thousands(number: _Number) -> bool:
    """3d: "15.000.000", "1.250.000" (so also a 9-digit CMND written with dots)."""
    first, *rest = number.groups
    return (not number.bracketed and bool(rest) and set(number.separators) == {"."}
            and len(first) <= 3 and not first.startswith("0") and all(len(group) == 3 for group in rest))


def _is_service_number(number: _Number) -> bool:
    """3e: hotlines "1900 545413", "19001288", "1800…"."""
    return number.digits.startswith(("1800", "1900")) and 8 <= len(number.digits) <= 10


def _is_card(number: _Number) -> bool:
    """Rule 6: four groups of four, or a domestic NAPAS card (9704…) in one block."""
    if len(number.digits) != 16:
        return False
    four_by_four = len(number.groups) == 4 and all(len(group) == 4 for group in number.groups)
    return four_by_four or (len(number.groups) == 1 and number.digits.startswith("9704"))


def _is_phone(number: _Number) -> bool:
    """Rule 7: +84 / (+84) / 84 mobiles, 0-prefixed mobiles, 02x landlines."""
    digits = number.digits
    if number.plus and digits.startswith("84"):
        rest = digits[2:]
        if len(rest) == 9 or (len(rest) == 10 and rest.startswith("0")):
            return True
    if not number.plus and digits.startswith("84") and len(digits) == 11:
        return True
    return (len(digits) == 10 and digits.startswith("0")) or (len(digits) == 11 and digits.startswith("02"))


def _keywords_before(tokens: list[re.Match[str]], index: int) -> set[str]:
    """Kinds of keyword (rules 4, 5) that end at most 3 tokens before the number tokens[index].

    Every token between counts as one word: a word, another number, a placeholder.
    """
    window = tokens[max(0, index - _MAX_GAP - _LONGEST_KEYWORD):index]
    words = [_fold_word(token.group()) if token.lastgroup == "word" else "" for token in window]
    found: set[str] = set()
    for gap in range(min(_MAX_GAP, len(words) - 1) + 1):
        end = len(words) - gap
        for length in range(1, min(_LONGEST_KEYWORD, end) + 1):
            kind = _KEYWORDS.get(tuple(words[end - length:end]))
            if kind is not None:
                found.add(kind)
    return found


@lru_cache(maxsize=4096)
def _fold_word(word: str) -> str:
    """`fold` of one word; the same few words come back in every message."""
    return fold(word)


def _ascii_digits(text: str) -> str:
    """`text` with its digits as 0-9, whichever script they were typed in ("０９１２" → "0912")."""
    return "".join(str(unicodedata.digit(char)) if char.isdecimal() else char for char in text)
