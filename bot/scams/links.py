"""Links in a message, read and never opened.

`find_links(text, rules)` finds every address a resident could tap: full URLs, bare domains
("vietcombank-vn.top", "bit.ly/xyz"), bare IP addresses, punycode ("xn--…") and addresses
written with letters of another alphabet. Each comes back as a `Link` saying whose it is (an
official domain or a subdomain of one, an address under gov.vn) or what is wrong with it: a
shortened link, an .apk file, an IP address, punycode, an official name borrowed by someone
else's domain ("dichvucong-gov.com", "bidv.vn-baomat.cc"), a look-alike spelling ("vietcornbank",
"v1etcombank"), a brand name in the path of an unknown site. Nothing here touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from bot.scams.domains import registrable, split
from bot.scams.rules import Organisation, ScamRules
from bot.scams.text import fold

# An address: optional scheme, host labels (any alphabet, so that look-alike letters are caught),
# optional port and path. The left edge keeps e-mail addresses and "abc.def" inside words out.
_ADDRESS = re.compile(
    r"(?<![\w@.\-/])(?P<scheme>(?:https?|hxxps?)://)?(?P<www>www\.)?"
    r"(?P<host>(?:\d{1,3}\.){3}\d{1,3}|(?:[\w](?:[\w\-]{0,61}[\w])?\.)+(?:xn--[a-z0-9\-]+|[^\W\d_]{2,24}))"
    r"(?P<port>:\d{2,5})?(?P<path>/[^\s<>\"'“”]*)?",
    re.IGNORECASE,
)
_IP = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}$")
_TRAILING = ".,;:!?)]}'\"”’…"
# Suffixes that are also Vietnamese words ("chị.Mẹ ơi", "có.Cô ơi" typed without a space): an
# address ending in one counts only when written with "http", "www" or a path.
_WORD_SUFFIXES = {
    "ba", "bo", "by", "ca", "co", "cu", "de", "do", "ga", "gi", "hu", "la", "ma", "me", "mo", "na",
    "ne", "no", "nu", "re", "sa", "se", "so", "to", "vi", "xin", "vin", "an", "am", "tu", "ai", "be",
}
_GOV_TOKENS = {"gov", "govvn", "gouv", "chinhphu"}
_GENERIC_TOKENS = {"www", "m", "vn", "com", "net", "org", "online", "app", "login", "secure", "web"}
# Digits and letter pairs used for letters in look-alike names: "v1etcombank", "vietcornbank".
_DIGIT_SWAPS = (str.maketrans("013457@8", "oieastab"), str.maketrans("013457@8", "oleastab"))
_PAIR_SWAPS = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("ii", "u"))


@dataclass(frozen=True)
class Link:
    """One address found in a message. `flags` say what the checker saw in it."""

    text: str  # as written in the message
    host: str  # lower case, ASCII (punycode for other alphabets)
    display: str  # the host as a person reads it (other alphabets decoded)
    path: str
    registrable: str  # what someone registered: 'vietcombank-vn.top'
    owner: str | None  # id of the organisation whose domain it is, when official
    owner_name: str | None
    official: bool  # on an official domain (or under gov.vn) and not a platform anyone can use
    imitates: str | None  # id of the organisation whose name a look-alike borrows
    imitates_name: str | None
    flags: frozenset[str]  # shortener, apk, ip, punycode, lookalike, gov-imitation, brand-in-path, platform

    @property
    def safe_text(self) -> str:
        """The address written so that no chat app turns it into a link: 'vietcombank-vn[.]top'."""
        shown = (self.display + self.path).rstrip("/")
        return shown if self.official else shown.replace(".", "[.]")


def _to_ascii(host: str) -> tuple[str, bool] | None:
    """(ascii host, written in another alphabet or punycode?) or None when it cannot be an address."""
    labels = host.split(".")
    out, foreign = [], False
    for label in labels:
        if label.isascii():
            out.append(label)
            foreign = foreign or label.startswith("xn--")
            continue
        try:
            out.append(label.encode("idna").decode("ascii"))
        except UnicodeError:
            return None
        foreign = True
    return ".".join(out), foreign


def _decoded(host: str) -> str:
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                labels.append(label.encode("ascii").decode("idna"))
                continue
            except UnicodeError:
                pass
        labels.append(label)
    return ".".join(labels)


def _owner(host: str, rules: ScamRules) -> Organisation | None:
    """The organisation whose domain holds this host (the longest match wins)."""
    best: Organisation | None = None
    best_len = 0
    for domain, org in rules.domains.items():
        if (host == domain or host.endswith("." + domain)) and len(domain) > best_len:
            best, best_len = org, len(domain)
    return best


def _variants(token: str) -> set[str]:
    out = {token}
    for table in _DIGIT_SWAPS:
        out.add(token.translate(table))
    for variant in list(out):
        for pair, letter in _PAIR_SWAPS:
            if pair in variant:
                out.add(variant.replace(pair, letter))
    return out


def _tokens(host: str) -> list[str]:
    """'vietcombank-vn.top' → ['vietcombank', 'vn', 'top', 'vietcombankvn']: labels, parts, joined parts."""
    out: list[str] = []
    for label in host.split("."):
        parts = [p for p in label.split("-") if p]
        out.extend(parts)
        if len(parts) > 1:
            out.append("".join(parts))
    return out


def _borrowed_brand(host: str, rules: ScamRules) -> Organisation | None:
    """An official name, or a spelling one letter away, inside a host that is not official."""
    sub, domain, _suffix = split(host)
    tokens = _tokens(fold(_decoded(f"{sub}.{domain}" if sub else domain)))
    for token in tokens:
        if token in _GENERIC_TOKENS:
            continue
        for variant in _variants(token):
            if variant in rules.brands:
                return rules.brands[variant]
            for brand, org in rules.brands.items():
                if len(brand) >= 6 and brand in variant:
                    return org
                if 3 <= len(brand) <= 5 and variant.startswith(brand) and len(variant) - len(brand) >= 3 \
                        and variant not in rules.brands and not variant[len(brand)].isdigit():
                    return org
                if len(brand) >= 5 and abs(len(variant) - len(brand)) <= 2:
                    allowed = 1 if len(brand) <= 8 else 2
                    if Levenshtein.distance(variant, brand, score_cutoff=allowed) <= allowed:
                        return org
    return None


def _brand_in_path(path: str, rules: ScamRules) -> Organisation | None:
    words = re.findall(r"[a-z0-9]+", fold(path))
    for word in words:
        if word in rules.brands and len(word) >= 4:
            return rules.brands[word]
    return None


def analyse(text: str, scheme: str, host: str, path: str, rules: ScamRules) -> Link | None:
    host = host.lower().rstrip(".")
    converted = _to_ascii(host)
    if converted is None:
        return None
    ascii_host, foreign = converted
    flags: set[str] = set()
    if _IP.match(ascii_host):
        if not all(0 <= int(part) <= 255 for part in ascii_host.split(".")):
            return None
        flags.add("ip")
        reg = ascii_host
    else:
        _sub, domain, suffix = split(ascii_host)
        if not suffix or not domain:
            return None
        if not scheme and not path and suffix.split(".")[-1] in _WORD_SUFFIXES:
            return None
        reg = registrable(ascii_host)
    if foreign:
        flags.add("punycode")
    if path.lower().split("?")[0].split("#")[0].endswith(".apk") or "apk" in ascii_host.split("."):
        flags.add("apk")
    owner = None if "ip" in flags else _owner(ascii_host, rules)
    under_gov = any(ascii_host.endswith("." + s) for s in rules.official_suffixes)
    official = (owner is not None and owner.official) or under_gov
    if owner is not None and not owner.official:
        flags.add("platform")
    if reg in rules.shorteners or ascii_host in rules.shorteners:
        flags.add("shortener")
        official = False
    imitates: Organisation | None = None
    if not official and owner is None and "shortener" not in flags and "ip" not in flags:
        tokens = set(_tokens(ascii_host))
        if tokens & _GOV_TOKENS:
            flags.add("gov-imitation")
        imitates = _borrowed_brand(ascii_host, rules)
        if imitates is not None:
            flags.add("lookalike")
    if not official and "lookalike" not in flags and "shortener" not in flags and owner is None:
        in_path = _brand_in_path(path, rules)
        if in_path is not None:
            flags.add("brand-in-path")
            imitates = in_path
    if "gov-imitation" in flags and imitates is None:
        imitates = next((o for o in rules.organisations if o.id == "chinhquyen"), None)
    return Link(text=text, host=ascii_host, display=_decoded(ascii_host), path=path.rstrip(_TRAILING),
                registrable=reg, owner=owner.id if owner else None, owner_name=owner.name if owner else None,
                official=official and not flags & {"punycode", "apk"}, imitates=imitates.id if imitates else None,
                imitates_name=imitates.name if imitates else None, flags=frozenset(flags))


def find_links(text: str, rules: ScamRules) -> list[Link]:
    """Every address in the message, in order, each once."""
    found: list[Link] = []
    seen: set[tuple[str, str]] = set()
    for match in _ADDRESS.finditer(text):
        raw = match.group(0).rstrip(_TRAILING)
        path = (match.group("path") or "").rstrip(_TRAILING)
        host = match.group("host")
        link = analyse(raw, match.group("scheme") or match.group("www") or "", host, path, rules)
        if link is None or (link.host, link.path) in seen:
            continue
        seen.add((link.host, link.path))
        found.append(link)
    return found
