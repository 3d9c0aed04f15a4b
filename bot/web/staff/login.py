"""/staff/login: the staff member names their Telegram or Zalo account, gets a code there, types it here.

The answer to a name is the same whether or not it is a staff account (nobody learns who is staff
by trying names); refusals are audited. Wrong codes are counted per identity and across the console:
20 in a minute lock that identity's sign-in for 15 minutes, and 100 in a minute from everyone stop
all code checks for a minute. A code request is limited to 5 per identity in 10 minutes (so the
console cannot be used to flood a staff member's chat), and every sign-in form to 30 posts a minute
per address. The forms carry a CSRF token bound to a sign-in cookie, so no other site can sign a
browser in to someone else's account.
"""

from __future__ import annotations

import secrets

from aiohttp import web
from sqlalchemy import update

from bot.core.limits import Limit
from bot.db.models import User
from bot.db.staff import OutboxMessage
from bot.outbox.queue import enqueue
from bot.people.audit import Actor, record
from bot.text.i18n import translate
from bot.web.api import client_address
from bot.web.keys import RUNTIME
from bot.web.staff import signin
from bot.web.staff.console import COOKIE, LANG_COOKIE, audit_refusal, cookie_secure, render, request_lang, set_session_cookie, signed_in

LOGIN_COOKIE = "staff_login"
WRONG_PER_IDENTITY = Limit("staff-signin-fail:identity", 20, 60.0)
LOCKED_FOR = 900.0
WRONG_EVERYWHERE = Limit("staff-signin-fail:all", 100, 60.0)
CODES_PER_IDENTITY = Limit("staff-signin-code:identity", 5, 600.0)
PER_ADDRESS = Limit("staff-signin:address", 30, 60.0)
SCRUBBED = "•"


def _lang(request: web.Request) -> str:
    return request_lang(request, request.app[RUNTIME].settings.default_locale)


def _form(request: web.Request, template: str, *, status: int = 200, token: str | None = None,
          **context: object) -> web.Response:
    """A sign-in form with its CSRF token (a fresh sign-in cookie when the browser has none)."""
    fresh = token is None and not request.cookies.get(LOGIN_COOKIE)
    token = token or request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, template, _lang(request), status=status, csrf=signin.csrf_token(token), **context)
    if fresh:
        response.set_cookie(LOGIN_COOKIE, token, path="/staff", httponly=True, samesite="Strict",
                            secure=cookie_secure(request))
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    if await signed_in(request) is not None:
        raise web.HTTPSeeOther("/staff")
    return _form(request, "login.html")


async def _checked_post(request: web.Request) -> tuple[dict[str, str], web.Response | None]:
    """The form's fields, or the refusal to give (too many posts from this address, a bad CSRF token)."""
    form = {k: v.strip()[:200] for k, v in (await request.post()).items() if isinstance(v, str)}
    runtime = request.app[RUNTIME]
    address = client_address(request, runtime.settings)
    limits = runtime.services.limits
    if await limits.hit(f"{PER_ADDRESS.name}:{address}", PER_ADDRESS.window) > PER_ADDRESS.burst:
        return form, _form(request, "login.html", status=429, error="staff_web.login_busy")
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not token or not signin.csrf_ok(token, form.get("csrf")):
        await audit_refusal(request, "", "missing or wrong CSRF token on the sign-in form")
        return form, _form(request, "login.html", status=403, error="staff_web.login_expired")
    return form, None


async def ask_code(request: web.Request) -> web.StreamResponse:
    form, refusal = await _checked_post(request)
    if refusal is not None:
        return refusal
    handle = form.get("who", "")
    if not handle:
        return _form(request, "login.html", status=400, error="staff_web.login_empty")
    runtime = request.app[RUNTIME]
    limits = runtime.services.limits
    async with runtime.db.transaction() as session:
        identity = await signin.find_identity(session, runtime.settings, handle)
        if identity is None:
            record(session, Actor(f"anonymous@{client_address(request, runtime.settings)}", "web:/staff/login"),
                   "staff.refused", target="POST /staff/login", detail=f"not a staff identity: {handle[:60]}")
        elif await limits.hit(f"{CODES_PER_IDENTITY.name}:{identity.key}", CODES_PER_IDENTITY.window) \
                <= CODES_PER_IDENTITY.burst:
            await _scrub_codes(session, identity.id)
            code = await signin.issue_code(session, identity)
            shown = code[:4] + "-" + code[4:]
            await enqueue(session, identity.id, translate(identity.locale, "staff_web.code_message", code=shown),
                          kind="signin", priority=0)
            record(session, Actor(identity.key, "web:/staff/login"), "staff.signin_code", target=identity.key)
    return _form(request, "login_code.html", who=handle)


