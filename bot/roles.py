"""Who may do what. Staff rights never come from the web chat, whose ids the browser chooses."""

from __future__ import annotations

from bot.config import Settings
from bot.db.models import User

STAFF_ROLES = frozenset({"admin", "staff", "tdp-leader"})


def is_admin(user: User, settings: Settings) -> bool:
    return user.channel != "web" and (user.role == "admin" or user.key in settings.admins)


def is_staff(user: User, settings: Settings) -> bool:
    return user.channel != "web" and (user.role in STAFF_ROLES or user.key in settings.admins)


def staff_tdp_scope(user: User) -> int | None:
    """A TDP leader sees and reaches only their own TDP; other staff the whole ward (None)."""
    return user.scope_tdp_id if user.role == "tdp-leader" else None
