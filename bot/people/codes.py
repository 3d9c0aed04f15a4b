"""Codes a person types or taps to join something: link accounts, a mentor's invitation, a household,
the mentor approval code staff hand out.

Every code is 8 symbols of `ALPHABET` (upper-case letters and digits without
the look-alikes O/0, I/1; certificate codes use it too): 40 bits, shown grouped `K7QM-9TXA`,
read in any case, with or without the dash or spaces. A code is single-use and
expires. Only its SHA-256 digest is stored and looked up, so neither the
database nor the time a lookup takes tells anything about a live code.
Guessing is limited in `bot.handlers.codes` (per identity, per channel,
globally); a failed guess writes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Code, rows_changed

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""32 symbols an elderly person can read out and type without confusing two of them: 5 bits each."""
LENGTH = 8
"""5 bits a symbol: 40 bits."""
LIFETIME = {
    "link": timedelta(minutes=10),
    "invite": timedelta(days=14),
    "household": timedelta(days=7),
    "approval": timedelta(days=7),
}
LIVE_PER_OWNER = 10
"""Codes an owner may hold at once (a mentor handing out invitations); the oldest go first."""
_PREFIXES = ("MA", "M")
_ALPHABET = frozenset(ALPHABET)


@dataclass(frozen=True)
class Redeemed:
    """What a code pointed at (the row itself is gone or about to go)."""

    kind: str
    digest: str
    user_id: int | None
    mentor_id: int | None
    household_id: int | None


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """'K7QM9TXA' → 'K7QM-9TXA': two groups an elderly person can read out and type."""
    return f"{code[:4]}-{code[4:]}"


def normalize(text: str) -> str | None:
    """What people type ("k7qm-9txa", "mã: K7QM 9TXA", "m_K7QM9TXA") → "K7QM9TXA"; None if it cannot be a code."""
    plain = unicodedata.normalize("NFD", text.upper().replace("Đ", "D"))
    cleaned = "".join(ch for ch in plain if ch.isascii() and ch.isalnum())
    for prefix in _PREFIXES:
        if len(cleaned) == LENGTH + len(prefix) and cleaned.startswith(prefix):
            cleaned = cleaned[len(prefix):]
    if len(cleaned) != LENGTH or not set(cleaned) <= _ALPHABET:
        return None
    return cleaned


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


async def issue(session: AsyncSession, kind: str, *, user_id: int | None = None, mentor_id: int | None = None,
                household_id: int | None = None, created_by: str | None = None, replace: bool = False) -> str:
    """A fresh code of `kind`; `replace` drops the owner's earlier codes of that kind (a link code)."""
    owner = _owner(kind, user_id, mentor_id, household_id)
    if replace and owner is not None:
        await session.execute(delete(Code).where(Code.kind == kind, owner))
    elif owner is not None:
        live = list(await session.scalars(select(Code.digest).where(Code.kind == kind, owner)
                                          .order_by(Code.created_at.desc()).offset(LIVE_PER_OWNER - 1)))
        if live:
            await session.execute(delete(Code).where(Code.digest.in_(live)))
    now = datetime.now(UTC)
    code = new_code()
    session.add(Code(digest=digest(code), kind=kind, user_id=user_id, mentor_id=mentor_id, household_id=household_id,
                     created_by=created_by, created_at=now, expires_at=now + LIFETIME[kind]))
    await session.flush()
    return code


def _owner(kind: str, user_id: int | None, mentor_id: int | None, household_id: int | None):
    if mentor_id is not None:
        return Code.mentor_id == mentor_id
    if household_id is not None:
        return Code.household_id == household_id
    if user_id is not None:
        return Code.user_id == user_id
    return None


async def look_up(session: AsyncSession, text: str) -> Redeemed | None:
    """The live code `text` names, without using it (a mentee first says yes); None if unknown or expired."""
    code = normalize(text)
    if code is None:
        return None
    row = await session.get(Code, digest(code))
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        await session.delete(row)
        return None
    return Redeemed(row.kind, row.digest, row.user_id, row.mentor_id, row.household_id)


async def use(session: AsyncSession, code_digest: str) -> bool:
    """Spends a code looked up before; False when someone else used it in between (single use)."""
    result = await session.execute(delete(Code).where(Code.digest == code_digest))
    return rows_changed(result) > 0


async def purge_expired(session: AsyncSession, now: datetime | None = None) -> int:
    result = await session.execute(delete(Code).where(Code.expires_at <= (now or datetime.now(UTC))))
    return rows_changed(result)
