"""Gửi thông báo from the staff menu: text → audience → when → preview with the exact count → confirm."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.broadcasts import service
from bot.broadcasts.audience import Audience, UnknownUnit, count
from bot.broadcasts.schedule import ScheduleError, in_quiet_hours, parse_when
from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.db.learning import ScamCheck
from bot.db.models import Ward
from bot.db.staff import Broadcast
from bot.people.roles import STAFF, staff_tdp_scope
from bot.scams import default_rules
from bot.text.i18n import format_moment
from bot.units.reference import tdp_number

router = Router()

AUDIENCES = ("all", "tdp", "uncertified", "not_started", "mentor")
"""The audiences offered in chat (with "back", six choices); `bot broadcast send` knows every audience."""
ALERT_WINDOW = timedelta(days=30)
ALERT_CHOICES = 5


async def _audience(ctx: Ctx) -> Audience:
    choice = ctx.data.get("audience", "all")
    if choice == "mentor" or choice == "learner":
        return Audience("role", choice)
    if choice == "tdp":
        return Audience("tdp", ctx.data.get("tdp"))
    return Audience(choice)


@router.screen("broadcast.compose", help="help.broadcast", free_text=True, requires=STAFF)
async def compose(ctx: Ctx) -> None:
    """Step 1 of 4: the text. Each step is its own screen, so "quay lại" goes back one step."""
    if ctx.option == "alert":
        await ctx.go("broadcast.alert")
        return
    if ctx.entering:
        ctx.say(ctx.t("broadcast.ask_text"), [ctx.opt("alert", "broadcast.scam_alert"), ctx.opt("back", "nav.back")])
        return
    text = (ctx.text or "").strip()
    if not text or len(text) > service.MAX_TEXT:
        ctx.say(ctx.t("broadcast.bad_text", limit=service.MAX_TEXT), [ctx.opt("back", "nav.back")])
        return
    await ctx.go("broadcast.audience", text=text)


@router.screen("broadcast.alert", help="help.broadcast_alert", requires=STAFF)
async def scam_alert(ctx: Ctx) -> None:
    """"Cảnh báo nhanh": a ready text quoting one scam pattern, the ones residents checked most this
    month first (counted per kind of trick, `ScamCheck`), then on to the audience step."""
    rules = {rule.id: rule for rule in default_rules().rules}
    if (rule_id := ctx.chosen("rule")) is not None and rule_id in rules:
        rule = rules[rule_id]
        await ctx.go("broadcast.audience", text=ctx.t("broadcast.alert_text", title=rule.title, means=rule.means))
        return
    since = datetime.now(UTC) - ALERT_WINDOW
    seen: Counter[str] = Counter()
    for signs in await ctx.session.scalars(select(ScamCheck.signs).where(ScamCheck.checked_at >= since)):
        seen.update(signs or [])
    ranked = sorted(rules.values(), key=lambda r: (-seen[r.sign], r.id))[:ALERT_CHOICES]
    ctx.say(ctx.t("broadcast.ask_alert"), [Option(f"rule:{r.id}", r.title[:60]) for r in ranked]
            + [ctx.opt("back", "nav.back")])


@router.screen("broadcast.audience", help="help.broadcast_audience", requires=STAFF, needs=("text",))
async def choose_audience(ctx: Ctx) -> None:
    """Step 2: who gets it (a TDP asks its number on the next screen)."""
    if ctx.option == "tdp":
        await ctx.go("broadcast.tdp", **ctx.data)
        return
    if ctx.option in AUDIENCES:
        await ctx.go("broadcast.when", **ctx.data, audience=ctx.option)
        return
    ctx.say(ctx.t("broadcast.ask_audience"), [ctx.opt(a, f"broadcast.audience.{a}") for a in AUDIENCES]
            + [ctx.opt("back", "nav.back")])


@router.screen("broadcast.tdp", help="help.broadcast_tdp", free_text=True, requires=STAFF, needs=("text",))
async def choose_tdp(ctx: Ctx) -> None:
    number = tdp_number(ctx.text or "") if ctx.text else None
    if number is None:
        ctx.say(ctx.t("broadcast.ask_tdp"), [ctx.opt("back", "nav.back")])
        return
    ward = await _staff_ward(ctx)
    await ctx.go("broadcast.when", **ctx.data, audience="tdp", tdp=f"{ward.code}/{number}" if ward else f"?/{number}")


@router.screen("broadcast.when", help="help.broadcast_when", free_text=True, requires=STAFF,
               needs=("text", "audience"))
async def choose_when(ctx: Ctx) -> None:
    """Step 3: now, or a day and hour ("20/12 8:00")."""
    now = datetime.now(UTC)
    options = [ctx.opt("now", "broadcast.now"), ctx.opt("back", "nav.back")]
    if ctx.entering:
        ctx.say(ctx.t("broadcast.ask_when"), options)
        return
    if ctx.option == "now":
        at = now
    else:
        try:
            at = parse_when(ctx.text or "", now)
        except ScheduleError:
            ctx.say(ctx.t("broadcast.bad_when"), options)
            return
    await ctx.go("broadcast.preview", **ctx.data, at=at.isoformat(), urgent=False)


@router.screen("broadcast.preview", help="help.broadcast_preview", requires=STAFF, needs=("text", "audience", "at"))
async def preview(ctx: Ctx) -> None:
    """Step 4: exactly what goes out, to how many people on which channel, then send."""
    if ctx.option == "urgent":
        ctx.data["urgent"] = True
    elif ctx.option == "confirm":
        await _confirm(ctx)
        return
    elif ctx.option == "cancel":
        await ctx.home(ctx.t("broadcast.dropped"))
        return
    await _preview(ctx)


async def _staff_ward(ctx: Ctx) -> Ward | None:
    ward_id = ctx.user.ward_id or await ctx.session.scalar(select(Ward.id).order_by(Ward.id))
    return await ctx.session.get(Ward, ward_id) if ward_id else None


async def _preview(ctx: Ctx) -> None:
    audience = await _audience(ctx)
    scope = staff_tdp_scope(ctx.identity)
    try:
        await service.check_scope(ctx.session, audience, scope)
    except service.BroadcastRefused:
        ctx.audit("broadcast.refused", target=str(audience.as_dict()))
        ctx.say(ctx.t("broadcast.out_of_scope"))
        await ctx.replace("broadcast.audience", text=ctx.data["text"])
        return
    try:
        per_channel = await count(ctx.session, audience, scope)
    except UnknownUnit:
        per_channel = {}
    reachable = sum(per_channel.values())
    if not reachable:  # a TDP that does not exist, or nobody in it yet: say so, ask again
        ctx.say(ctx.t("broadcast.nobody"))
        await ctx.replace("broadcast.audience", text=ctx.data["text"])
        return
    at = datetime.fromisoformat(ctx.data["at"])
    quiet = in_quiet_hours(at) and not ctx.data.get("urgent")
    lines = [ctx.t("broadcast.preview", n=reachable, telegram=per_channel["telegram"], zalo=per_channel["zalo"],
                   web=per_channel["web"], when=format_moment(at, ctx.lang)),
             "———", service.with_footer(ctx.data["text"], ctx.lang)]
    if quiet:
        lines.append(ctx.t("broadcast.quiet_hours"))
    options = [ctx.opt("confirm", "broadcast.confirm", n=reachable), ctx.opt("cancel", "broadcast.cancel"),
               ctx.opt("back", "nav.back")]
    if quiet:
        options.insert(1, ctx.opt("urgent", "broadcast.mark_urgent"))
    ctx.say("\n".join(lines)[:1500], options)


async def _confirm(ctx: Ctx) -> None:
    audience = await _audience(ctx)
    at = datetime.fromisoformat(ctx.data["at"])
    now = datetime.now(UTC)
    broadcast = await service.create(ctx.session, actor=ctx.actor, text=ctx.data["text"], audience=audience,
                                     at=at if at > now else None, urgent=bool(ctx.data.get("urgent")),
                                     scope_tdp_id=staff_tdp_scope(ctx.identity))
    ctx.say(ctx.t("broadcast.queued", id=broadcast.id, n=broadcast.total,
                  when=format_moment(broadcast.scheduled_at or now, ctx.lang)))
    ctx.history.clear()
    await ctx.replace("broadcast.list")


@router.screen("broadcast.list", help="help.broadcast", requires=STAFF)
async def broadcast_list(ctx: Ctx) -> None:
    if ctx.option == "new":
        await ctx.go("broadcast.compose")
        return
    if (cancelled := ctx.chosen_id("cancel")) is not None:
        withdrawn = await service.cancel(ctx.session, cancelled, ctx.actor)
        ctx.say(ctx.t("broadcast.cancelled", n=max(withdrawn, 0)))
    rows = list(await ctx.session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(4)))
    lines = [ctx.t("broadcast.list_title") if rows else ctx.t("broadcast.none")]
    options: list[Option] = []
    for broadcast in rows:
        state = await service.status(ctx.session, broadcast.id)
        counts = state.counts if state else {}
        lines.append(ctx.t("broadcast.row", id=broadcast.id, text=broadcast.text[:40], status=broadcast.status,
                           **{k: counts.get(k, 0) for k in service.STATUSES}))
        if broadcast.status in ("queued", "sending") and counts.get("queued"):
            options.append(Option(f"cancel:{broadcast.id}", ctx.t("broadcast.cancel_n", id=broadcast.id)))
    ctx.say("\n".join(lines), [ctx.opt("new", "broadcast.new"), *options[:3], ctx.opt("back", "nav.back"),
                               ctx.opt("menu", "menu.back_to_menu")])

