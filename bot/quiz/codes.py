"""Certificate verification codes.

A code looks like ``XXXX-XXXX-XXXX``: 12 symbols from a 32-symbol alphabet
(upper-case letters and digits without the look-alikes O/0 and I/1), so each
symbol carries exactly 5 bits::

    position   1 ........ 7   8 ...... 12
    content    random (35 b)  MAC (25 b)

* The first 7 symbols are random (``secrets``): 35 bits, about 3.4e10
  possibilities.  A code is only *valid* if the database holds a certificate
  with it, so together with that lookup the codes cannot be guessed or
  enumerated: someone who knows a few real codes learns nothing about others.
* The last 5 symbols are HMAC-SHA256(key, random part) truncated to 25 bits.
  Whoever holds the key (the bot, the public ``/verify/<code>`` page) can
  reject a mistyped or made-up code *without touching the database*: any single
  changed, swapped or missing character fails, and a forged code passes only
  with probability 2**-25 (about 1 in 33 million).  That keeps typos out of the
  logs and makes a database-hammering scan pointless.

The MAC is a filter, not the proof: a well-signed code still has to be looked
up.  Everything here is pure (no database, no I/O).
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from hashlib import sha256

from bot.people.codes import ALPHABET

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "is_well_signed",
    "new_code",
    "normalize",
]

assert len(ALPHABET) == 32 and len(set(ALPHABET)) == 32

RANDOM_SYMBOLS = 7  # 35 bits
MAC_SYMBOLS = 5  # 25 bits
CODE_LENGTH = RANDOM_SYMBOLS + MAC_SYMBOLS  # 12
GROUP = 4

_ALPHABET_SET = frozenset(ALPHABET)
# Characters people put between groups (or that chat apps insert) and that we
# simply drop: spaces of all kinds, ASCII and typographic dashes, dots, "_".
_SEPARATORS = frozenset(" \t\r\n\u00a0\u2009\u202f-\u2010\u2011\u2012\u2013\u2014\u2212._")


def _mac_symbols(key: bytes, body: str) -> str:
    """The 5 MAC symbols for a 7-symbol random part (first 25 bits of the HMAC)."""
    digest = hmac.new(key, body.encode("ascii"), sha256).digest()
    value = int.from_bytes(digest[:4], "big") >> (32 - 5 * MAC_SYMBOLS)
    out = []
    for shift in range(5 * (MAC_SYMBOLS - 1), -1, -5):
        out.append(ALPHABET[(value >> shift) & 31])
    return "".join(out)


def _format(symbols: str) -> str:
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def _sign(key: bytes, body: str) -> str:
    """Full formatted code for a given random part (used by new_code and tests)."""
    if len(body) != RANDOM_SYMBOLS or not set(body) <= _ALPHABET_SET:
        raise ValueError(f"random part must be {RANDOM_SYMBOLS} alphabet symbols")
    return _format(body + _mac_symbols(key, body))


def new_code(key: bytes) -> str:
    """A fresh code ``XXXX-XXXX-XXXX``: 7 random symbols + 5 MAC symbols.

    Uniqueness is not guaranteed here (2**35 space); the caller stores the code
    under a UNIQUE constraint and draws again on the (rare) collision.
    """
    if not key:
        raise ValueError("key must not be empty")
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return _sign(key, body)


def normalize(text: str) -> str | None:
    """Canonical ``XXXX-XXXX-XXXX`` form of what a person typed, or ``None``.

    Accepts lower case, spaces, missing or extra dashes ("abcd efgh jkmn",
    "ABCDEFGHJKMN", " abcd-efgh-jkmn ") and full-width characters (NFKC).
    Characters outside the alphabet -- including O, 0, I and 1, which never
    appear in a code -- make the text invalid: guessing what was meant would
    only turn one wrong code into another.  Exactly 12 symbols are required.
    Does not check the MAC; see :func:`is_well_signed`.
    """
    if not isinstance(text, str):
        return None
    text = unicodedata.normalize("NFKC", text).upper()
    symbols = [ch for ch in text if ch not in _SEPARATORS]
    if len(symbols) != CODE_LENGTH or not all(ch in _ALPHABET_SET for ch in symbols):
        return None
    return _format("".join(symbols))


def is_well_signed(code: str, key: bytes) -> bool:
    """True if ``code`` (any form :func:`normalize` accepts) carries a valid MAC.

    Constant-time comparison of the MAC symbols.  A True result only means the
    code was produced with ``key``; the certificate must still be looked up.
    """
    canonical = normalize(code)
    if canonical is None or not key:
        return False
    symbols = canonical.replace("-", "")
    body, mac = symbols[:RANDOM_SYMBOLS], symbols[RANDOM_SYMBOLS:]
    return hmac.compare_digest(_mac_symbols(key, body), mac)
