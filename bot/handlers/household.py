"""Gia đình số: create a household, invite family with a one-time code, see each member's progress, leave.

Joining with a code is in `bot.handlers.codes` ("Nhập mã"), with every other code.
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.network import households
from bot.people import codes
from bot.people.names import LOOKS_LIKE_A_NUMBER, clean_name, refusal_key

router = Router()



@router.screen("household", help="help.household", free_text=True)
async def household_home(ctx: Ctx) -> None:
    mine = await households.household_of(ctx.session, ctx.user.id)
    if mine is None:
        await _no_household(ctx)
        return
    if ctx.option == "leave":
        await households.leave(ctx.session, ctx.user)
        await ctx.home(ctx.t("household.left", name=mine.name))
        return
    if ctx.option == "invite":
        code = await codes.issue(ctx.session, "household", household_id=mine.id)
        ctx.say(ctx.t("household.invite_code", code=codes.shown(code)))
    rows = await households.members(ctx.session, mine)
    status = ctx.t("household.digital") if households.is_digital_family(rows) else ctx.t("household.not_yet")
    lines = [ctx.t("household.title", name=mine.name), status]
    lines += [ctx.t("household.member", name=r.name, lessons=r.lessons_done, certs=r.certificates) for r in rows]
    ctx.say("\n".join(lines), [ctx.opt("invite", "household.invite"), ctx.opt("leave", "household.leave"),
                               ctx.opt("menu", "menu.back_to_menu")])


async def _no_household(ctx: Ctx) -> None:
    if ctx.option == "create":
        ctx.data["naming"] = True
        ctx.say(ctx.t("household.ask_name"), [ctx.opt("back", "nav.back")])
        return
    if ctx.option == "join":
        await ctx.go("code.enter")
        return
    if ctx.data.get("naming") and ctx.text and not ctx.option:
        name = clean_name(ctx.text)
        if name is None:
            number = refusal_key(ctx.text) == LOOKS_LIKE_A_NUMBER  # a household name is shown to every member
            ctx.say(ctx.t(LOOKS_LIKE_A_NUMBER if number else "household.ask_name"), [ctx.opt("back", "nav.back")])
            return
        created = await households.create(ctx.session, ctx.user, name)
        code = await codes.issue(ctx.session, "household", household_id=created.id)
        ctx.data.pop("naming")
        ctx.say(ctx.t("household.created", name=created.name, code=codes.shown(code)))
        await ctx.show_again()
        return
    ctx.say(ctx.t("household.explain"), [ctx.opt("create", "household.create"), ctx.opt("join", "household.join"),
                                         ctx.opt("menu", "menu.back_to_menu")])


router.menu_entry(50, "household", "menu.household", "household")
