"""The live web chat: `GET /api/events?user_id=…` streams a web resident's outbox messages (Server-Sent Events).

Mentor answers, approvals, broadcasts and reminders for a web resident wait in the
outbox like everyone else's (the outbox worker leaves them: it only sends on
Telegram and Zalo). While the resident's page is open, it holds one event stream:

- each event is `data: {"replies": [...], "locale": "vi"}` with replies in the
  shape of `POST /api/messages` (`screen` "inbox", no options: the buttons of the
  screen the person is on stay valid), and `id:` the last outbox row it carries;
- a row is claimed for one stream by a guarded UPDATE (`bot.outbox.claim_queued`),
  written, then marked "sent" with `sent_at`; if the page went away first it goes
  back to "queued". Two tabs or two processes never both get a row; a row nobody
  streamed is shown at the person's next turn (`take_inbox`);
- a comment line every `HEARTBEAT` seconds keeps proxies from closing the stream
  and finds pages that have gone;
- at most `PER_USER` streams per user id (a newer one closes the oldest: a reload
  must not be refused) and `MAX_STREAMS` per process (then 503 with `Retry-After`).

One `LiveHub` per process looks at the outbox every `POLL` seconds with a single
query for all of its open pages and wakes the streams that have something due, so
the database sees one query per second per process, not one per page.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import count
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot.config import Settings
from bot.db.models import User
from bot.db.session import Database
from bot.db.staff import OutboxMessage
from bot.outbox import PUSH_CHANNELS, Taken, claim_queued, finish_broadcasts, settle_claim
from bot.web.keys import LIVE, RUNTIME

log = logging.getLogger(__name__)

POLL = 1.0
HEARTBEAT = 15.0
RETRY_MS = 5000
"""How long the browser waits before it reconnects a dropped stream."""
PER_USER = 3
MAX_STREAMS = 1000
USER_ID = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
"""The same rule as `user_id` in POST /api/messages."""

_WEB = aliased(User)
_TARGET = aliased(User)
_ids = count(1)


def _person(external_ids: list[str]):  # type: ignore[no-untyped-def]
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
    """An event's payload: the replies shape of POST /api/messages, one reply per message."""
    return {
        "replies": [{"text": t.text, "screen": "inbox", "options": [], "image_url": None, "document_url": None}
                    for t in taken],
        "locale": locale,
    }


@dataclass(eq=False)
class Stream:
    """One open page: woken by the hub when its person has messages due, or to end when evicted or stopping."""

    external_id: str
    name: str = field(default_factory=lambda: f"web-{socket.gethostname()[:30]}-{os.getpid()}-{next(_ids)}")
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    def end(self) -> None:
        self.closed = True
        self.wake.set()


class LiveHub:
    """The open event streams of this process and the one poller that wakes them."""

    def __init__(self, db: Database, settings: Settings, *, poll: float = POLL, heartbeat: float = HEARTBEAT,
                 per_user: int = PER_USER, max_streams: int = MAX_STREAMS) -> None:
        self.db, self.settings = db, settings
        self.poll, self.heartbeat = poll, heartbeat
        self.per_user, self.max_streams = per_user, max_streams
        self.streams: dict[str, list[Stream]] = {}
        self._poke = asyncio.Event()
        self._stopping = False

    @property
    def open_count(self) -> int:
        return sum(len(s) for s in self.streams.values())

    def open(self, external_id: str) -> Stream | None:
        """A new stream, or None when this process holds as many as it may."""
        if self._stopping:
            return None
        mine = self.streams.setdefault(external_id, [])
        while len(mine) >= self.per_user:
            mine.pop(0).end()  # the oldest tab (often the page before a reload) gives way
        if self.open_count >= self.max_streams:
            if not mine:
                del self.streams[external_id]
            return None
        stream = Stream(external_id)
        mine.append(stream)
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
        now = datetime.now(timezone.utc)
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

    async def settle(self, stream: Stream, taken: list[Taken], *, sent: bool) -> None:
        async with self.db.transaction() as session:
            await settle_claim(session, [t.id for t in taken], stream.name, sent=sent)
            if sent:
                await finish_broadcasts(session, {t.broadcast_id for t in taken if t.broadcast_id is not None})


async def _deliver(hub: LiveHub, stream: Stream, response: web.StreamResponse) -> None:
    """Writes what is due, then marks it sent; a page gone meanwhile gives the rows back (and raises)."""
    while True:
        taken, locale = await hub.claim(stream)
        if not taken:
            return
        payload = json.dumps(event_json(taken, locale), ensure_ascii=False)
        try:
            await _write(response, f"id: {taken[-1].id}\ndata: {payload}\n\n")
        except BaseException:  # the page is gone (or the server stops): the rows wait for the next turn
            await asyncio.shield(hub.settle(stream, taken, sent=False))
            raise
        await asyncio.shield(hub.settle(stream, taken, sent=True))


def _error(status: int, code: str, message: str) -> web.Response:
    """The JSON error shape of POST /api/messages."""
    return web.json_response({"error": code, "message": message}, status=status,
                             dumps=lambda data: json.dumps(data, ensure_ascii=False))


async def _write(response: web.StreamResponse, text: str) -> None:
    await response.write(text.encode())


async def api_events(request: web.Request) -> web.StreamResponse:
    """GET /api/events?user_id=…: the event stream of one open page."""
    user_id = request.query.get("user_id", "")
    if not USER_ID.match(user_id):
        return _error(400, "bad_user_id", "Thiếu user_id hoặc user_id không hợp lệ (1–128 ký tự chữ, số, - và _).")
    hub = request.app[LIVE]
    stream = hub.open(user_id)
    if stream is None:
        response = _error(503, "busy", "Hệ thống đang bận. Tin nhắn mới sẽ hiện khi bạn gửi tin tiếp theo.")
        response.headers["Retry-After"] = "30"
        return response
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-store",
        "X-Accel-Buffering": "no",  # nginx: pass events through at once
    })
    try:
        await response.prepare(request)
        await _write(response, f"retry: {RETRY_MS}\n: connected\n\n")
        while not stream.closed:
            stream.wake.clear()
            await _deliver(hub, stream, response)
            try:
                await asyncio.wait_for(stream.wake.wait(), hub.heartbeat)
            except asyncio.TimeoutError:
                await _write(response, ": ping\n\n")
    except ConnectionResetError:
        pass  # the page was closed
    finally:
        hub.close(stream)
    return response


async def _poller(app: web.Application) -> AsyncIterator[None]:
    hub = app[LIVE]
    task = asyncio.create_task(hub.run(), name="live-web-chat")
    yield
    hub.stop()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _stop_streams(app: web.Application) -> None:
    app[LIVE].stop()


def setup(app: web.Application) -> None:
    runtime = app[RUNTIME]
    app[LIVE] = LiveHub(runtime.db, runtime.settings)
    app.router.add_get("/api/events", api_events)
    app.cleanup_ctx.append(_poller)
    app.on_shutdown.append(_stop_streams)
