"""Signing in to the staff console without a password: a one-time code sent to the staff member's own chat.

The code (8 symbols of `bot.people.codes.ALPHABET`: 40 bits) lives 5 minutes and
works once. Only its digest is stored, in the `codes` table, bound to the
identity it was sent to, so a code typed for another account, or in the chat's
"Nhập mã", matches nothing. A session is a random 256-bit token in a cookie;
the table holds its digest with a sliding idle deadline and the moment it began
(never longer than `MAX_SESSION`). Deleting a person deletes their codes and
sessions with them (foreign key cascade).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Code, User
from bot.people import codes
from bot.people.roles import TRUSTED_CHANNELS, is_staff

CODE_LIFETIME = timedelta(minutes=5)
IDLE = timedelta(minutes=30)
"""A session nobody used for this long is over."""
MAX_SESSION = timedelta(hours=12)
"""However busy, a session ends after a working day."""
RENEW_AFTER = timedelta(minutes=1)
"""The idle deadline is moved at most once a minute (one write, not one per page)."""
SIGNIN, SESSION = "staff-signin", "staff-session"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def code_digest(identity_id: int, code: str) -> str:
    return codes.digest(f"{SIGNIN}:{identity_id}:{code}")


def session_digest(token: str) -> str:
    return hashlib.sha256(f"{SESSION}:{token}".encode("ascii")).hexdigest()


def csrf_token(token: str) -> str:
    """The form token of a session: derived from the cookie's secret, so it needs no storage and is
    worthless without the cookie (which scripts cannot read: HttpOnly)."""
    return hmac.new(token.encode("ascii"), b"staff-csrf", hashlib.sha256).hexdigest()[:32]


def csrf_ok(token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(token), sent or "")


async def find_identity(session: AsyncSession, settings: Settings, handle: str) -> User | None:
    """The Telegram or Zalo identity a staff member names: "telegram:123", "zalo:abc", a bare id (either
    platform; a leading "@" is ignored), or a staff number "#12". None when it is not a staff identity.

    An account listed in BOT_ADMINS that never wrote to the bot has no chat to receive a code, so it
    cannot sign in until it has sent /start once."""
    text = handle.strip().lstrip("@")[:160]
    if not text:
        return None
    query = select(User).where(User.channel.in_(TRUSTED_CHANNELS))
    if text.startswith("#") and text[1:].isdecimal():
        query = query.where(User.id == int(text[1:]))
    elif (channel := text.partition(":")[0].lower()) in TRUSTED_CHANNELS and text.partition(":")[2]:
        query = query.where(User.channel == channel, User.external_id == text.partition(":")[2].strip())
    else:
        query = query.where(User.external_id == text)
    for identity in await session.scalars(query.order_by(User.id).limit(2)):
        if is_staff(identity, settings):
            return identity
    return None


async def issue_code(session: AsyncSession, identity: User) -> str:
    """A fresh sign-in code for `identity`; an earlier one stops working."""
    await session.execute(delete(Code).where(Code.kind == SIGNIN, Code.user_id == identity.id))
    now = datetime.now(UTC)
    code = codes.new_code()
    session.add(Code(digest=code_digest(identity.id, code), kind=SIGNIN, user_id=identity.id,
                     created_by=identity.key, created_at=now, expires_at=now + CODE_LIFETIME))
    await session.flush()
    return code


async def redeem_code(session: AsyncSession, identity: User, text: str) -> bool:
    """Spends the identity's live code `text`; False when wrong, expired or already used."""
    code = codes.normalize(text)
    if code is None:
        return False
    row = await session.get(Code, code_digest(identity.id, code))
    if row is None or row.kind != SIGNIN or row.user_id != identity.id:
        return False
    await session.delete(row)
    await session.flush()
    return _aware(row.expires_at) > datetime.now(UTC)


@dataclass(frozen=True)
class Signed:
    """A live session: the identity acting and the cookie's token."""

    identity: User
    token: str
    needs_renewal: bool = False

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


async def open_session(session: AsyncSession, identity: User) -> str:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(Code(digest=session_digest(token), kind=SESSION, user_id=identity.id, created_by=identity.key,
                     created_at=now, expires_at=now + IDLE))
    await session.flush()
    return token


async def current(session: AsyncSession, settings: Settings, token: str | None, *, renew: bool = True) -> Signed | None:
    """The session the cookie names (its idle deadline moved on when `renew`); None when unknown, idle
    too long, too old, or its identity lost its staff role since (rights are read on every request).
    An ended session's row is removed only when `renew` (a write)."""
    if not token or len(token) > 64:
        return None
    row = await session.get(Code, session_digest(token))
    if row is None or row.kind != SESSION or row.user_id is None:
        return None
    now = datetime.now(UTC)
    identity = await session.get(User, row.user_id)
    over = _aware(row.expires_at) <= now or _aware(row.created_at) + MAX_SESSION <= now
    if over or identity is None or not is_staff(identity, settings):
        if renew:
            await session.delete(row)
        return None
    stale = _aware(row.expires_at) - now < IDLE - RENEW_AFTER
    if stale and renew:
        row.expires_at = min(now + IDLE, _aware(row.created_at) + MAX_SESSION)
    return Signed(identity, token, stale)


async def close_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(Code).where(Code.digest == session_digest(token), Code.kind == SESSION))
