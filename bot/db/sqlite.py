"""The SQLite side of the database handle: our aiosqlite connection and the engine's pragmas.

SQLite (the embedded default) allows one writer at a time. Each writing
transaction (`transaction()`) starts with BEGIN IMMEDIATE (so it never has to
upgrade from reader to writer and fail with "database is locked"); read-only
sessions (`sessions()`) start a plain BEGIN and, with WAL, never wait; a busy
timeout covers other processes (the CLI next to a running bot). Inside one
process an asyncio lock queues writers so that threads don't spin in SQLite's
busy handler.

aiosqlite runs every call on the connection's own thread, and each call is a
trip there and back through the event loop; all the trips of a writing
transaction are spent holding the writer lock, while every other update waits.
So the connection here (`_Connection`) takes fewer trips, with the same SQL and
the same transactions: a statement runs, is read and closed in one trip (not
four); BEGIN IMMEDIATE is first tried on the event loop without waiting (busy
timeout 0) and goes to the thread, to wait there, only when another process
holds the write lock; once it has the lock, the statements of that transaction
and its COMMIT run on the event loop too (a few tens of microseconds each: in
WAL mode the holder of the write lock waits for nobody, and a commit appends to
the WAL without syncing). Copying the WAL back into the database file (a
checkpoint, which writes and syncs files) is not left to the commit that
happens to cross SQLite's threshold: it runs on the thread every
CHECKPOINT_EVERY commits. A writing transaction takes no trip at all.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)


WRITE = "bot_write"
BEGIN_WRITE = "BEGIN IMMEDIATE"
BUSY_TIMEOUT = "PRAGMA busy_timeout=15000"
CHECKPOINT_EVERY = 200
"""Commits between two WAL checkpoints (SQLite's own default is about every 1000 pages)."""


class _Cursor:
    """The cursor SQLAlchemy's aiosqlite adapter gets from `_Connection`.

    aiosqlite's own cursor takes a trip to open, one to execute, one to fetch and
    one to close. SQLAlchemy reads all rows right after executing anyway (no
    server-side cursors here), so this one executes, fetches and closes in one
    go, and keeps what the adapter reads afterwards: rows, description, rowcount,
    lastrowid. Errors are raised by `execute`, as before.
    """

    __slots__ = ("_owner", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, owner: _Connection) -> None:
        self._owner = owner
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def _run(self, many: bool, sql: str, parameters: Any) -> list[Any]:
        """On the connection's thread, or on the event loop inside a write transaction."""
        cursor = self._owner._conn.cursor()
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            rows = cursor.fetchall() if cursor.description is not None else []
            self.description, self.rowcount, self.lastrowid = cursor.description, cursor.rowcount, cursor.lastrowid
            return rows
        finally:
            cursor.close()

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Cursor:
        parameters = [] if parameters is None else parameters
        owner = self._owner
        if owner._writing():
            self._rows = self._run(False, sql, parameters)
        elif sql == BEGIN_WRITE and owner._may_run_here and owner._idle() and self._begin_if_free(parameters):
            owner._write_locked = True
        else:
            self._rows = await owner._execute(self._run, False, sql, parameters)
            if sql == BEGIN_WRITE:  # reached only when BEGIN IMMEDIATE succeeded and was not cancelled
                owner._write_locked = owner._may_run_here
        return self

    def _begin_if_free(self, parameters: Any) -> bool:
        """BEGIN IMMEDIATE right here if no other process writes; else False (and no transaction)."""
        connection = self._owner._conn
        connection.execute("PRAGMA busy_timeout=0").close()
        try:
            self._rows = self._run(False, BEGIN_WRITE, parameters)
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            connection.execute(BUSY_TIMEOUT).close()

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> _Cursor:
        owner = self._owner
        if owner._writing():
            self._rows = self._run(True, sql, parameters)
        else:
            self._rows = await owner._execute(self._run, True, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def __aiter__(self) -> AsyncIterator[Any]:
        while self._rows:
            yield self._rows.pop(0)

    async def close(self) -> None:
        self._rows = []  # the sqlite3 cursor is closed already

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def __await__(self):
        return self.__aenter__().__await__()


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection, taking fewer trips to its thread (see the module docstring).

    Running a statement on the event loop is safe only when nothing else uses
    the sqlite3 connection at that moment: the thread must be idle (a call whose
    caller was cancelled may still be running there, so calls sent and calls
    finished are counted), and the connection must allow other threads
    (check_same_thread=False, SQLAlchemy's default for files). It is done only
    in WAL mode, where holding the write lock means waiting for no one.
    """

    _may_share_thread = False  # check_same_thread=False
    _may_run_here = False  # … and WAL: set when the connection is set up
    _write_locked = False  # inside a transaction begun with BEGIN IMMEDIATE
    _commits = 0
    _checkpoint: asyncio.Future[None] | None = None
    _sent = 0  # calls handed to the thread (written on the event loop only)
    _done = 0  # calls the thread finished (written on the thread only)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            return await super()._execute(fn, *args, **kwargs)  # raises "Connection closed"
        self._sent += 1
        return await super()._execute(self._counted, partial(fn, *args, **kwargs))

    def _counted(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        finally:
            self._done += 1

    def _idle(self) -> bool:
        """Nothing is running on the thread, and the sqlite3 connection is open."""
        return self._sent == self._done and self._connection is not None

    def _writing(self) -> bool:
        if self._write_locked:
            if self._idle() and self._conn.in_transaction:
                return True
            self._write_locked = False
        return False

    def cursor(self) -> _Cursor:  # type: ignore[override]
        return _Cursor(self)

    async def commit(self) -> None:
        if self._writing():  # in WAL mode a commit only appends to the WAL: no need for the thread
            self._write_locked = False
            self._conn.commit()
        else:
            self._write_locked = False
            await super().commit()
        if self._may_run_here:
            self._commits += 1
            if self._commits % CHECKPOINT_EVERY == 0 and self._checkpoint is None:
                self._checkpoint = asyncio.ensure_future(self._checkpoint_wal())

    def _checkpoint_here(self) -> None:
        # Read to the end and closed here: a statement left open (a cursor handed back to the
        # event loop) would make the next COMMIT fail with "SQL statements in progress".
        cursor = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        try:
            cursor.fetchall()
        finally:
            cursor.close()

    async def _checkpoint_wal(self) -> None:
        """Copies the WAL into the database file on the thread (it writes and syncs files; see `_on_connect`)."""
        try:
            if self._running and self._connection is not None:
                await self._execute(self._checkpoint_here)
        except Exception as exc:
            log.warning("sqlite: WAL checkpoint failed: %s", exc)
        finally:
            self._checkpoint = None

    async def rollback(self) -> None:
        self._write_locked = False
        # The pool rolls back every connection it gets back, mostly ones just committed, and
        # sqlite3 does nothing outside a transaction: then there is no need for the trip either.
        if self._may_share_thread and self._idle() and not self._conn.in_transaction:
            return
        await super().rollback()


def _connect(database: str | bytes | Path, *, iter_chunk_size: int = 64, **kwargs: Any) -> _Connection:
    """`aiosqlite.connect`, with `_Connection` (SQLAlchemy awaits it)."""
    location = database.decode() if isinstance(database, bytes) else str(database)
    connection = _Connection(partial(sqlite3.connect, location, **kwargs), iter_chunk_size)
    connection._may_share_thread = kwargs.get("check_same_thread") is False
    thread: Any = getattr(connection, "_thread", connection)  # aiosqlite < 0.22: the connection is the Thread
    thread.daemon = True  # as SQLAlchemy does
    return connection


def prepare_engine(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "do_connect")
    def _use_our_connection(_dialect, _record, _cargs, cparams) -> None:
        # SQLAlchemy's aiosqlite adapter calls `async_creator_fn(*cargs, **cparams)` in place of
        # aiosqlite.connect: the same arguments (URL, connect_args), our connection class.
        cparams["async_creator_fn"] = _connect

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        wal = (cursor.fetchone() or [""])[0] == "wal"  # not for :memory: or where WAL is unavailable
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(BUSY_TIMEOUT)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left readable in the file
        driver = dbapi_connection.driver_connection
        if isinstance(driver, _Connection):
            driver._may_run_here = wal and driver._may_share_thread
            if driver._may_run_here:  # commits run on the event loop: checkpoints go to the thread
                cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:
        # Writers take the write lock up front; readers never block anyone (WAL snapshot).
        conn.exec_driver_sql(BEGIN_WRITE if conn.get_execution_options().get(WRITE) else "BEGIN")


def database_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)
