"""Understanding what a person typed, the way elderly residents type.

They type without diacritics ("hoc bai"), with typos ("quay lia"), with numbers
as digits or words ("2", "số 2", "hai"). Everything is compared after folding:
lower case, đ→d, diacritics removed, punctuation dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.messages import Option
from bot.text.fold import fold

NUMBER_WORDS = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
    "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10,
}
_NUMBER_PREFIXES = ("so ", "chon ", "chon so ", "lua chon ", "cau ", "phuong an ", "bam ", "bam so ")
# Not "muc ": "mức 2" is VNeID's level 2, which residents ask about, not menu entry 2.
SHORT_WORDS = 4
"""At most this many words may be a button or a menu entry typed by hand; a longer text is a sentence."""

# Words that work on every screen. Short words must match exactly (a name like
# "Thuy" must never be read as "huy"); longer ones tolerate a typo.
GLOBAL_WORDS: dict[str, tuple[str, ...]] = {
    "menu": ("menu", "0", "menu chinh", "trang chinh", "trang chu", "ve menu", "mnu", "meu", "/menu"),
    "back": ("quay lai", "tro lai", "quay ve", "lui lai", "back", "/back", "lui"),
    "help": ("tro giup", "giup", "giup do", "giup toi", "help", "/help", "?", "can giup"),
    "cancel": ("huy", "thoat", "dung lai", "huy bo", "cancel", "/cancel", "exit", "stop", "thoi"),
    # Learning nudges ("DỪNG" / "TIẾP TỤC"), handled by the feature that registered the word (`Router.word`).
    "stop_nudges": ("dung", "dung nhac", "dung nhac hoc", "dung nhac nho", "dung nhac nua", "ngung nhac",
                    "ngung nhac hoc", "tat nhac", "tat nhac hoc", "khong nhac nua", "stop reminders"),
    "resume_nudges": ("tiep tuc", "tiep tuc nhac", "bat nhac", "bat nhac hoc", "bat lai nhac", "resume reminders"),
}
AMBIGUOUS = {"dung": "dừng"}
"""Folded words that are also an answer ("dung" is "đúng" as much as "dừng"): typed with the diacritics
shown here they are the global word; typed without, only where no choice shown reads the same and the
screen takes no typed answer (a name "Dung")."""
_SHORT = 4
_LETTER_PREFIX = re.compile(r"^[A-D][.)]\s+")


def parse_number(text: str) -> int | None:
    """'2', 'số 2', 'hai', 'chọn 3', '2.' → the number; anything else → None."""
    folded = fold(text)
    for prefix in _NUMBER_PREFIXES:
        if folded.startswith(prefix):
            folded = folded[len(prefix):].strip()
            break
    if folded.isdecimal() and len(folded) <= 3:
        return int(folded)
    return NUMBER_WORDS.get(folded)


def ambiguous(text: str) -> bool:
    """Whether `text` is an `AMBIGUOUS` word typed without the diacritics that make it the global word."""
    folded = fold(text)
    return folded in AMBIGUOUS and unicodedata.normalize("NFC", text).strip(" .!").casefold() != AMBIGUOUS[folded]


def global_action(text: str) -> str | None:
    """'menu', '0', 'quay lại', 'trợ giúp', 'hủy' … → 'menu' / 'back' / 'help' / 'cancel'."""
    folded = fold(text) if text.strip() != "?" else "?"
    if not folded:
        return None
    for action, words in GLOBAL_WORDS.items():
        if folded in words:
            return action
    if len(folded) <= _SHORT:
        return None
    for action, words in GLOBAL_WORDS.items():
        for word in words:
            if len(word) > _SHORT and fuzz.ratio(folded, word) >= 85:
                return action
    return None


@dataclass(frozen=True)
class Match:
    option: Option | None
    candidates: tuple[Option, ...] = ()


def _label_key(label: str) -> str:
    """Labels may start with an icon, a number or a letter ('📚 1. Học bài', 'B. Sai'): compare the words only."""
    label = _LETTER_PREFIX.sub("", label.strip())
    return re.sub(r"^\d+\s+", "", fold(label))


def _score(query: str, label: str) -> float:
    if query == label:
        return 100.0
    score = fuzz.ratio(query, label)
    if len(query) >= 3:
        # A few words found inside a long label count less than the whole label typed.
        extra_words = max(0, len(label.split()) - len(query.split()))
        score = max(score, fuzz.token_set_ratio(query, label) - 3 - 2 * extra_words)
        if label.startswith(query) or query.startswith(label):
            score = max(score, 90.0 if len(query) >= 4 else 82.0)
    if len(query) >= 5:
        score = max(score, fuzz.partial_ratio(query, label) - 8)
    return score


def match_option(text: str, options: Sequence[Option], cutoff: float = 78.0) -> Match:
    """The option a person meant, by id, number or (fuzzy) label; else the closest candidates."""
    if not options or not text.strip():
        return Match(None)
    raw = text.strip()
    for option in options:
        if raw == option.id:
            return Match(option)
    query = fold(raw)
    if not query:
        return Match(None)
    keys = [_label_key(o.label) for o in options]
    if keys.count(query) == 1:  # the label itself ("Mức 1", "156") wins over reading it as a number
        return Match(options[keys.index(query)])
    number = parse_number(raw)
    if number is not None and 1 <= number <= len(options):
        return Match(options[number - 1])
    if len(query) == 1:  # "a", "B" for options labelled "A. …", "B. …"
        lettered = [o for o in options if re.match(rf"^{query.upper()}[.)]\s", o.label)]
        return Match(lettered[0] if len(lettered) == 1 else None)
    if number is not None:
        return Match(None)
    if len(query.split()) > max(SHORT_WORDS, max(len(k.split()) for k in keys) + 1):
        return Match(None)  # a sentence, not a label: "bi lua mat tien roi phai lam sao" is no button
    scored = sorted(
        ((_score(query, key), index) for index, key in enumerate(keys)), key=lambda pair: pair[0], reverse=True
    )
    best_score, best_index = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best_score >= cutoff and best_score - runner_up >= 4:
        return Match(options[best_index])
    candidates = tuple(options[i] for s, i in scored if s >= 50)[:3]
    return Match(None, candidates)


def best_matches(query: str, choices: dict[str, str], limit: int = 3, cutoff: float = 60.0) -> list[str]:
    """Keys of the `choices` (key → text) closest to `query`, best first."""
    found = process.extract(fold(query), {k: fold(v) for k, v in choices.items()}, scorer=fuzz.WRatio, limit=limit)
    return [key for _text, score, key in found if score >= cutoff]
