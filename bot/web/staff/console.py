"""What every staff page shares: who is signed in, the CSRF check, refusals (always audited), rendering.

A page handler is `async def page(staff: Staff) -> web.Response`, wrapped by `page()` (GET) or
`action()` (POST, CSRF checked). Without a live session a request is sent to /staff/login, and
the refusal is written to the audit log with the address it came from.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.core.limits import Limit
from bot.people.audit import Actor, record
from bot.people.roles import staff_tdp_scope
from bot.text.i18n import LANGUAGES, format_moment, translate
from bot.web.api import client_address
from bot.web.keys import RUNTIME
from bot.web.staff import signin

COOKIE = "staff_session"
LANG_COOKIE = "staff_lang"
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGES = (("overview", "/staff"), ("broadcasts", "/staff/broadcasts"), ("questions", "/staff/questions"),
         ("help", "/staff/help"), ("mentors", "/staff/mentors"), ("people", "/staff/people"),
         ("reports", "/staff/reports"), ("units", "/staff/units"), ("audit", "/staff/audit"))
"""The console's pages in menu order (the addresses are fixed: other tools link to them)."""


class Refused(Exception):
    """A staff member asked for something outside their rights (another TDP): 403, audited."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Staff:
    """The signed-in staff identity for one request; rights are read from it, never from a form."""

    request: web.Request
    identity_id: int
    key: str
    role: str
    scope_tdp_id: int | None
    name: str
    lang: str
    csrf: str
    form: MultiDictProxy[str | bytes | bytearray | FileField] | None = None

    @property
    def runtime(self):
        return self.request.app[RUNTIME]

    @property
    def db(self):
        return self.runtime.db

    @property
    def settings(self):
        return self.runtime.settings

    @property
    def actor(self) -> Actor:
        return Actor(self.key, f"web:{self.request.path}"[:64])

    def t(self, key: str, **params: object) -> str:
        return translate(self.lang, key, **params)

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else self.request.query.get(name)
        return value.strip() if isinstance(value, str) else default

    def check_tdp(self, tdp_id: int | None) -> int | None:
        """The TDP a page shows: a TDP leader always their own; asking for another one is refused."""
        if self.scope_tdp_id is None:
            return tdp_id
        if tdp_id is not None and tdp_id != self.scope_tdp_id:
            raise Refused(f"tdp={tdp_id} outside scope tdp={self.scope_tdp_id}")
        return self.scope_tdp_id

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        return render(self.request, template, self.lang, status=status, staff=self, **context)

    def back_to(self, path: str, notice: str | None = None, n: int | None = None) -> web.Response:
        """After a form: 303 to a page (POST → GET), with a one-line notice shown there: a message key
        (never free text from the address bar), and a number for it."""
        query = {"notice": notice} if notice else {}
        if n is not None:
            query["n"] = str(n)
        raise web.HTTPSeeOther(path + (("&" if "?" in path else "?") + urlencode(query) if query else ""))


def moment(value: datetime | None, lang: str) -> str:
    """'08:05 23/11/2026 (UTC+7)': ward time, with the zone said every time."""
    if value is None:
        return "–"
    return f"{format_moment(value, lang)} ({translate(lang, 'staff_web.zone')})"


def number(value: float, lang: str) -> str:
    """A count or a share as Babel writes it ("1.234" and "12,5" in Vietnamese, "1,234" and "12.5" in
    English), without Babel's cost: a Tổng quan of 300 TDPs shows thousands of numbers."""
    whole = isinstance(value, int) or float(value).is_integer()
    text = f"{int(value):,}" if whole else f"{value:,.1f}".rstrip("0").rstrip(".")
    return text.translate(_VI_DIGITS) if lang == "vi" else text


_VI_DIGITS = str.maketrans({",": ".", ".": ","})


def request_lang(request: web.Request, fallback: str) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else (fallback if fallback in LANGUAGES else "vi")


