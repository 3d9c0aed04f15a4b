"""What a typed message is before it is searched: an emergency, a harmful request, a request for a person.

Searching first answers "bi hack zalo roi" with Zalo security tips and "cho toi xin
con so lo de" with an OTP warning: a topical text for someone whose money is going
now, or for a request the assistant must decline. So these three are read first,
from the folded text, with the patterns of content/intents.yaml (data, reviewed like
the lessons). Anything else goes on to the search; what the search cannot answer is
declined kindly as out of scope (`bot.handlers.faq`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from bot.config import PROJECT_ROOT
from bot.text.fold import fold
from bot.text.problems import Problems

Intent = Literal["harmful", "emergency", "human"]
ORDER: tuple[Intent, ...] = ("harmful", "emergency", "human")
INTENTS_FILE = PROJECT_ROOT / "content" / "intents.yaml"
_PUNCTUATION = re.compile(r"[^\w\s]")
ABBREVIATIONS = {
    "ko": "khong", "k": "khong", "hok": "khong", "khg": "khong", "kg": "khong", "j": "gi", "dc": "duoc",
    "vs": "voi", "ng": "nguoi", "tk": "tai khoan", "ck": "chuyen khoan", "mk": "mat khau", "dt": "dien thoai",
    "dth": "dien thoai", "bh": "bao gio", "r": "roi", "ntn": "nhu the nao", "z": "vay", "tr": "trieu",
}
"""How residents shorten words in chat; spelled out before the patterns read the text."""


class IntentsError(Problems):
    """content/intents.yaml is not valid."""


@dataclass(frozen=True)
class Rule:
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()

    def matches(self, folded: str, typed: str = "") -> bool:
        """`unless` also reads the text as typed (lower case): "chống bị hack" is prevention, while
        folded "chong bi hack" may be a husband who was hacked."""
        return any(p.search(folded) for p in self.patterns) and not any(
            u.search(folded) or u.search(typed) for u in self.unless)


def folded(text: str) -> str:
    """'Bị lừa mất tiền rồi!!!' → 'bi lua mat tien roi', 'ko dc' → 'khong duoc': what the patterns read."""
    return " ".join(ABBREVIATIONS.get(word, word) for word in _PUNCTUATION.sub(" ", fold(text)).split())


def _compile(raw: object, where: str, problems: list[str]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in raw if isinstance(raw, list) else []:
        try:
            compiled.append(re.compile(str(pattern)))
        except re.error as exc:
            problems.append(f"{where}: {pattern!r}: {exc}")
    return tuple(compiled)


DOMAIN = "domain"
"""The section of words of what the assistant knows about (read by `in_domain`, not an intent)."""


def load_rules(path: Path = INTENTS_FILE) -> dict[str, Rule]:
    """Each intent's rule and the domain words, from one read of the file; every problem at once."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems: list[str] = []
    rules: dict[str, Rule] = {}
    for name in (*ORDER, DOMAIN):
        section = data.get(name) or {}
        patterns = _compile(section.get("patterns"), f"{name}.patterns", problems)
        if not patterns:
            problems.append(f"{name}: no patterns")
        rules[name] = Rule(patterns, _compile(section.get("unless"), f"{name}.unless", problems))
    if problems:
        raise IntentsError(problems)
    return rules


@cache
def _rules() -> dict[str, Rule]:
    return load_rules()


def in_domain(text: str) -> bool:
    """Whether the message speaks of what the assistant knows (VNeID, public services, payment, safety)."""
    return _rules()[DOMAIN].matches(folded(text))


def classify(text: str) -> Intent | None:
    """The intent a message plainly has, in the order harmful, emergency, human; None for the rest."""
    words, typed = folded(text), text.lower()
    for intent in ORDER:
        if _rules()[intent].matches(words, typed):
            return intent
    return None
