"""Text as the checker reads it: lower case, without diacritics, every character where it was.

Residents forward SMS written without diacritics ("Tai khoan cua Quy khach se bi khoa") as often
as Zalo messages written with them ("Tài khoản của bạn sẽ bị khóa"), so every pattern is written
once, without diacritics, and runs over the folded text. Folding keeps one character for one
character, so a match in the folded text points at the same place in the original: the checker
can look at what stands just before a match ("không cung cấp mã OTP" is a warning, not a request).
"""

from __future__ import annotations

import re
import unicodedata

# Letters that look alike across scripts and are used to dress up an address or a brand name.
_HOMOGLYPHS = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ԁ": "d", "һ": "h", "ӏ": "l", "ɡ": "g", "ı": "i", "ɩ": "i", "ο": "o", "ν": "v", "α": "a",
    "ε": "e", "ρ": "p", "τ": "t", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h", "ѕ": "s",
    "ɢ": "g", "ʟ": "l", "ɴ": "n", "ʀ": "r", "ꜱ": "s", "ᴠ": "v", "ᴡ": "w", "ℓ": "l",
})


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    return base.lower() if len(base.lower()) == 1 else ch


def fold(text: str) -> str:
    """'Tài khoản sẽ bị KHÓA' → 'tai khoan se bi khoa', the same length as the (NFC) text."""
    text = unicodedata.normalize("NFC", text).translate(_HOMOGLYPHS)
    return "".join(_fold_char(ch) for ch in text)


def prepare(text: str) -> tuple[str, str]:
    """The original text normalised (NFC, homoglyphs as Latin letters) and its folded twin."""
    original = unicodedata.normalize("NFC", text).translate(_HOMOGLYPHS)
    return original, fold(original)


# A clause ends at a full stop, comma, colon, semicolon, question or exclamation mark, a dash or a
# line break. A dot inside a number or an address ("2.000.000", "evn.com.vn") does not end one.
_CLAUSE_END = re.compile(r"[,;:!?\n|()\[\]]|\.(?![0-9a-z])|\s[-–—]\s")
# Words that turn what follows into a warning: "không cung cấp", "không bao giờ yêu cầu",
# "tuyệt đối không gửi", "chưa bao giờ", "never", "do not". "Nếu không" ("otherwise") and
# "không thì" do not negate: "nếu không sẽ bị cắt điện" is a threat.
_NEGATION = re.compile(r"\b(?<!neu )(?<!hoac )khong\b(?! thi\b)(?! phai\b)|\bchua bao gio\b|\bchang\b"
                       r"|\bnever\b|\bdo not\b|\bdon'?t\b|\bnot\b")
_DON_T = re.compile(r"đừng|chớ")


def clause_before(folded: str, start: int) -> tuple[int, str]:
    """Where the clause holding position `start` begins, and its text up to `start`."""
    begin = 0
    for match in _CLAUSE_END.finditer(folded, 0, start):
        begin = match.end()
    return begin, folded[begin:start]


def negated(original: str, folded: str, start: int, end: int | None = None) -> bool:
    """Does a negation stand before `start` in the same clause ("không cung cấp mã OTP …"), or
    inside the match after its first word ("gửi cho ai, em không cần mật khẩu")?"""
    begin, before = clause_before(folded, start)
    if _NEGATION.search(before) or _DON_T.search(original[begin:start].lower()):
        return True
    if end is None:
        return False
    first = folded.find(" ", start, end)
    return first != -1 and bool(_NEGATION.search(folded, first, end) or _DON_T.search(original[first:end].lower()))
