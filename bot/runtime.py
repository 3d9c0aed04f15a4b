"""Builds the running product from settings: database, reference data, content, engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.core.engine import Engine
from bot.core.services import Services
from bot.db.session import Database
from bot.lessons.loader import Content, load_content
from bot.units import load_units, read_units

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    services: Services
    engine: Engine

    @property
    def db(self) -> Database:
        return self.services.db

    async def close(self) -> None:
        await self.services.db.dispose()


async def build_runtime(
    settings: Settings, *, db: Database | None = None, content: Content | None = None, load_reference: bool = True
) -> Runtime:
    import bot.handlers  # noqa: F401  (registers every screen)

    database = db or Database(settings.database_url)
    services = Services(settings=settings, db=database, content=content or load_content())
    services.files_dir.mkdir(parents=True, exist_ok=True)
    if load_reference:
        async with database.transaction() as session:
            wards, tdps = await load_units(session, read_units())
        log.info("reference data loaded: %d wards, %d TDPs", wards, tdps)
    return Runtime(settings, services, Engine(services))
