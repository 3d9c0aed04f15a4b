"""The live web chat: `GET /api/events?user_id=…` streams a web resident's outbox messages (Server-Sent Events).

Mentor answers, approvals, broadcasts and reminders for a web resident wait in the
outbox like everyone else's (the outbox worker leaves them: it only sends on
Telegram and Zalo). While the resident's page is open, it holds one event stream:

- each event is `data: {"replies": [...], "ids": [...], "locale": "vi"}` with replies
  in the shape of `POST /api/messages` (`screen` "inbox", no options: the buttons of
  the screen the person is on stay valid), `ids` the outbox rows they come from, and
  `id:` the last of them;
- a row is claimed for one stream by a guarded UPDATE (`bot.outbox.queue.claim_queued`,
  status "sending"), written, and marked "sent" with `sent_at` when the page confirms
  it with `POST /api/events/ack {"user_id", "ids"}`. A write to a page that has just
  been closed can succeed (the browser had not yet dropped the connection), so
  "written" is not "seen": a row not confirmed within `ACK_WAIT` goes back to
  "queued" and that stream is ended (a live page reconnects at once and gets it
  again; the page ignores ids it already shows). Two tabs or two processes never
  both get a row; a row no page took is shown at the person's next turn (`take_inbox`);
- a comment line every `HEARTBEAT` seconds keeps proxies from closing the stream
  and finds pages that have gone;
- at most `PER_USER` streams per user id (a newer one closes the oldest: a reload
  must not be refused) and `MAX_STREAMS` per process (then 503 with `Retry-After`).

The streams of a process and the poller that wakes them: `bot.web.live_hub`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator

from aiohttp import web

from bot.web.api import ADDRESS_WINDOW, TOO_MANY, client_address
from bot.web.keys import ADDRESSES, LIVE, RUNTIME
from bot.web.live_hub import LiveHub, Stream, event_json

RETRY_MS = 5000
"""How long the browser waits before it reconnects a dropped stream."""
MAX_ACK = 50
USER_ID = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
"""The same rule as `user_id` in POST /api/messages."""


async def _deliver(hub: LiveHub, stream: Stream, response: web.StreamResponse) -> None:
    """Writes what is due; the rows wait in "sending" for the page's confirmation."""
    while True:
        taken, locale = await hub.claim(stream)
        if not taken:
            return
        stream.unconfirmed.append((asyncio.get_running_loop().time() + hub.ack_wait, [t.id for t in taken]))
        payload = json.dumps(event_json(taken, locale), ensure_ascii=False)
        await _write(response, f"id: {taken[-1].id}\ndata: {payload}\n\n")


def _error(status: int, code: str, message: str) -> web.Response:
    """The JSON error shape of POST /api/messages."""
    return web.json_response({"error": code, "message": message}, status=status,
                             dumps=lambda data: json.dumps(data, ensure_ascii=False))


async def _write(response: web.StreamResponse, text: str) -> None:
    await response.write(text.encode())


def _address(request: web.Request) -> tuple[str, bool]:
    """The client's address, and whether it is past the per-address request limit of the web API
    (the same budget as POST /api/messages: guessing user ids on the stream costs the same)."""
    settings = request.app[RUNTIME].settings
    address = client_address(request, settings)
    burst = settings.web_address_limit
    seen = request.app[ADDRESSES].hit_now(f"web-address:{address}", ADDRESS_WINDOW, cap=burst + 1)
    return address, seen > burst


async def api_events(request: web.Request) -> web.StreamResponse:
    """GET /api/events?user_id=…: the event stream of one open page."""
    address, over = _address(request)
    if over:
        return _error(429, "too_many", TOO_MANY)
    user_id = request.query.get("user_id", "")
    if not USER_ID.match(user_id):
        return _error(400, "bad_user_id", "Thiếu user_id hoặc user_id không hợp lệ (1–128 ký tự chữ, số, - và _).")
    hub = request.app[LIVE]
    stream = hub.open(user_id, address)
    if stream is None:
        busy = _error(503, "busy", "Hệ thống đang bận. Tin nhắn mới sẽ hiện khi bạn gửi tin tiếp theo.")
        busy.headers["Retry-After"] = "30"
        return busy
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-store",
        "X-Accel-Buffering": "no",  # nginx: pass events through at once
    })
    loop = asyncio.get_running_loop()
    try:
        await response.prepare(request)
        await _write(response, f"retry: {RETRY_MS}\n: connected\n\n")
        while not stream.closed:
            stream.wake.clear()
            if await hub.release(stream, expired_only=True):
                break  # the page did not confirm in time: it is gone, or it reconnects and gets them again
            await _deliver(hub, stream, response)
            wait = hub.heartbeat
            if stream.unconfirmed:
                wait = min(wait, max(0.0, stream.unconfirmed[0][0] - loop.time()) + 0.01)
            try:
                await asyncio.wait_for(stream.wake.wait(), wait)
            except TimeoutError:
                await _write(response, ": ping\n\n")
    except ConnectionResetError:
        pass  # the page was closed
    finally:
        hub.close(stream)
        await asyncio.shield(hub.release(stream, expired_only=False))
    return response


async def api_events_ack(request: web.Request) -> web.Response:
    """POST /api/events/ack {"user_id", "ids": [...]}: the page shows these messages."""
    if _address(request)[1]:
        return _error(429, "too_many", TOO_MANY)
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "bad_json", "Nội dung gửi lên không phải JSON hợp lệ.")
    user_id = body.get("user_id") if isinstance(body, dict) else None
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(user_id, str) or not USER_ID.match(user_id):
        return _error(400, "bad_user_id", "Thiếu user_id hoặc user_id không hợp lệ (1–128 ký tự chữ, số, - và _).")
    if (not isinstance(ids, list) or not 0 < len(ids) <= MAX_ACK
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
        return _error(400, "bad_ids", f"\"ids\" phải là danh sách 1–{MAX_ACK} số.")
    confirmed = await request.app[LIVE].confirm(user_id, ids)
    return web.json_response({"confirmed": confirmed})


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
    app.router.add_post("/api/events/ack", api_events_ack)
    app.cleanup_ctx.append(_poller)
    app.on_shutdown.append(_stop_streams)
