"""The SQLite connection of `bot.db.session`: fewer trips to aiosqlite's thread, the same results.

A statement is one trip (not four); a write transaction, COMMIT included, runs on
the event loop and takes no trip; WAL checkpoints run on the thread every
CHECKPOINT_EVERY commits; BEGIN IMMEDIATE waits for another process's write lock
on the thread, so waiting for another writer never stops the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.db.models import ProcessedUpdate, User, rows_changed
from bot.db.session import Database
from bot.db.sqlite import CHECKPOINT_EVERY, _Connection


async def _driver(db: Database) -> _Connection:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
    assert isinstance(driver, _Connection)
    return driver


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await database.create_all()
    try:
        yield database
    finally:
        await database.dispose()


async def test_a_write_transaction_takes_no_trip_and_gets_the_same_results(db: Database) -> None:
    driver = await _driver(db)
    before = driver._sent
    async with db.transaction() as session:
        sent = driver._sent
        user = User(channel="web", external_id="a", state="menu", state_data={"data": {"n": 1}})
        session.add(user)
        await session.flush()  # INSERT … RETURNING: the new id comes back
        assert user.id is not None
        changed = await session.execute(update(User).where(User.channel == "web").values(display_name="Lan"))
        assert rows_changed(changed) == 1
        rows = (await session.execute(select(User.external_id, User.state_data))).all()
        assert rows == [("a", {"data": {"n": 1}})]
        assert driver._sent == sent  # nothing went to the thread
    assert driver._sent == before  # COMMIT too ran here
    async with db.sessions() as session:
        assert await session.scalar(select(User.display_name)) == "Lan"


async def test_a_failing_statement_raises_and_rolls_the_whole_transaction_back(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(insert(ProcessedUpdate).values(channel="web", update_id="1"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(insert(ProcessedUpdate).values(channel="web", update_id="2"))
            await session.execute(insert(ProcessedUpdate).values(channel="web", update_id="1"))
    async with db.transaction() as session:  # the connection is usable again and "2" was undone
        count = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert count == 1


async def test_reads_outside_a_write_transaction_go_to_the_thread(db: Database) -> None:
    driver = await _driver(db)
    async with db.sessions() as session:
        sent = driver._sent
        assert await session.scalar(select(func.count()).select_from(User)) == 0
        assert driver._sent > sent


async def test_waiting_for_another_process_to_write_does_not_stop_the_event_loop(db: Database, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)  # the CLI, in another process
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with db.transaction() as session:
            await session.execute(insert(ProcessedUpdate).values(channel="web", update_id="1"))

    running = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done() and ticks >= 10  # the writer waits on its thread; the loop goes on
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writing, 10)
    running.cancel()
    async with db.transaction() as session:  # the first try, without waiting, left the busy timeout as it was
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 15000
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1


async def test_a_call_cancelled_while_it_runs_on_the_thread_is_waited_for(db: Database) -> None:
    """The rollback that follows must not be skipped, nor run beside the call still running."""
    driver = await _driver(db)
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert raw.driver_connection is driver
        slow = asyncio.create_task(driver._execute(time.sleep, 0.3))
        await asyncio.sleep(0.05)
        slow.cancel()
        await asyncio.gather(slow, return_exceptions=True)
        assert not driver._idle()  # the sleep still runs on the thread
        sent = driver._sent
        await driver.rollback()
        assert driver._sent == sent + 1 and driver._idle()  # queued behind it, not skipped


async def test_in_memory_databases_have_no_wal_and_keep_every_statement_on_the_thread() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    await db.create_all()
    driver = await _driver(db)
    assert not driver._may_run_here
    async with db.transaction() as session:
        sent = driver._sent
        await session.execute(text("SELECT 1"))
        assert driver._sent == sent + 1
    await db.dispose()


def _rows_in_the_file_alone(tmp_path: Path) -> int:
    """processed_updates rows in the database file without its WAL (what a checkpoint has copied)."""
    copy = tmp_path / "copy.db"
    copy.write_bytes((tmp_path / "bot.db").read_bytes())
    with contextlib.closing(sqlite3.connect(copy)) as connection:
        try:
            return int(connection.execute("SELECT count(*) FROM processed_updates").fetchone()[0])
        except sqlite3.OperationalError:  # the table itself is still only in the WAL
            return 0


async def test_the_wal_is_checkpointed_on_the_thread_every_so_many_commits(db: Database, tmp_path: Path) -> None:
    driver = await _driver(db)

    async def record(update_id: str) -> None:
        async with db.transaction() as session:
            await session.execute(
                insert(ProcessedUpdate).values(channel="web", update_id=update_id, processed_at=func.now())
            )

    for n in range(CHECKPOINT_EVERY - 1 - driver._commits % CHECKPOINT_EVERY):
        await record(str(n))
    assert driver._checkpoint is None
    assert _rows_in_the_file_alone(tmp_path) == 0  # commits only appended to the WAL
    sent = driver._sent
    await record("last")  # reaches CHECKPOINT_EVERY commits
    assert driver._checkpoint is not None
    await driver._checkpoint
    assert driver._sent == sent + 1  # the checkpoint went to the thread
    async with db.sessions() as session:
        total = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert _rows_in_the_file_alone(tmp_path) == total > 0


async def test_a_commit_right_after_a_checkpoint_succeeds(db: Database) -> None:
    """The checkpoint leaves no statement open for the moment before its own task wakes up."""
    driver = await _driver(db)
    checkpoint = asyncio.ensure_future(driver._checkpoint_wal())
    await asyncio.sleep(0)  # the checkpoint is handed to the thread
    deadline = time.monotonic() + 5
    while driver._done != driver._sent and time.monotonic() < deadline:
        time.sleep(0.001)  # blocks the event loop: the checkpoint's task cannot wake up yet
    async with db.transaction() as session:  # runs on the event loop, right now
        await session.execute(insert(ProcessedUpdate).values(channel="web", update_id="1", processed_at=func.now()))
    await checkpoint
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1

