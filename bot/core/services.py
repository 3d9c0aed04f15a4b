"""Everything a screen may need besides the database session, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import FILES_DIR, Settings
from bot.core.limits import Counter, LocalCounter
from bot.db.session import Database

if TYPE_CHECKING:
    from bot.content.loader import Content


@dataclass
class Services:
    settings: Settings
    db: Database
    content: Content
    files_dir: Path = FILES_DIR
    limits: Counter = field(default_factory=LocalCounter)
    """Counts failed code guesses and the like; shared through Redis when scaled out."""
    extras: dict[str, Any] = field(default_factory=dict)
