"""The open event streams of one process and the poller that wakes them (see `bot.web.live`).

One `LiveHub` per process looks at the outbox every `POLL` seconds with a single
query for all of its open pages and wakes the streams that have something due, so
the database sees one query per second per process, not one per page.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot.config import Settings
from bot.db.models import User
from bot.db.session import Database
from bot.db.staff import OutboxMessage
from bot.outbox.queue import PUSH_CHANNELS, Taken, claim_queued, confirm_shown, release_claim

log = logging.getLogger(__name__)

POLL = 1.0
HEARTBEAT = 15.0
ACK_WAIT = 10.0
"""Seconds a page has to confirm the messages it was sent."""
PER_USER = 3
PER_ADDRESS = 20
"""Open streams from one client address (a family or an office shares one; a script does not get 1,000)."""
MAX_STREAMS = 1000

_WEB = aliased(User)
_TARGET = aliased(User)
_ids = count(1)


def _person(external_ids: list[str]):
    """Web accounts and the person they stand for (the account they were linked to, if any), when that
    person is reached on the web: a web account linked into a Telegram one gets its messages there."""
    return (
        select(_WEB.external_id, _TARGET.id, _TARGET.locale).select_from(_WEB)
        .join(_TARGET, _TARGET.id == func.coalesce(_WEB.merged_into_id, _WEB.id))
        .where(_WEB.channel == "web", _WEB.external_id.in_(external_ids), _TARGET.channel.not_in(PUSH_CHANNELS))
    )


async def locale_of(db: Database, external_id: str) -> str | None:
    """The language a web visitor's page should speak (None before their first message)."""
    async with db.sessions() as session:
        row = (await session.execute(_person([external_id]))).first()
    return row.locale if row else None


def event_json(taken: list[Taken], locale: str) -> dict[str, Any]:
    """An event's payload: the replies shape of POST /api/messages, one reply per message, and their row ids."""
    return {
        "replies": [{"text": t.text, "screen": "inbox", "options": [], "image_url": None, "document_url": None}
                    for t in taken],
        "ids": [t.id for t in taken],
        "locale": locale,
    }


@dataclass(eq=False)
class Stream:
    """One open page: woken by the hub when its person has messages due, or to end when evicted or stopping."""

    external_id: str
    address: str = ""
    name: str = field(default_factory=lambda: f"web-{socket.gethostname()[:30]}-{os.getpid()}-{next(_ids)}")
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    unconfirmed: list[tuple[float, list[int]]] = field(default_factory=list)
    """(deadline on the loop clock, row ids) of what was written and not yet confirmed."""

    def end(self) -> None:
        self.closed = True
        self.wake.set()


class LiveHub:
    """The open event streams of this process and the one poller that wakes them."""

    def __init__(self, db: Database, settings: Settings, *, poll: float = POLL, heartbeat: float = HEARTBEAT,
                 ack_wait: float = ACK_WAIT, per_user: int = PER_USER, per_address: int = PER_ADDRESS,
                 max_streams: int = MAX_STREAMS) -> None:
        self.db, self.settings = db, settings
        self.poll, self.heartbeat, self.ack_wait = poll, heartbeat, ack_wait
        self.per_user, self.per_address, self.max_streams = per_user, per_address, max_streams
        self.streams: dict[str, list[Stream]] = {}
        self._poke = asyncio.Event()
        self._stopping = False

    @property
    def open_count(self) -> int:
        return sum(len(s) for s in self.streams.values())

    def open(self, external_id: str, address: str = "") -> Stream | None:
        """A new stream, or None when this process holds as many as it may (overall or from `address`)."""
        if self._stopping:
            return None
        mine = self.streams.get(external_id, [])
        while len(mine) >= self.per_user:
            self.close(mine[0])  # the oldest tab (often the page before a reload) gives way
            mine = self.streams.get(external_id, [])
        from_address = sum(1 for streams in self.streams.values() for s in streams if s.address == address)
        if self.open_count >= self.max_streams or from_address >= self.per_address:
            return None
        stream = Stream(external_id, address)
        self.streams.setdefault(external_id, []).append(stream)
        self._poke.set()  # what waited while the page was closed comes at once
        return stream

    def close(self, stream: Stream) -> None:
        stream.end()
        mine = self.streams.get(stream.external_id, [])
        if stream in mine:
            mine.remove(stream)
        if not mine:
            self.streams.pop(stream.external_id, None)

    def stop(self) -> None:
        """Server shutting down: every stream ends now, so stopping does not wait for open pages."""
        self._stopping = True
        for mine in list(self.streams.values()):
            for stream in mine:
                stream.end()

    async def due(self) -> set[str]:
        """The open pages' user ids with a message due: one query for all of them."""
        ids = list(self.streams)
        found: set[str] = set()
        now = datetime.now(UTC)
        async with self.db.sessions() as session:
            for start in range(0, len(ids), 500):
                people = _person(ids[start:start + 500]).subquery()
                rows = await session.scalars(
                    select(people.c.external_id).distinct().select_from(people)
                    .join(OutboxMessage, OutboxMessage.user_id == people.c.id)
                    .where(OutboxMessage.status == "queued", OutboxMessage.not_before <= now))
                found.update(rows)
        return found

    async def run(self) -> None:
        """Until cancelled: every `poll` seconds (or at once when a page opens) wake the pages with mail."""
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._poke.wait(), self.poll)
            self._poke.clear()
            if not self.streams:
                continue
            try:
                for external_id in await self.due():
                    for stream in self.streams.get(external_id, []):
                        stream.wake.set()
            except Exception:  # the database is away for a moment: the pages keep waiting
                log.exception("live web chat: outbox poll failed")

    async def claim(self, stream: Stream) -> tuple[list[Taken], str]:
        """Takes this person's due messages for the stream (none if another stream or turn took them)."""
        async with self.db.transaction() as session:
            person = (await session.execute(_person([stream.external_id]))).first()
            if person is None:
                return [], self.settings.default_locale
            return await claim_queued(session, person.id, status="sending", claimed_by=stream.name), person.locale

    async def release(self, stream: Stream, *, expired_only: bool) -> int:
        """Unconfirmed rows of the stream (those past their deadline, or all) back to "queued"; how many."""
        now = asyncio.get_running_loop().time()
        due = [entry for entry in stream.unconfirmed if not expired_only or entry[0] <= now]
        if not due:
            return 0
        stream.unconfirmed = [entry for entry in stream.unconfirmed if entry not in due]
        async with self.db.transaction() as session:
            return await release_claim(session, [i for _, ids in due for i in ids], stream.name)

    async def confirm(self, external_id: str, ids: list[int]) -> int:
        """The page shows these rows: "sent" (whichever process's stream wrote them)."""
        shown = set(ids)
        for stream in self.streams.get(external_id, []):  # written here: nothing to release at the deadline
            stream.unconfirmed = [(deadline, rest) for deadline, rows in stream.unconfirmed
                                  if (rest := [i for i in rows if i not in shown])]
        async with self.db.transaction() as session:
            person = (await session.execute(_person([external_id]))).first()
            return 0 if person is None else await confirm_shown(session, person.id, ids)
