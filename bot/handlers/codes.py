"""Nhập mã: one place to type any code: a mentor's invitation, a household, an account link, a mentor
approval code (all `bot.people.codes`: 8 symbols, single-use, expiring).

Guessing is limited three ways, counted on failures only: per identity (5 in
10 minutes), per channel (10 a minute on the web chat, whose ids cost nothing
to make; 30 on Telegram and Zalo) and across all channels (60 a minute). Past a
limit no code is looked up at all until the window has passed, so a script
using a fresh web id for every guess is held to a few guesses a minute. A
failed guess from an identity created by that very message leaves no row.
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.limits import Limit
from bot.db.models import User
from bot.db.network import Household, Mentor
from bot.network import households
from bot.network import mentors as net
from bot.people import codes
from bot.people.accounts import link
from bot.people.roles import is_trusted

router = Router()

PER_IDENTITY = Limit("code-fail:identity", 5, 600.0)
PER_CHANNEL = {"web": Limit("code-fail:channel", 10, 60.0)}
PER_TRUSTED_CHANNEL = Limit("code-fail:channel", 30, 60.0)
EVERYWHERE = Limit("code-fail:all", 60, 60.0)


def _limits(ctx: Ctx) -> list[tuple[Limit, str, str]]:
    """(limit, counter key, refusal message) in the order they are checked."""
    channel = ctx.identity.channel
    per_channel = PER_CHANNEL.get(channel, PER_TRUSTED_CHANNEL)
    return [(PER_IDENTITY, f"{PER_IDENTITY.name}:{ctx.identity.key}", "code.throttled"),
            (per_channel, f"{per_channel.name}:{channel}", "code.busy"),
            (EVERYWHERE, EVERYWHERE.name, "code.busy")]


async def _cooling_down(ctx: Ctx) -> str | None:
    """The refusal to give when a limit is reached: no code is looked up then."""
    for limit, key, message in _limits(ctx):
        if await ctx.services.limits.count(key, limit.window) >= limit.burst:
            return message
    return None


async def _failed(ctx: Ctx) -> None:
    for limit, key, _ in _limits(ctx):
        await ctx.services.limits.hit(key, limit.window)
    if ctx.new_identity:
        ctx.forget = True  # a guess from a fresh id leaves no account behind
    ctx.say(ctx.t("code.unknown"), [ctx.opt("back", "nav.back"), ctx.opt("menu", "menu.back_to_menu")])


@router.screen("code.enter", help="help.code", free_text=True)
async def enter_code(ctx: Ctx) -> None:
    if ctx.entering:
        ctx.say(ctx.t("code.ask"), [ctx.opt("back", "nav.back")])
        return
    await resolve_code(ctx, ctx.text or "")


async def resolve_code(ctx: Ctx, text: str) -> None:
    refusal = await _cooling_down(ctx)
    if refusal is not None:
        ctx.forget = ctx.new_identity
        ctx.say(ctx.t(refusal), [ctx.opt("menu", "menu.back_to_menu")])
        return
    found = await codes.look_up(ctx.session, text)
    if found is None:
        await _failed(ctx)
    elif found.kind == "link":
        await _link(ctx, found)
    elif found.kind == "invite":
        mentor = await ctx.session.get(Mentor, found.mentor_id)
        if mentor is None or mentor.status != "approved":
            await _failed(ctx)
            return
        await ctx.go("mentee.join", mentor=mentor.id, code=found.digest)
    elif found.kind == "household":
        await ctx.go("household.join", household=found.household_id, code=found.digest)
    elif found.kind == "approval":
        await _approval(ctx, found)
    else:
        await _failed(ctx)


async def _link(ctx: Ctx, found: codes.Redeemed) -> None:
    owner = await ctx.session.get(User, found.user_id) if found.user_id is not None else None
    if owner is not None and owner.channel == ctx.identity.channel:
        await ctx.home(ctx.t("link.same"))  # kept for the account it was meant for
        return
    if owner is None or not await codes.use(ctx.session, found.digest):
        await _failed(ctx)
        return
    person = await link(ctx.session, owner.id, ctx.identity)
    if person is None:
        await ctx.home(ctx.t("link.same"))
        return
    ctx.user = person
    await ctx.home(ctx.t("link.done"))


async def _approval(ctx: Ctx, found: codes.Redeemed) -> None:
    """A staff member's approval code makes this Telegram or Zalo account a mentor at once."""
    if not is_trusted(ctx.identity):
        await ctx.home(ctx.t("rights.refused_web"))
        return
    if not await codes.use(ctx.session, found.digest):
        await _failed(ctx)
        return
    ctx.audit("mentor.approval_code_used")
    applied = await net.mentor_of_user(ctx.session, ctx.identity.id)
    if applied is None:
        ctx.memory["approval_code"] = True
        ctx.say(ctx.t("code.approval_then_apply"))
        await ctx.go("mentor.apply")
        return
    await net.decide(ctx.session, applied, True, ctx.actor, tell=False)
    await ctx.home(ctx.t("mentor.approved_you"))


