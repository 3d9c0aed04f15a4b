"""A mentor registers a resident without a phone: name → age band → phone (optional) → the person's
spoken consent. One screen per step, so "quay lại" goes back one step, each with its own help."""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.handlers.mentor import _mentor
from bot.handlers.onboarding import AGE_BANDS
from bot.network import mentors as net
from bot.people.names import MAX_NAME, clean_name, refusal_key
from bot.people.roles import MENTOR

router = Router()


@router.screen("mentor.offline", help="help.mentor_offline", free_text=True, requires=MENTOR)
async def offline_name(ctx: Ctx) -> None:
    if ctx.entering:
        ctx.say(ctx.t("mentor.offline_name"), [ctx.opt("back", "nav.back")])
        return
    name = clean_name(ctx.text)
    if name is None:
        ctx.say(ctx.t(refusal_key(ctx.text), limit=MAX_NAME), [ctx.opt("back", "nav.back")])
        return
    await ctx.go("mentor.offline_age", name=name)


@router.screen("mentor.offline_age", help="help.mentor_offline_age", requires=MENTOR, needs=("name",))
async def offline_age(ctx: Ctx) -> None:
    if ctx.option in AGE_BANDS:
        await ctx.go("mentor.offline_phone", **ctx.data, age=ctx.option)
        return
    ctx.say(ctx.t("mentor.offline_age", name=ctx.data.get("name", "")),
            [ctx.opt(b, f"age.{b}") for b in AGE_BANDS] + [ctx.opt("back", "nav.back")])


@router.screen("mentor.offline_phone", help="help.mentor_offline_phone", free_text=True, requires=MENTOR,
               needs=("name",))
async def offline_phone(ctx: Ctx) -> None:
    options = [ctx.opt("skip", "onboarding.skip"), ctx.opt("back", "nav.back")]
    if ctx.entering:
        ctx.say(ctx.t("mentor.offline_phone"), options)
        return
    phone = None if ctx.option == "skip" else net.phone_number(ctx.text or "")
    if phone is None and ctx.option != "skip":
        ctx.say(ctx.t("mentor.bad_phone"), options)
        return
    await ctx.go("mentor.offline_consent", **ctx.data, phone=phone)


@router.screen("mentor.offline_consent", help="help.mentor_offline_consent", requires=MENTOR, needs=("name",))
async def offline_consent(ctx: Ctx) -> None:
    """Registered only once the person agreed, in person; a second registration of them opens the first."""
    mentor = await _mentor(ctx)
    if ctx.option == "no":
        await ctx.home(ctx.t("mentor.offline_cancelled"))
        return
    if ctx.option != "yes":
        ctx.say(ctx.t("mentor.offline_consent", name=ctx.data.get("name", "")),
                [ctx.opt("yes", "mentor.offline_agreed"), ctx.opt("no", "mentor.offline_not_agreed"),
                 ctx.opt("back", "nav.back")])
        return
    name, phone = ctx.data["name"], ctx.data.get("phone")
    known = await net.offline_mentee_named(ctx.session, mentor, name, phone)
    if known is not None:
        ctx.say(ctx.t("mentor.offline_known", name=known.display_name))
        mentee = known
    else:
        mentee = await net.register_offline(ctx.session, mentor, name, ctx.data.get("age"),
                                            mentor.tdp_id or ctx.user.tdp_id, phone)
        ctx.say(ctx.t("mentor.offline_done", name=mentee.display_name))
    ctx.history.clear()
    await ctx.replace("mentor.mentee", mentee=mentee.id)
