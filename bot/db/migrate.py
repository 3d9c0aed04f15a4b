"""Alembic, driven from code: `bot db upgrade` and `bot run` call `upgrade()`.

A start with the schema already current (nearly every start) does not import Alembic at all
(about 11 MB and a fifth of a second): the newest revision is read from the migration files
and compared with the one the database records.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The newest migration's id: the one revision no other names as its parent (None if not exactly one)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision", ""))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def recorded_revision(database_url: str) -> str | None:
    """The revision the database says it is at; None for a new database (or one that cannot be read)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # no table yet, or no database: Alembic will say what is wrong
        return None
    finally:
        await engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)  # var/ on a fresh checkout
    if revision == "head" and (head := head_revision()) is not None and asyncio.run(recorded_revision(database_url)) == head:
        return
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Writes a new migration from the difference between the models and the database."""
    from alembic import command

    command.revision(alembic_config(database_url), message=message, autogenerate=True)