def render(request: web.Request, template: str, lang: str, *, status: int = 200, **context: Any) -> web.Response:
    def t(key: str, **params: object) -> str:
        return translate(lang, key, **params)

    response = aiohttp_jinja2.render_template(template, request, {
        "t": t, "lang": lang, "moment": lambda value: moment(value, lang), "pages": PAGES,
        "number": lambda value: number(value, lang), "path": request.path,
        "notice": _notice(request, lang), "staff": None, "error": None, **context}, status=status)
    secure_headers(response)
    return response


def _notice(request: web.Request, lang: str) -> str:
    key = request.query.get("notice", "")
    if not key or not key.replace("_", "").isalpha() or len(key) > 40:
        return ""
    n = request.query.get("n", "0")
    text = translate(lang, f"staff_web.notice.{key}", n=int(n) if n.isdecimal() and len(n) < 9 else 0)
    return "" if text.startswith("staff_web.") else text


def secure_headers(response: web.StreamResponse) -> None:
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"


def cookie_secure(request: web.Request) -> bool:
    """Secure whenever the console is served over https (PUBLIC_BASE_URL https, or an https request);
    the plain-http case is a developer's own machine (127.0.0.1), where browsers would drop it."""
    base = request.app[RUNTIME].settings.public_base_url or ""
    return base.startswith("https://") or request.secure


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(COOKIE, token, path="/staff", httponly=True, samesite="Strict", secure=cookie_secure(request))


AUDITED_REFUSALS = Limit("staff-refused:address", 60, 60.0)
"""Refusals written per client address a minute: past it a script hammering the console is still
refused, but no longer fills the audit log (the first 60 of each minute say it happened)."""


async def audit_refusal(request: web.Request, who: str, reason: str) -> None:
    """Every refused request leaves a row: who (or which address) asked for what, and why not."""
    runtime = request.app[RUNTIME]
    address = client_address(request, runtime.settings)
    seen = await runtime.services.limits.hit(f"{AUDITED_REFUSALS.name}:{address}", AUDITED_REFUSALS.window)
    if seen > AUDITED_REFUSALS.burst:
        return
    async with runtime.db.transaction() as session:
        record(session, Actor(who or f"anonymous@{address}", f"web:{request.path}"[:64]), "staff.refused",
               target=f"{request.method} {request.path}", detail=reason[:500])


async def signed_in(request: web.Request) -> Staff | None:
    runtime = request.app[RUNTIME]
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    async with runtime.db.sessions() as session:
        found = await signin.current(session, runtime.settings, token, renew=False)
    if found is None:
        return None
    if found.needs_renewal:
        async with runtime.db.transaction() as session:
            await signin.current(session, runtime.settings, token)
    identity = found.identity
    return Staff(request, identity.id, identity.key, identity.role, staff_tdp_scope(identity),
                 identity.display_name or identity.key, request_lang(request, identity.locale), found.csrf)


Page = Callable[[Staff], Awaitable[web.StreamResponse]]


def _guarded(handler: Page, *, post: bool) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        staff = await signed_in(request)
        if staff is None:
            await audit_refusal(request, "", "no session" if not request.cookies.get(COOKIE) else "session over")
            raise web.HTTPSeeOther("/staff/login")
        if post:
            staff.form = form = await request.post()
            sent = form.get("csrf")
            if not signin.csrf_ok(request.cookies.get(COOKIE, ""), sent if isinstance(sent, str) else None):
                await audit_refusal(request, staff.key, "missing or wrong CSRF token")
                return staff.render("refused.html", status=403, reason=staff.t("staff_web.refused_csrf"))
        try:
            return await handler(staff)
        except Refused as refused:
            await audit_refusal(request, staff.key, refused.reason)
            return staff.render("refused.html", status=403, reason=staff.t("staff_web.refused_scope"))

    return run


def page(handler: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    return _guarded(handler, post=False)


def action(handler: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    return _guarded(handler, post=True)
