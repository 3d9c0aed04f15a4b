"""`fold`: how typed text is compared everywhere (menus, FAQ search, masking keywords, content checks).

Elderly residents type without diacritics ("hoc bai"), in capitals, with stray
punctuation; folded, "Học bài!" and "hoc bai" are the same words.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """'Quay lại!' → 'quay lai'; 'Đồng ý' → 'dong y'."""
    text = text.lower().replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return _NON_WORD.sub(" ", text).strip()
