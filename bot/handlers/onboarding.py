"""First contact: welcome, privacy notice and consent, then name, age band, ward and TDP.

Without consent nothing personal is stored: the person can read lessons but
gets no certificate. Every answer can be changed later under "Cài đặt".
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.handlers.settings import retention_notice
from bot.people.names import MAX_NAME, clean_name, refusal_key
from bot.units.reference import find_tdp, tdps_of, wards

router = Router()

CONSENT_VERSION = "2026-11"
AGE_BANDS = ("u16", "16-59", "60+")
TDP_PAGE = 3
"""TDPs per screen: with "more", "I don't know" and "back", six choices at most."""


async def give_consent(ctx: Ctx) -> None:
    ctx.user.consent_at = datetime.now(UTC)
    ctx.user.consent_version = CONSENT_VERSION


@router.screen("onboarding.consent", help="help.onboarding.consent")
async def consent(ctx: Ctx) -> None:
    options = [ctx.opt("agree", "onboarding.agree"), ctx.opt("later", "onboarding.later"),
               ctx.opt("details", "onboarding.details")]
    if ctx.entering:
        if not ctx.data.get("again"):
            ctx.say(ctx.t("onboarding.welcome"))
        ctx.say(ctx.t("privacy.notice"), options)
    elif ctx.option == "agree":
        await give_consent(ctx)
        ctx.say(ctx.t("onboarding.thanks"))
        await ctx.go("onboarding.name")
    elif ctx.option == "later":
        ctx.memory["onboarded"] = True
        await ctx.home(ctx.t("onboarding.no_consent"))
    elif ctx.option == "details":
        ctx.say(ctx.t("privacy.details"))
        ctx.say(retention_notice(ctx), options)


@router.screen("onboarding.name", help="help.onboarding.name", free_text=True)
async def name(ctx: Ctx) -> None:
    if ctx.entering:
        ctx.say(ctx.t("onboarding.ask_name"), [ctx.opt("skip", "onboarding.skip")])
        return
    if ctx.option == "skip":
        await _next(ctx, "onboarding.age")
        return
    cleaned = clean_name(ctx.text, MAX_NAME)
    if cleaned is None:  # not a name, or a phone / ID number that would be shown to others
        ctx.say(ctx.t(refusal_key(ctx.text), limit=MAX_NAME), [ctx.opt("skip", "onboarding.skip")])
        return
    ctx.user.display_name = cleaned
    if not ctx.data.get("from_settings"):
        ctx.say(ctx.t("onboarding.hello", name=cleaned))
    await _next(ctx, "onboarding.age")


@router.screen("onboarding.age", help="help.onboarding.age")
async def age(ctx: Ctx) -> None:
    if ctx.entering:
        ctx.say(ctx.t("onboarding.ask_age"), [ctx.opt(band, f"age.{band}") for band in AGE_BANDS]
                + [ctx.opt("back", "nav.back")])
        return
    if ctx.option in AGE_BANDS:
        ctx.user.age_band = ctx.option
        await _next(ctx, "onboarding.ward")


@router.screen("onboarding.ward", help="help.onboarding.ward")
async def ward(ctx: Ctx) -> None:
    if ctx.entering:
        options = [Option(f"w{w.id}", w.name) for w in await wards(ctx.session)][:4]
        ctx.say(ctx.t("onboarding.ask_ward"), options + [ctx.opt("other", "onboarding.other_ward"),
                                                         ctx.opt("back", "nav.back")])
        return
    if ctx.option == "other":
        ctx.user.ward_id, ctx.user.tdp_id = None, None
        ctx.say(ctx.t("onboarding.other_ward_saved"))
        await finish(ctx)
    elif (ward_id := ctx.chosen_number("w")) in {w.id for w in await wards(ctx.session)}:
        ctx.user.ward_id, ctx.user.tdp_id = ward_id, None
        await ctx.go("onboarding.tdp", page=0, from_settings=bool(ctx.data.get("from_settings")))


@router.screen("onboarding.tdp", help="help.onboarding.tdp", free_text=True)
async def tdp(ctx: Ctx) -> None:
    if ctx.user.ward_id is None:
        await ctx.replace("onboarding.ward")
        return
    tdps = await tdps_of(ctx.session, ctx.user.ward_id)
    page = int(ctx.data.get("page", 0))
    if ctx.text is not None:
        found = find_tdp(tdps, ctx.text)
        if found is not None:
            return await _chosen_tdp(ctx, found.id)
    if ctx.option == "more":
        page = page + 1 if (page + 1) * TDP_PAGE < len(tdps) else 0
    elif ctx.option == "unknown":
        return await finish(ctx)
    elif (tdp_id := ctx.chosen_number("t")) in {t.id for t in tdps}:
        return await _chosen_tdp(ctx, tdp_id)
    elif not ctx.entering:
        ctx.say(ctx.t("onboarding.tdp_not_found"))
    ctx.data["page"] = page
    shown = tdps[page * TDP_PAGE:(page + 1) * TDP_PAGE]
    options = [Option(f"t{t.id}", t.name) for t in shown]
    if len(tdps) > TDP_PAGE:
        options.append(ctx.opt("more", "onboarding.more_tdps"))
    options += [ctx.opt("unknown", "onboarding.unknown_tdp"), ctx.opt("back", "nav.back")]
    ctx.say(ctx.t("onboarding.ask_tdp"), options)


async def _chosen_tdp(ctx: Ctx, tdp_id: int) -> None:
    ctx.user.tdp_id = tdp_id
    await finish(ctx)


async def _next(ctx: Ctx, screen: str) -> None:
    """The next onboarding question, or straight back to settings when one answer was changed."""
    if ctx.data.get("from_settings"):
        await finish(ctx)
    else:
        await ctx.go(screen)


async def finish(ctx: Ctx) -> None:
    if ctx.data.get("from_settings"):
        ctx.say(ctx.t("settings.saved"))
        ctx.history.clear()
        await ctx.replace("settings")
    else:
        ctx.memory["onboarded"] = True
        ctx.say(ctx.t("onboarding.done"))
        if ctx.user.has_consented and "nudges.offer" in ctx.screens:  # "Nhắc tôi học?" closes onboarding
            ctx.history.clear()
            await ctx.replace("nudges.offer", onboarding=True)
            return
        await ctx.home()
