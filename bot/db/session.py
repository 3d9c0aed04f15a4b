"""The database handle: one async engine and a way to open one transaction.

On SQLite the connection is our own (`bot.db.sqlite`): fewer trips to aiosqlite's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from bot.db.models import Base
from bot.db.sqlite import WRITE, database_file, prepare_engine

log = logging.getLogger(__name__)


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    kwargs.setdefault("hide_parameters", True)  # an error's log never carries what people typed
    if make_url(url).get_backend_name() == "sqlite":
        if (file := database_file(url)) is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        prepare_engine(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _flush_and_close(session: Session) -> None:
    session.flush()
    session.close()


class Database:
    """Engine + session factory + (on SQLite) the in-process writer queue and its connection.

    On SQLite only one transaction writes at a time anyway, so writers share one
    connection kept open for them (not one from the pool per transaction: that
    checkout, reset and return cost about a tenth of a conversation turn).
    """

    def __init__(self, url: str, **engine_kwargs: object) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = asyncio.Lock() if self.is_sqlite else None
        self._keeps_writer = database_file(url) is not None
        self._writing: AsyncConnection | None = None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back on error."""
        if self._keeps_writer:
            async with self._writer_transaction() as session:
                yield session
            return
        async with self._writer if self._writer else contextlib.nullcontext(), self.sessions() as session:
            await session.connection(execution_options={WRITE: True})  # begins the transaction
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    @contextlib.asynccontextmanager
    async def _writer_transaction(self) -> AsyncIterator[AsyncSession]:
        assert self._writer is not None
        async with self._writer:
            if self._writing is None or self._writing.closed or self._writing.invalidated:
                connection = await self.engine.connect()
                self._writing = await connection.execution_options(**{WRITE: True})
            connection = self._writing
            try:
                async with connection.begin():  # BEGIN IMMEDIATE; COMMIT at the end, ROLLBACK on error
                    session = AsyncSession(bind=connection, expire_on_commit=False,
                                           join_transaction_mode="rollback_only")
                    try:
                        yield session
                    except BaseException:
                        await session.close()
                        raise
                    await session.run_sync(_flush_and_close)  # one pass through the async layer, not two
            except BaseException:
                if connection.invalidated:  # a broken connection: the next writer opens a new one
                    self._writing = None
                    await connection.close()
                raise
    async def create_all(self) -> None:
        """Creates the tables directly (tests); production uses Alembic migrations."""
        import bot.db.all_models  # noqa: F401  (registers every table)

        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def scrub(self) -> bool:
        """After a deletion: on SQLite, copies the write-ahead log into the database file and empties it,
        so the deleted rows (already overwritten there, `secure_delete`) leave no copy in the log.
        PostgreSQL's VACUUM does the same on its own schedule. False when readers kept the log busy."""
        if self.engine.dialect.name != "sqlite":
            return True
        async with self.engine.connect() as conn:
            busy = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
        return not busy or busy[0] == 0

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            await writing.close()
        await self.engine.dispose()
