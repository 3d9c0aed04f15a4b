"""The web chat adapter: the JSON API of the design file over the neutral core.

A web `user_id` is chosen by the browser, so it is only as secret as that id:
web accounts never carry staff rights.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from aiohttp import web

from bot.channels.http_body import NOT_JSON, read_json
from bot.config import Settings
from bot.core.limits import Admission, Limit, LocalCounter
from bot.core.messages import Incoming, Reply
from bot.web.keys import ADDRESSES, RUNTIME
from bot.web.live_hub import locale_of

MAX_TEXT = 4000
_USER_ID = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
_OPTION_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")
"""Any id a screen can offer ("60+", "topic:vneid"): the engine checks it against the options shown."""
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
ADDRESS_WINDOW = 10.0


def reply_json(reply: Reply, settings: Settings) -> dict[str, Any]:
    return {
        "text": reply.text,
        "screen": reply.screen,
        "options": [{"id": o.id, "label": o.label} for o in reply.options],
        "image_url": settings.file_url(reply.image.url_path) if reply.image else None,
        "document_url": settings.file_url(reply.document.url_path) if reply.document else None,
        "audio_url": settings.file_url(reply.audio.url_path) if reply.audio else None,
    }


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def client_address(request: web.Request, settings: Settings) -> str:
    """Who is asking: the peer, or — when the peer is one of TRUSTED_PROXIES — the nearest address
    the proxy chain vouches for in X-Forwarded-For (a client can write anything at its start)."""
    peer = request.remote or "?"
    trusted = settings.trusted_proxy_set
    if peer not in trusted:
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


def parse_message(body: Any) -> Incoming | web.Response:
    """The Incoming for a well-formed body, or the 400 answer explaining what is wrong."""
    if not isinstance(body, dict):
        return error(400, "bad_json", "Nội dung gửi lên phải là một đối tượng JSON.")
    user_id = body.get("user_id")
    if not isinstance(user_id, str) or not _USER_ID.match(user_id):
        return error(400, "bad_user_id", "Thiếu user_id hoặc user_id không hợp lệ (1–128 ký tự chữ, số, - và _).")
    text, option = body.get("text"), body.get("option")
    if (text is None) == (option is None):
        return error(400, "text_or_option", "Gửi đúng một trong hai: \"text\" hoặc \"option\".")
    if text is not None:
        if not isinstance(text, str):
            return error(400, "bad_text", "\"text\" phải là chuỗi ký tự.")
        if len(text) > MAX_TEXT:
            return error(400, "text_too_long", f"Tin nhắn dài quá {MAX_TEXT} ký tự. Bạn gửi ngắn hơn nhé.")
    if option is not None and (not isinstance(option, str) or not _OPTION_ID.match(option)):
        return error(400, "bad_option", "\"option\" không hợp lệ.")
    message_id = body.get("message_id")
    if message_id is not None and (not isinstance(message_id, str) or not _MESSAGE_ID.match(message_id)):
        return error(400, "bad_message_id", "\"message_id\" phải là chuỗi tối đa 64 chữ, số, - và _.")
    return Incoming(
        channel="web",
        external_id=user_id,
        update_id=f"{user_id}:{message_id}" if message_id is not None else None,  # one person's ids only
        text=text,
        option=option,
        replayable=True,
    )


TOO_MANY = "Bạn gửi nhanh quá. Chờ vài giây rồi gửi tiếp nhé."


async def api_messages(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    limit = Limit("web-address", runtime.settings.web_address_limit, ADDRESS_WINDOW)
    address = client_address(request, runtime.settings)
    if request.app[ADDRESSES].hit_now(f"{limit.name}:{address}", limit.window, cap=limit.burst + 1) > limit.burst:
        return error(429, "too_many", TOO_MANY)
    body = await read_json(request)
    if body is NOT_JSON:
        return error(400, "bad_json", "Nội dung gửi lên không phải JSON hợp lệ.")
    parsed = parse_message(body)
    if isinstance(parsed, web.Response):
        return parsed
    if runtime.inbound.admit(parsed.user_key) is not Admission.ACCEPT:
        return error(429, "too_many", TOO_MANY)
    replies = await runtime.engine.handle(parsed)
    locale = await locale_of(runtime.db, parsed.external_id) or runtime.settings.default_locale
    return web.json_response(
        {"replies": [reply_json(r, runtime.settings) for r in replies], "locale": locale},
        dumps=lambda data: json.dumps(data, ensure_ascii=False),
    )


def setup(app: web.Application) -> None:
    app[ADDRESSES] = LocalCounter()
    app.router.add_post("/api/messages", api_messages)
