"""The audit log: every staff action and every refused one, with the identity that acted.

`Actor.who` is the acting identity ("telegram:9001", "web:…", "cli"), never
only the merged person, and `Actor.via` says which screen or command acted, so
`bot audit` answers "who did this, from where".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry

MAX_FIELD = 160


@dataclass(frozen=True)
class Actor:
    who: str
    via: str

    @classmethod
    def cli(cls, command: str) -> Actor:
        return cls("cli", f"cli:{command}")


def record(session: AsyncSession, actor: Actor, action: str, target: str | None = None,
           detail: str | None = None) -> AuditEntry:
    """Adds one entry to the session's transaction: it is kept exactly when the action is."""
    entry = AuditEntry(actor=actor.who[:MAX_FIELD], via=actor.via[:64], action=action,
                       target=target[:MAX_FIELD] if target else None, detail=detail)
    session.add(entry)
    return entry