@router.deep_link("m_")
async def invite_link(ctx: Ctx) -> None:
    """Telegram `?start=m_<code>`: the same as typing the code."""
    await resolve_code(ctx, ctx.text or "")


async def _spend(ctx: Ctx) -> bool:
    """Uses the code the person typed, now that they said yes; False (and home) if it went meanwhile."""
    if await codes.use(ctx.session, str(ctx.data.get("code", ""))):
        return True
    await ctx.home(ctx.t("code.unknown"))
    return False


@router.screen("mentee.join", help="help.code")
async def join_mentor(ctx: Ctx) -> None:
    mentor = await ctx.session.get(Mentor, int(ctx.data.get("mentor", 0)))
    if mentor is None or mentor.status != "approved":
        await ctx.home()
        return
    if mentor.user_id in (ctx.user.id, ctx.identity.id):
        await ctx.home(ctx.t("mentee.not_yourself"))
        return
    if ctx.option == "yes":
        if not await _spend(ctx):
            return
        await net.pair(ctx.session, mentor, ctx.user, "invite")
        from bot.outbox.queue import enqueue

        await enqueue(ctx.session, mentor.user_id, ctx.t("mentor.new_mentee", name=ctx.user.display_name or "?"),
                      about=ctx.user.id)
        ctx.say(ctx.t("mentee.joined", mentor=mentor.full_name))
        await _after_join(ctx)
        return
    if ctx.option == "no":
        ctx.say(ctx.t("mentee.declined"))
        await _after_join(ctx)
        return
    ctx.say(ctx.t("mentee.join_question", mentor=mentor.full_name, org=ctx.t(f"org.{mentor.organisation}")),
            [ctx.opt("yes", "path.yes"), ctx.opt("no", "mentee.no_thanks")])


@router.screen("household.join", help="help.household")
async def join_household(ctx: Ctx) -> None:
    household = await ctx.session.get(Household, int(ctx.data.get("household", 0)))
    if household is None:
        await ctx.home()
        return
    if ctx.option == "yes":
        if not await _spend(ctx):
            return
        await households.join(ctx.session, household, ctx.user)
        ctx.say(ctx.t("household.joined", name=household.name))
        ctx.history.clear()
        await ctx.replace("household")
        return
    if ctx.option == "no":
        await ctx.home()
        return
    ctx.say(ctx.t("household.join_question", name=household.name), [ctx.opt("yes", "path.yes"),
                                                                    ctx.opt("no", "mentee.no_thanks")])


async def _after_join(ctx: Ctx) -> None:
    if ctx.user.consent_at is None and not ctx.memory.get("onboarded"):
        ctx.history.clear()
        await ctx.replace("onboarding.consent")
    else:
        await ctx.home()


router.menu_entry(60, "code", "menu.code", "code.enter")
