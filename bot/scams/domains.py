"""Registrable domains offline: the Public Suffix List that ships inside `tldextract`.

`tldextract` knows that `dichvucong.gov.vn` is registered under `gov.vn` and that
`dichvucong.gov.vn.xacminh-hoso.top` is really `xacminh-hoso.top`. It is built here with no
suffix-list URL and no cache directory, so it never goes on the network and never writes a file:
it reads the snapshot bundled with the package. It is loaded at the first link checked, not at
start (about 5 MB with the HTTP library it brings).
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tldextract import TLDExtract


@cache
def _extractor() -> TLDExtract:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@lru_cache(maxsize=4096)
def split(host: str) -> tuple[str, str, str]:
    """'a.b.vietcombank-vn.top' → ('a.b', 'vietcombank-vn', 'top'); the suffix is '' when unknown."""
    parts = _extractor()(host)
    return parts.subdomain, parts.domain, parts.suffix


def registrable(host: str) -> str:
    """The part someone registered: 'x.y.evn.com.vn' → 'evn.com.vn' ('' when the suffix is unknown)."""
    _, domain, suffix = split(host)
    return f"{domain}.{suffix}" if domain and suffix else ""


def has_known_suffix(host: str) -> bool:
    return bool(split(host)[2])


def is_public_suffix(name: str) -> bool:
    """'gov.vn', 'com.vn', 'top' are suffixes anyone registers under; 'evn.com.vn' is not."""
    subdomain, domain, suffix = split(name)
    return not subdomain and not domain and bool(suffix)
