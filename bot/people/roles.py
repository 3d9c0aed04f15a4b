"""Who may do what, decided from the identity that sent this update.

An identity is one account on one channel (a `User` row: channel + external
id). Linking accounts merges a *person's* learning, never rights: a right is
read from the identity that is speaking now, so a web-chat visitor who redeems
an admin's link code learns along with them but cannot act for them. A web-chat
id is a string the browser chooses, so it holds no right at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import User
from bot.db.network import Mentor
from bot.people.audit import Actor, record

STAFF_ROLES = frozenset({"admin", "staff", "tdp-leader"})
TRUSTED_CHANNELS = ("telegram", "zalo")
"""Channels whose ids the platform vouches for; the web chat's ids are chosen by the browser."""


def is_trusted(identity: User) -> bool:
    return identity.channel in TRUSTED_CHANNELS


def is_admin(identity: User, settings: Settings) -> bool:
    return is_trusted(identity) and (identity.role == "admin" or identity.key in settings.admins)


def is_staff(identity: User, settings: Settings) -> bool:
    return is_trusted(identity) and (identity.role in STAFF_ROLES or identity.key in settings.admins)


def staff_tdp_scope(identity: User) -> int | None:
    """A TDP leader sees and reaches only their own TDP; other staff the whole ward (None)."""
    return identity.scope_tdp_id if identity.role == "tdp-leader" else None


async def approved_mentor_of(session: AsyncSession, identity: User) -> Mentor | None:
    """The Đại sứ số record this identity holds, when approved and on a trusted channel."""
    if not is_trusted(identity):
        return None
    return await session.scalar(select(Mentor).where(Mentor.user_id == identity.id, Mentor.status == "approved"))


Check = Callable[[AsyncSession, User, Settings], Awaitable[bool]]


@dataclass(frozen=True)
class Right:
    """What a screen requires of the identity speaking; `refused` is the message key of the refusal."""

    name: str
    check: Check
    refused: str

    async def held_by(self, session: AsyncSession, identity: User, settings: Settings) -> bool:
        return await self.check(session, identity, settings)


async def _staff(_session: AsyncSession, identity: User, settings: Settings) -> bool:
    return is_staff(identity, settings)


async def _admin(_session: AsyncSession, identity: User, settings: Settings) -> bool:
    return is_admin(identity, settings)


async def _mentor(session: AsyncSession, identity: User, _settings: Settings) -> bool:
    return await approved_mentor_of(session, identity) is not None


async def _chat_account(_session: AsyncSession, identity: User, _settings: Settings) -> bool:
    return is_trusted(identity)


STAFF = Right("staff", _staff, "rights.refused_staff")
ADMIN = Right("admin", _admin, "rights.refused_admin")
MENTOR = Right("mentor", _mentor, "rights.refused_mentor")
CHAT_ACCOUNT = Right("chat-account", _chat_account, "rights.refused_web")
"""A Telegram or Zalo identity: needed to become a mentor, whose work reaches other people."""


ROLES = ("staff", "tdp-leader", "admin", "learner")
"""What `grant_role` gives; "learner" takes a staff role away."""


async def grant_role(session: AsyncSession, actor: Actor, channel: str, external_id: str, role: str,
                     scope_tdp_id: int | None) -> User:
    """Gives the Telegram or Zalo identity `channel:external_id` a role (creating its row if it never wrote)."""
    if channel not in TRUSTED_CHANNELS or not external_id or role not in ROLES:
        raise ValueError(f"cannot give {role!r} to {channel}:{external_id}")
    identity = await session.scalar(select(User).where(User.channel == channel, User.external_id == external_id))
    if identity is None:
        identity = User(channel=channel, external_id=external_id, state=None, state_data={})
        session.add(identity)
        await session.flush()
    identity.role = role
    identity.scope_tdp_id = scope_tdp_id if role == "tdp-leader" else None
    record(session, actor, "role.change", target=identity.key, detail=f"role={role} tdp={scope_tdp_id or ''}")
    return identity
