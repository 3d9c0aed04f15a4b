"""Nhập mã: one place to type any code: a mentor's invite, a household, a mentor approval code,
the 6-digit code that links an account on another channel.

Wrong codes are counted per person; after five in ten minutes the person waits,
so codes cannot be found by guessing.
"""

from __future__ import annotations

import time

from bot.accounts import redeem
from bot.core.context import Ctx
from bot.core.flow import flow
from bot.db.network import Mentor
from bot.handlers.menu import menu_entry
from bot.network import households
from bot.network import mentors as net

MAX_FAILURES = 5
WINDOW = 600.0


def _throttled(ctx: Ctx) -> bool:
    now = time.time()
    recent = [t for t in ctx.memory.get("code_failures", []) if now - t < WINDOW]
    ctx.memory["code_failures"] = recent
    return len(recent) >= MAX_FAILURES


def _failed(ctx: Ctx) -> None:
    ctx.memory.setdefault("code_failures", []).append(time.time())


@flow.screen("code.enter", help="help.code", free_text=True)
async def enter_code(ctx: Ctx) -> None:
    if ctx.entering:
        ctx.say(ctx.t("code.ask"), [ctx.opt("back", "nav.back")])
        return
    if _throttled(ctx):
        ctx.say(ctx.t("code.throttled"), [ctx.opt("menu", "menu.back_to_menu")])
        return
    await resolve_code(ctx, ctx.text or "")


async def resolve_code(ctx: Ctx, text: str) -> None:
    digits = "".join(ch for ch in text if not ch.isspace())
    if len(digits) == 6 and digits.isdigit():
        primary = await redeem(ctx.session, digits, ctx.user)
        if primary is not None:
            ctx.user = primary
            await ctx.home(ctx.t("link.done"))
            return
    code = net.normalize_code(text)
    mentor = await net.mentor_by_invite(ctx.session, code) if len(code) == 8 else None
    if mentor is not None:
        await ctx.go("mentee.join", mentor=mentor.id)
        return
    household = await households.by_code(ctx.session, code) if len(code) == 8 else None
    if household is not None:
        await ctx.go("household.join", household=household.id)
        return
    if len(code) == 8 and await net.use_approval_code(ctx.session, code, ctx.user):
        applied = await net.mentor_of_user(ctx.session, ctx.user.id)
        if applied is None:
            ctx.memory["approval_code"] = True
            ctx.say(ctx.t("code.approval_then_apply"))
            await ctx.go("mentor.apply")
            return
        await net.decide(ctx.session, applied, True, actor="approval-code")
        await ctx.home(ctx.t("mentor.approved_you"))
        return
    _failed(ctx)
    ctx.say(ctx.t("code.unknown"), [ctx.opt("back", "nav.back"), ctx.opt("menu", "menu.back_to_menu")])


@flow.deep_link("m_")
async def invite_link(ctx: Ctx) -> None:
    """Telegram `?start=m_<code>`: the same as typing the mentor's code."""
    if _throttled(ctx):
        ctx.say(ctx.t("code.throttled"), [ctx.opt("menu", "menu.back_to_menu")])
        return
    await resolve_code(ctx, ctx.text or "")


@flow.screen("mentee.join", help="help.code")
async def join_mentor(ctx: Ctx) -> None:
    mentor = await ctx.session.get(Mentor, int(ctx.data.get("mentor", 0)))
    if mentor is None or mentor.status != "approved":
        await ctx.home()
        return
    if mentor.user_id == ctx.user.id:
        await ctx.home(ctx.t("mentee.not_yourself"))
        return
    if ctx.option == "yes":
        await net.pair(ctx.session, mentor, ctx.user, "invite")
        from bot.outbox import enqueue

        await enqueue(ctx.session, mentor.user_id, ctx.t("mentor.new_mentee", name=ctx.user.display_name or "?"))
        ctx.say(ctx.t("mentee.joined", mentor=mentor.full_name))
        await _after_join(ctx)
        return
    if ctx.option == "no":
        ctx.say(ctx.t("mentee.declined"))
        await _after_join(ctx)
        return
    ctx.say(ctx.t("mentee.join_question", mentor=mentor.full_name, org=ctx.t(f"org.{mentor.organisation}")),
            [ctx.opt("yes", "path.yes"), ctx.opt("no", "mentee.no_thanks")])


async def _after_join(ctx: Ctx) -> None:
    if ctx.user.consent_at is None and not ctx.memory.get("onboarded"):
        ctx.history.clear()
        await ctx.replace("onboarding.consent")
    else:
        await ctx.home()


menu_entry(60, "code", "menu.code", "code.enter")
