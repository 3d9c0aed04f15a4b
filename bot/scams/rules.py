"""The scam check's content: rules and official domains from `content/scams/`, validated.

`load_scam_rules(content_dir)` reads `rules.yaml` and `official_domains.yaml` and returns
`ScamRules`, or raises `ScamContentError` listing every problem with its file ("content/scams/
rules.yaml: rule 'otp-request': pattern 2 is not a valid regular expression: …"). Staff add a
pattern by editing YAML; nothing here needs Python to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.scams.organisations import Organisation, read_official_domains
from bot.scams.utils import read_yaml as _read
from bot.scams.utils import strings as _strings
from bot.text.problems import Problems

SIGNS = (
    "otp_request", "password_request", "urgency", "personal_account_transfer", "lookalike_domain",
    "punycode", "short_link", "apk", "authority_money", "fake_prize", "fake_refund", "power_cutoff",
    "parcel_fee", "relative_emergency", "job_offer", "loan", "investment", "remote_app", "other",
)
# What a link rule looks for in the links of a message (bot/scams/links.py finds them).
DETECTORS = (
    "lookalike-domain", "punycode", "shortener", "apk", "ip-address", "gov-imitation",
    "brand-in-path", "claimed-org-link",
)
REQUIRES = ("unofficial-link", "org-claim")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_TITLE = 40
MAX_MEANS = 170


class ScamContentError(Problems):
    """The scam content could not be loaded; `problems` lists every reason, one a line."""

    problems: list[str]


@dataclass(frozen=True)
class Rule:
    id: str
    sign: str
    title: str
    means: str
    weight: int
    sources: tuple[str, ...]
    examples: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...] = ()
    context: tuple[re.Pattern[str], ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()
    detector: str | None = None
    requires: str | None = None
    negatable: bool = True
    title_en: str = ""
    means_en: str = ""


@dataclass(frozen=True)
class ScamRules:
    rules: tuple[Rule, ...]
    organisations: tuple[Organisation, ...]
    official_suffixes: tuple[str, ...]
    shorteners: frozenset[str]
    dangerous: int = 3  # a score from here up: "Nguy hiểm"
    doubtful: int = 1  # from here up: "Đáng ngờ"
    domains: dict[str, Organisation] = field(default_factory=dict, compare=False, repr=False)
    brands: dict[str, Organisation] = field(default_factory=dict, compare=False, repr=False)

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def _pattern_list(raw: dict[str, Any], key: str, what: str, where: str,
                  problems: list[str]) -> tuple[re.Pattern[str], ...]:
    """The compiled regular expressions listed under `key` (none when the key is absent)."""
    if raw.get(key) is None:
        return ()
    listed = _strings(raw[key])
    if not listed:
        problems.append(f"{where}: {key} must be a list of regular expressions")
        return ()
    return _compile(listed, where, what, problems)


def _compile(patterns: list[str], where: str, what: str, problems: list[str]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for n, pattern in enumerate(patterns, 1):
        try:
            regex = re.compile(pattern)
        except re.error as error:
            problems.append(f"{where}: {what} {n} is not a valid regular expression: {error}")
            continue
        if regex.search(""):
            problems.append(f"{where}: {what} {n} matches an empty text")
            continue
        compiled.append(regex)
    return tuple(compiled)


def _rule(raw: Any, n: int, path: Path, sources: set[str] | None, problems: list[str]) -> Rule | None:
    where = f"{path}: rule {n}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: not a mapping")
        return None
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        problems.append(f"{where}: id must be lower-case letters, digits and dashes")
        return None
    where = f"{path}: rule '{rule_id}'"
    before = len(problems)
    known = {"id", "sign", "title", "means", "title_en", "means_en", "weight", "patterns", "context",
             "unless", "detector", "requires", "negatable", "examples", "sources"}
    for key in sorted(set(raw) - known):
        problems.append(f"{where}: unknown field '{key}'")
    sign = raw.get("sign")
    if sign not in SIGNS:
        problems.append(f"{where}: sign must be one of {', '.join(SIGNS)}")
    for key, limit in (("title", MAX_TITLE), ("means", MAX_MEANS)):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: {key} is missing")
        elif len(value.strip()) > limit:
            problems.append(f"{where}: {key} has {len(value.strip())} characters (at most {limit})")
    weight = raw.get("weight")
    if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 3:
        problems.append(f"{where}: weight must be 1 (weak), 2 or 3 (strong)")
    patterns = raw.get("patterns")
    detector = raw.get("detector")
    if (patterns is None) == (detector is None):
        problems.append(f"{where}: give either patterns (text) or detector (links), not both or neither")
    compiled = _pattern_list(raw, "patterns", "pattern", where, problems)
    if detector is not None and detector not in DETECTORS:
        problems.append(f"{where}: detector must be one of {', '.join(DETECTORS)}")
    context = _pattern_list(raw, "context", "context pattern", where, problems)
    unless = _pattern_list(raw, "unless", "unless pattern", where, problems)
    requires = raw.get("requires")
    if requires is not None and requires not in REQUIRES:
        problems.append(f"{where}: requires must be one of {', '.join(REQUIRES)}")
    negatable = raw.get("negatable", True)
    if not isinstance(negatable, bool):
        problems.append(f"{where}: negatable must be true or false")
    examples = _strings(raw.get("examples"))
    if not examples:
        problems.append(f"{where}: give at least one example message")
    cited = _strings(raw.get("sources"))
    if not cited:
        problems.append(f"{where}: sources must list at least one source id from content/sources.yaml")
    elif sources is not None:
        for source in cited:
            if source not in sources:
                problems.append(f"{where}: source {source} is not in content/sources.yaml")
    if len(problems) > before:
        return None
    return Rule(id=rule_id, sign=str(sign), title=raw["title"].strip(), means=raw["means"].strip(),
                weight=int(weight or 0), sources=tuple(cited or ()), examples=tuple(examples or ()),
                patterns=compiled, context=context, unless=unless, detector=detector, requires=requires,
                negatable=negatable, title_en=str(raw.get("title_en", "")).strip(),
                means_en=str(raw.get("means_en", "")).strip())


def load_sources(content_dir: Path) -> dict[str, dict[str, Any]] | None:
    """content/sources.yaml by id (None when the file is missing or unreadable)."""
    path = content_dir / "sources.yaml"
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(s.get("id")): s for s in data.get("sources", []) if isinstance(s, dict)}


def load_scam_rules(content_dir: Path | str) -> ScamRules:
    """Read and validate content/scams/rules.yaml and official_domains.yaml; raise ScamContentError."""
    content_dir = Path(content_dir)
    folder = content_dir / "scams"
    problems: list[str] = []
    sources = load_sources(content_dir)
    rules_path, domains_path = folder / "rules.yaml", folder / "official_domains.yaml"
    rules_raw, domains_raw = _read(rules_path, problems), _read(domains_path, problems)
    rules: list[Rule] = []
    dangerous, doubtful = 3, 1
    if rules_raw is not None:
        if not isinstance(rules_raw, dict) or not isinstance(rules_raw.get("rules"), list) or not rules_raw["rules"]:
            problems.append(f"{rules_path}: needs a list 'rules'")
        else:
            for n, raw in enumerate(rules_raw["rules"], 1):
                rule = _rule(raw, n, rules_path, set(sources) if sources is not None else None, problems)
                if rule:
                    rules.append(rule)
            seen: set[str] = set()
            for rule in rules:
                if rule.id in seen:
                    problems.append(f"{rules_path}: rule id '{rule.id}' is used twice")
                seen.add(rule.id)
            thresholds = rules_raw.get("thresholds", {})
            if not isinstance(thresholds, dict):
                problems.append(f"{rules_path}: thresholds must be a mapping")
            else:
                dangerous, doubtful = thresholds.get("nguy_hiem", 3), thresholds.get("dang_ngo", 1)
                if not (isinstance(dangerous, int) and isinstance(doubtful, int) and 1 <= doubtful < dangerous):
                    problems.append(f"{rules_path}: thresholds need 1 ≤ dang_ngo < nguy_hiem (whole numbers)")
    organisations, suffixes, shorteners = read_official_domains(domains_raw, domains_path, sources, problems)
    if problems:
        raise ScamContentError(problems)
    domain_index = {domain: org for org in organisations for domain in org.domains}
    brand_index: dict[str, Organisation] = {}
    for org in organisations:
        for brand in org.brands:
            brand_index.setdefault(brand, org)
    return ScamRules(rules=tuple(rules), organisations=tuple(organisations), official_suffixes=tuple(suffixes),
                     shorteners=frozenset(shorteners), dangerous=dangerous, doubtful=doubtful,
                     domains=domain_index, brands=brand_index)
