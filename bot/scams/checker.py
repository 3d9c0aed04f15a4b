"""`check(text) -> Verdict`: is a forwarded message a trap?

Pure and fast: no database, no network, no state. The text is folded once, every rule of
content/scams/rules.yaml is tried over it, its links are read (bot/scams/links.py, never opened),
and the weights of the rules that fire add up to a score: from `rules.dangerous` up the verdict
is "nguy-hiem", from `rules.doubtful` up "dang-ngo", else "an-toan" (which never proves a message
safe, and the reply says so).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.scams.links import Link, find_links
from bot.scams.rules import Organisation, Rule, ScamRules, load_scam_rules
from bot.scams.text import negated, prepare

CONTENT_DIR = Path(__file__).resolve().parent.parent.parent / "content"
VERDICTS = ("nguy-hiem", "dang-ngo", "an-toan")
WORDS = {"nguy-hiem": "Nguy hiểm", "dang-ngo": "Đáng ngờ", "an-toan": "Chưa thấy dấu hiệu lừa"}
MAX_TEXT = 5000  # a forwarded message longer than this is read from its start
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
_SENTENCE_END = re.compile(r"[.!?\n](?![0-9a-z])")


@dataclass(frozen=True)
class Reason:
    """One rule that fired, with what it means for the resident."""

    rule_id: str
    sign: str
    title: str
    means: str
    weight: int
    sources: tuple[str, ...]
    evidence: str  # the words or the address that made it fire
    title_en: str = ""
    means_en: str = ""


@dataclass(frozen=True)
class Verdict:
    verdict: str  # "nguy-hiem" | "dang-ngo" | "an-toan"
    score: int
    reasons: tuple[Reason, ...]  # strongest first
    links: tuple[Link, ...]  # every address found, in order (never fetched)
    organisations: tuple[str, ...] = ()  # ids of the organisations the message names

    @property
    def word(self) -> str:
        """'Nguy hiểm', 'Đáng ngờ' or 'Chưa thấy dấu hiệu lừa'."""
        return WORDS[self.verdict]

    @property
    def signs(self) -> frozenset[str]:
        """The kinds of trick seen (for counts by scam type; never the text itself)."""
        return frozenset(reason.sign for reason in self.reasons)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(reason.rule_id for reason in self.reasons)


@lru_cache(maxsize=4)
def _default_rules(content_dir: str) -> ScamRules:
    return load_scam_rules(Path(content_dir))


def default_rules() -> ScamRules:
    """The rules shipped in content/scams/, loaded once per process."""
    return _default_rules(str(CONTENT_DIR))


def _claims(folded: str, rules: ScamRules) -> list[Organisation]:
    return [org for org in rules.organisations if any(p.search(folded) for p in org.name_patterns)]


def _sentence(folded: str, start: int, end: int) -> str:
    begin = 0
    for match in _SENTENCE_END.finditer(folded, 0, start):
        begin = match.end()
    after = _SENTENCE_END.search(folded, end)
    return folded[begin: after.start() if after else len(folded)]


def _text_rule(rule: Rule, original: str, folded: str) -> str | None:
    """The words that fire the rule, or None."""
    if rule.context and not any(p.search(folded) for p in rule.context):
        return None
    for pattern in rule.patterns:
        for match in pattern.finditer(folded):
            if rule.negatable and negated(original, folded, match.start(), match.end()):
                continue
            if rule.unless and any(p.search(_sentence(folded, match.start(), match.end())) for p in rule.unless):
                continue
            return original[match.start():match.end()]
    return None


def _link_rule(rule: Rule, links: list[Link], claimed: list[Organisation]) -> str | None:
    flag = {"lookalike-domain": "lookalike", "punycode": "punycode", "shortener": "shortener", "apk": "apk",
            "ip-address": "ip", "gov-imitation": "gov-imitation", "brand-in-path": "brand-in-path"}.get(rule.detector or "")
    if flag:
        hit = next((link for link in links if flag in link.flags), None)
        return hit.safe_text if hit else None
    if rule.detector == "claimed-org-link":
        named = {org.id for org in claimed if org.official}
        if not named:
            return None
        for link in links:
            if link.official or link.owner in named:
                continue
            if link.flags & {"lookalike", "punycode", "gov-imitation"}:
                continue  # said more precisely by their own rule
            return link.safe_text
    return None


def check(text: str, rules: ScamRules | None = None) -> Verdict:
    """The verdict on a message a resident pasted or forwarded (or a bare link)."""
    rules = rules or default_rules()
    text = unicodedata.normalize("NFC", text or "")[:MAX_TEXT]
    text = _SPACES.sub(" ", text)
    original, folded = prepare(text)
    links = find_links(text, rules)
    claimed = _claims(folded, rules)
    unofficial = any(not link.official for link in links)
    names_org = any(org.official for org in claimed)
    reasons: list[Reason] = []
    for rule in rules.rules:
        if rule.requires == "unofficial-link" and not unofficial:
            continue
        if rule.requires == "org-claim" and not names_org:
            continue
        evidence = _link_rule(rule, links, claimed) if rule.detector else _text_rule(rule, original, folded)
        if evidence is None:
            continue
        reasons.append(Reason(rule_id=rule.id, sign=rule.sign, title=rule.title, means=rule.means,
                              weight=rule.weight, sources=rule.sources, evidence=evidence.strip(),
                              title_en=rule.title_en, means_en=rule.means_en))
    reasons.sort(key=lambda r: -r.weight)  # stable: rules.yaml order within a weight
    score = sum(reason.weight for reason in reasons)
    verdict = "nguy-hiem" if score >= rules.dangerous else "dang-ngo" if score >= rules.doubtful else "an-toan"
    return Verdict(verdict=verdict, score=score, reasons=tuple(reasons), links=tuple(links),
                   organisations=tuple(org.id for org in claimed))