async def _scrub_codes(session, identity_id: int) -> None:
    """The sign-in message's text is blanked once its code is spent or replaced: the code then exists
    nowhere in the database, not even in the outbox."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.user_id == identity_id,
                                                      OutboxMessage.kind == "signin", OutboxMessage.status != "queued")
                          .values(text=SCRUBBED).execution_options(synchronize_session=False))


async def _locked(limits, key: str) -> bool:
    return (await limits.count(f"staff-signin-lock:{key}", LOCKED_FOR) > 0
            or await limits.count(WRONG_EVERYWHERE.name, WRONG_EVERYWHERE.window) >= WRONG_EVERYWHERE.burst)


async def enter_code(request: web.Request) -> web.StreamResponse:
    form, refusal = await _checked_post(request)
    if refusal is not None:
        return refusal
    handle, code = form.get("who", ""), form.get("code", "")
    runtime = request.app[RUNTIME]
    limits = runtime.services.limits
    address = client_address(request, runtime.settings)
    async with runtime.db.transaction() as session:
        identity = await signin.find_identity(session, runtime.settings, handle)
        key = identity.key if identity is not None else f"anonymous@{address}"
        if identity is not None and await _locked(limits, identity.key):
            record(session, Actor(key, "web:/staff/login/code"), "staff.refused", target="POST /staff/login/code",
                   detail="sign-in locked after too many wrong codes")
            return _form(request, "login_code.html", status=429, who=handle, error="staff_web.login_locked")
        if identity is None or not await signin.redeem_code(session, identity, code):
            await limits.hit(WRONG_EVERYWHERE.name, WRONG_EVERYWHERE.window)
            if identity is not None:
                wrong = await limits.hit(f"{WRONG_PER_IDENTITY.name}:{identity.key}", WRONG_PER_IDENTITY.window)
                if wrong >= WRONG_PER_IDENTITY.burst:
                    await limits.hit(f"staff-signin-lock:{identity.key}", LOCKED_FOR)
            record(session, Actor(key, "web:/staff/login/code"), "staff.refused", target="POST /staff/login/code",
                   detail="wrong, expired or used sign-in code")
            return _form(request, "login_code.html", status=403, who=handle, error="staff_web.login_wrong")
        await _scrub_codes(session, identity.id)
        token = await signin.open_session(session, identity)
        record(session, Actor(identity.key, "web:/staff/login/code"), "staff.signin", target=identity.key)
    response = web.HTTPSeeOther("/staff")
    set_session_cookie(request, response, token)
    response.del_cookie(LOGIN_COOKIE, path="/staff")
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    """Ends the session (CSRF checked: no other site can sign a staff member out either)."""
    runtime = request.app[RUNTIME]
    token = request.cookies.get(COOKIE, "")
    form = await request.post()
    sent = form.get("csrf")
    staff = await signed_in(request)
    if staff is None or not signin.csrf_ok(token, sent if isinstance(sent, str) else None):
        await audit_refusal(request, staff.key if staff else "", "sign-out without a session or CSRF token")
        raise web.HTTPSeeOther("/staff/login")
    async with runtime.db.transaction() as session:
        await signin.close_session(session, token)
        identity = await session.get(User, staff.identity_id)
        record(session, staff.actor, "staff.signout", target=identity.key if identity else staff.key)
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(COOKIE, path="/staff")
    raise response


async def choose_language(request: web.Request) -> web.StreamResponse:
    """The console's language (a cookie: it changes nothing of the staff member's chat)."""
    lang = request.query.get("to", "vi")
    back = request.query.get("back", "/staff")
    if not back.startswith("/staff") or "//" in back or "\\" in back:
        back = "/staff"
    response = web.HTTPSeeOther(back)
    if lang in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, lang, path="/staff", samesite="Strict", secure=cookie_secure(request),
                            max_age=365 * 86400)
    raise response


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/login", login_page)
    app.router.add_post("/staff/login", ask_code)
    app.router.add_post("/staff/login/code", enter_code)
    app.router.add_post("/staff/logout", sign_out)
    app.router.add_get("/staff/language", choose_language)
