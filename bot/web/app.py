"""The aiohttp application: web chat page, JSON API, files, health check (webhooks plug in here too)."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from bot.channels.host import Host
from bot.web import api, live, staff, verify
from bot.web.keys import RUNTIME

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 64 * 1024
_FILE_NAME = r"{name:[A-Za-z0-9_\-]{1,80}\.(?:pdf|png|xlsx|html|json|ogg)}"
_PERSON_FOLDER = r"{folder:p-[0-9a-f]{22}}"
_TYPES = {".ogg": "audio/ogg"}
"""Types the system's mime table may lack (a player refuses read-aloud served as octet-stream)."""


CHAT_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
"""The chat page loads nothing but its own files: a message can never bring a script or a tracker."""


async def index(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache",
                                                            "Content-Security-Policy": CHAT_POLICY})


async def favicon(_request: web.Request) -> web.FileResponse:
    """Browsers ask for /favicon.ico on every page (the verify page and PDFs too): an icon, not a 404."""
    return web.FileResponse(STATIC / "favicon.png", headers={"Content-Type": "image/png",
                                                             "Cache-Control": "max-age=86400"})


async def healthz(request: web.Request) -> web.Response:
    ok = await request.app[RUNTIME].db.ping()
    return web.json_response({"status": "ok" if ok else "database unreachable"}, status=200 if ok else 503)


async def files(request: web.Request) -> web.StreamResponse:
    """Certificates and charts made for people; names are random, so links are not guessable."""
    folder = request.match_info.get("folder")
    root = request.app[RUNTIME].services.files_dir
    path = (root / folder if folder else root) / request.match_info["name"]
    if not path.is_file():
        raise web.HTTPNotFound(text="Không tìm thấy tệp.")
    kind = _TYPES.get(path.suffix)
    return web.FileResponse(path, headers={"Content-Type": kind} if kind else None)


@web.middleware
async def errors_as_json(request: web.Request, handler):
    """API clients get JSON errors (a too-large body → 413 JSON, not an HTML page); a person who
    typed a wrong address gets a page in Vietnamese with a way back, not aiohttp's "404: Not Found";
    a bug shows as a plain Vietnamese sentence to the person and a logged traceback to us."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return api.error(413, "too_large", "Nội dung gửi lên quá lớn.")
    except web.HTTPNotFound:
        if request.match_info.route.resource is not None:
            raise  # a route that answered 404 itself (a missing file) keeps its own answer
        if request.path.startswith("/api/"):
            return api.error(404, "not_found", "Không có địa chỉ này.")
        return verify.not_found_page()
    except web.HTTPException:
        raise
    except Exception:
        log.exception("request %s %s failed", request.method, request.path)
        return api.error(500, "server_error", "Máy chủ đang gặp trục trặc. Bạn thử lại sau ít phút nhé.")


def create_app(runtime: Host) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[errors_as_json])
    app[RUNTIME] = runtime
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get(f"/files/{_FILE_NAME}", files)
    app.router.add_get(f"/files/{_PERSON_FOLDER}/{_FILE_NAME}", files)
    app.router.add_static("/static/", STATIC)
    api.setup(app)
    live.setup(app)
    verify.setup(app)
    staff.setup(app)
    return app
