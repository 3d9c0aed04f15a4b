"""content/scams/official_domains.yaml: where real organisations live on the web.

Each organisation has its registrable domains (a link on one of them, or a subdomain, is theirs),
the names messages call it by (a message that names it and links elsewhere is suspicious) and the
brand words a look-alike address borrows. Suffixes such as gov.vn belong to the state as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.scams.domains import has_known_suffix, is_public_suffix, registrable
from bot.scams.utils import strings as _strings

KINDS = ("government", "bank", "payment", "e-wallet", "utility", "post", "shop", "telecom",
         "safety", "store", "platform")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    kind: str
    domains: tuple[str, ...]
    names: tuple[str, ...]
    brands: tuple[str, ...]
    name_patterns: tuple[re.Pattern[str], ...] = ()

    @property
    def official(self) -> bool:
        """A link on its domains can be trusted to be the organisation's (not so for platforms)."""
        return self.kind != "platform"


def _name_pattern(name: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in re.split(r"[\s&]+", name) if word]
    return re.compile(r"(?<![a-z0-9])" + r"[\s&]*".join(words) + r"(?![a-z0-9])")


def _organisation(raw: Any, n: int, path: Path, problems: list[str]) -> Organisation | None:
    where = f"{path}: organisation {n}"
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not _ID.match(raw["id"]):
        problems.append(f"{where}: needs an id of lower-case letters, digits and dashes")
        return None
    where = f"{path}: organisation '{raw['id']}'"
    before = len(problems)
    if not isinstance(raw.get("name"), str) or not raw["name"].strip():
        problems.append(f"{where}: name is missing")
    if raw.get("kind") not in KINDS:
        problems.append(f"{where}: kind must be one of {', '.join(KINDS)}")
    domains = _strings(raw.get("domains", [])) if raw.get("domains") else []
    if domains is None:
        problems.append(f"{where}: domains must be a list")
        domains = []
    if not domains and raw.get("kind") != "government":
        problems.append(f"{where}: list at least one domain")
    for domain in domains:
        if domain != domain.lower() or not _DOMAIN.match(domain):
            problems.append(f"{where}: '{domain}' is not a domain name (lower case, no scheme, no path)")
        elif is_public_suffix(domain):
            problems.append(f"{where}: '{domain}' is a public suffix that anyone registers under, not a domain")
        elif not has_known_suffix(domain):
            problems.append(f"{where}: '{domain}' does not end in a known suffix")
    names = _strings(raw.get("names")) or []
    brands = _strings(raw.get("brands", [])) if raw.get("brands") else []
    if not names:
        problems.append(f"{where}: names must list how messages name it (without diacritics)")
    for word in [*names, *(brands or [])]:
        if word != word.lower() or re.search(r"[^a-z0-9 &-]", word):
            problems.append(f"{where}: '{word}' must be lower case without diacritics")
    if len(problems) > before:
        return None
    own = {registrable(d).split(".")[0] for d in domains if registrable(d)}
    own |= {d.split(".")[0] for d in domains if d.split(".")[0] not in ("play", "apps", "www", "m", "t")}
    all_brands = tuple(sorted({b.replace(" ", "").replace("-", "") for b in [*(brands or []), *own] if len(b) >= 2}))
    return Organisation(id=raw["id"], name=raw["name"].strip(), kind=raw["kind"], domains=tuple(domains),
                        names=tuple(names), brands=all_brands,
                        name_patterns=tuple(_name_pattern(name) for name in names))


def read_official_domains(domains_raw: Any, domains_path: Path, sources: dict | None,
                          problems: list[str]) -> tuple[list[Organisation], list[str], set[str]]:
    """Organisations, state suffixes and link shorteners; problems are appended to `problems`."""
    organisations: list[Organisation] = []
    suffixes: list[str] = []
    shorteners: set[str] = set()
    if domains_raw is not None:
        if not isinstance(domains_raw, dict) or not isinstance(domains_raw.get("organisations"), list):
            problems.append(f"{domains_path}: needs a list 'organisations'")
        else:
            for n, raw in enumerate(domains_raw["organisations"], 1):
                org = _organisation(raw, n, domains_path, problems)
                if org:
                    organisations.append(org)
            for entry in domains_raw.get("suffixes") or []:
                suffix = entry.get("suffix") if isinstance(entry, dict) else None
                if not isinstance(suffix, str) or not is_public_suffix(suffix):
                    problems.append(f"{domains_path}: suffix {suffix!r} is not a public suffix")
                    continue
                for source in _strings(entry.get("sources")) or []:
                    if sources is not None and source not in sources:
                        problems.append(f"{domains_path}: suffix {suffix}: source {source} is not in content/sources.yaml")
                suffixes.append(suffix)
            listed = _strings(domains_raw.get("shorteners")) or []
            for domain in listed:
                if not _DOMAIN.match(domain) or not has_known_suffix(domain):
                    problems.append(f"{domains_path}: shortener '{domain}' is not a domain name")
            shorteners = set(listed)
            owners: dict[str, str] = {}
            for org in organisations:
                for domain in org.domains:
                    if domain in owners:
                        problems.append(f"{domains_path}: {domain} is listed for both '{owners[domain]}' and '{org.id}'")
                    owners[domain] = org.id
                    if domain in shorteners:
                        problems.append(f"{domains_path}: {domain} is both an organisation's domain and a shortener")
            ids = [org.id for org in organisations]
            for org_id in sorted({i for i in ids if ids.count(i) > 1}):
                problems.append(f"{domains_path}: organisation id '{org_id}' is used twice")
    return organisations, suffixes, shorteners
