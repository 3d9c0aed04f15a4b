"""What a person types as their name, and what only looks like one.

The name is printed on a certificate (which the holder shows to family, the TDP
leader, anyone who checks it) and shown to their mentor and in staff lists. A
phone number or an ID number typed into that box would be printed and shown to
all of them: that is personal data nobody meant to share, so it is refused with
a word on what to type instead. Invisible characters are dropped, so that what
is stored is what is printed and what a mentor reads.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 60
"""Characters, the longest name accepted (and what fits on one line of a certificate)."""
NUMBER_DIGITS = 6
"""Digits in one run, from which a run is a number of a person rather than a part of a name."""
NOT_A_NAME = "onboarding.bad_name"
LOOKS_LIKE_A_NUMBER = "name.looks_like_number"

_DIGIT_RUN = re.compile(r"\d(?:[\s.\-–—_()+]{0,3}\d)*")
"""Digits, also written in groups: "0912 345 678", "(+84) 912.345.678", "0012-3456-7890"."""
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
"""Control and format characters (NUL, zero-width spaces, direction overrides), surrogates, unassigned."""


def _visible(text: str) -> str:
    """`text` in composed form, without invisible characters; a control character that separates (tab,
    new line) becomes a space."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if ch.isspace() else ch for ch in text
                   if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE)


def looks_like_number(text: str) -> bool:
    """Whether `text` holds a phone or ID number: a run of 6 digits or more, alone or in groups
    separated by spaces, dots or hyphens. That takes in a mobile number (10 digits from 0, or
    +84 / 84 and 9 digits), a CCCD (12 digits), an old CMND (9 digits), a bank account; a house
    or TDP number ("Bà Tư tổ 12", "Nguyễn Văn A 2") is short and stays part of the name."""
    return any(sum(ch.isdecimal() for ch in run.group()) >= NUMBER_DIGITS
               for run in _DIGIT_RUN.finditer(_visible(text)))


def clean_name(text: str | None, limit: int = MAX_NAME) -> str | None:
    """The name as it is stored and printed (spaces joined, invisible characters dropped), or None
    when `text` is not a name: nothing left, longer than `limit`, no letter, or a phone / ID number
    in it (see `looks_like_number`)."""
    name = " ".join(_visible(text or "").split())
    if not name or len(name) > limit or not any(ch.isalpha() for ch in name) or looks_like_number(name):
        return None
    return name


def refusal_key(text: str | None) -> str:
    """The message key saying why `text` is not taken as a name (for `clean_name` giving None)."""
    return LOOKS_LIKE_A_NUMBER if looks_like_number(text or "") else NOT_A_NAME
