"""Nhờ người hướng dẫn: a question relayed to the person's mentor (or the TDP team, or ward staff)
with where they are stuck, and the answer relayed back; joining a mentor by invite; leaving one."""

from __future__ import annotations

from sqlalchemy import or_, select

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.db.models import User
from bot.db.network import HelpRequest, Mentor
from bot.handlers.mentor import _mentor
from bot.network import mentors as net
from bot.network.help_requests import answer_request
from bot.outbox.queue import enqueue
from bot.people.roles import MENTOR, STAFF_ROLES, TRUSTED_CHANNELS
from bot.text.masking import mask

router = Router()

MAX_QUESTION = 500


def _where(ctx: Ctx, data: dict, *, mentee: bool = False) -> str:
    """Where the person was stuck, told to them ("Bạn đang học…") or, `mentee`, to their mentor."""
    lesson = ctx.services.content.lessons.get(data.get("lesson") or "")
    if lesson is None:
        return ctx.t("help_request.nowhere_mentee" if mentee else "help_request.nowhere")
    return ctx.t("help_request.where_mentee" if mentee else "help_request.where",
                 topic=ctx.services.content.topic_of(lesson).title, lesson=lesson.title, step=int(data.get("step") or 0) + 1)


async def _helpers(ctx: Ctx) -> tuple[Mentor | None, list[int], str]:
    """Who receives the request: the active mentor; else the TDP's team; else ward staff.

    Returns (the mentor, the recipients' ids, how to name them to the person).
    """
    pairing = await net.active_pairing(ctx.session, ctx.user.id)
    if pairing is not None:
        mentor = await ctx.session.get(Mentor, pairing.mentor_id)
        if mentor is not None:
            return mentor, [mentor.user_id], mentor.full_name
    team = await net.team_of_tdp(ctx.session, ctx.user.tdp_id, exclude_user=ctx.identity.id)
    if team:
        return None, [m.user_id for m in team], ctx.t("help_request.team")
    staff = list(await ctx.session.scalars(select(User.id).where(User.role.in_(STAFF_ROLES),
                                                                 User.channel.in_(TRUSTED_CHANNELS))))
    return None, staff, ctx.t("help_request.staff") if staff else ""


@router.screen("help_request.new", help="help.help_request", free_text=True)
async def new_request(ctx: Ctx) -> None:
    if ctx.entering:
        _, recipients, who = await _helpers(ctx)
        if not recipients:  # said before the person types, not after
            ctx.say(ctx.t("help_request.nobody_yet"), [ctx.opt("faq", "menu.faq"), ctx.opt("back", "nav.back")])
            return
        ctx.say(ctx.t("help_request.ask", who=who), [ctx.opt("back", "nav.back")])
        return
    if ctx.option == "faq":
        await ctx.replace("faq.ask")
        return
    if ctx.option in ("send", "cancel") and ctx.data.get("question"):
        if ctx.option == "cancel":
            await ctx.home(ctx.t("engine.cancelled"))
            return
        await _send(ctx)
        return
    question = mask(" ".join((ctx.text or "").split()))[:MAX_QUESTION]  # masked before anyone else sees it
    if not question:
        ctx.say(ctx.t("help_request.ask", who=""), [ctx.opt("back", "nav.back")])
        return
    ctx.data["question"] = question
    _, _, who = await _helpers(ctx)
    ctx.say(ctx.t("help_request.confirm", who=who, question=question, where=_where(ctx, ctx.data)),
            [ctx.opt("send", "help_request.send"), ctx.opt("cancel", "help_request.cancel")])


async def _send(ctx: Ctx) -> None:
    mentor, recipients, _ = await _helpers(ctx)
    context = {"lesson": ctx.data.get("lesson"), "step": ctx.data.get("step")}
    request = HelpRequest(mentee_id=ctx.user.id, mentor_id=mentor.id if mentor else None, tdp_id=ctx.user.tdp_id,
                          question=ctx.data["question"], context=context)
    ctx.session.add(request)
    await ctx.session.flush()
    alert = ctx.t("help_request.alert", name=ctx.user.display_name or ctx.t("help_request.someone"),
                  question=request.question, where=_where(ctx, context, mentee=True), id=request.id)
    for user_id in recipients:
        await enqueue(ctx.session, user_id, alert, about=ctx.user.id)
    if not recipients:
        ctx.say(ctx.t("help_request.nobody"))
    else:
        ctx.say(ctx.t("help_request.sent"))
    lesson = ctx.data.get("lesson")
    if lesson:
        await ctx.replace("lesson.step", lesson=lesson, step=int(ctx.data.get("step", 0)))
    else:
        await ctx.home()


@router.screen("mentor.requests", help="help.mentor_requests", requires=MENTOR)
async def requests(ctx: Ctx) -> None:
    """Open questions for me: from my mentees, or from learners of my TDP without a mentor."""
    mentor = await _mentor(ctx)
    if (request_id := ctx.chosen_id("req")) is not None:
        await ctx.go("mentor.answer", request=request_id)
        return
    mine = [HelpRequest.mentor_id == mentor.id]
    if mentor.tdp_id is not None:  # learners of my TDP who have no mentor reach the TDP's team
        mine.append(HelpRequest.mentor_id.is_(None) & (HelpRequest.tdp_id == mentor.tdp_id))
    rows = list(await ctx.session.scalars(
        select(HelpRequest).where(HelpRequest.status == "open", or_(*mine))
        .order_by(HelpRequest.created_at).limit(4)))
    if not rows:
        ctx.say(ctx.t("help_request.none_open"), [ctx.opt("back", "nav.back")])
        return
    lines = [ctx.t("help_request.open_title")] + [f"{n}. {mask(r.question)[:80]}" for n, r in enumerate(rows, 1)]
    ctx.say("\n".join(lines), [Option(f"req:{r.id}", mask(r.question)[:40]) for r in rows]
            + [ctx.opt("back", "nav.back")])


async def _open_request_for(ctx: Ctx, mentor: Mentor, request_id: int) -> HelpRequest | None:
    request = await ctx.session.get(HelpRequest, request_id)
    if request is None or request.status != "open":
        return None
    if request.mentor_id == mentor.id or (request.mentor_id is None and request.tdp_id == mentor.tdp_id):
        return request
    return None


@router.screen("mentor.answer", help="help.mentor_requests", free_text=True, requires=MENTOR)
async def answer(ctx: Ctx) -> None:
    mentor = await _mentor(ctx)
    request = await _open_request_for(ctx, mentor, int(ctx.data.get("request", 0)))
    if request is None:
        ctx.say(ctx.t("help_request.gone"))
        await ctx.replace("mentor.home")
        return
    if ctx.entering:
        context = dict(request.context or {})
        ctx.say(ctx.t("help_request.show", question=request.question, where=_where(ctx, context, mentee=True)),
                [ctx.opt("back", "nav.back")])
        return
    if not await answer_request(ctx.session, request, ctx.text or "", ctx.identity.id, mentor.full_name):
        return
    ctx.say(ctx.t("help_request.answered"))
    await ctx.replace("mentor.requests")


@router.screen("mentee.mine", help="help.help_request")
async def my_mentor(ctx: Ctx) -> None:
    pairing = await net.active_pairing(ctx.session, ctx.user.id)
    mentor = await ctx.session.get(Mentor, pairing.mentor_id) if pairing else None
    if ctx.option == "ask":
        await ctx.go("help_request.new")
        return
    if ctx.option == "leave" and mentor is not None:
        ctx.say(ctx.t("mentee.leave_confirm", mentor=mentor.full_name),
                [ctx.opt("leave_yes", "mentee.leave_yes"), ctx.opt("keep", "mentee.leave_no")])
        return
    if ctx.option == "leave_yes" and pairing is not None and mentor is not None:
        await net.end_pairing(ctx.session, pairing, "left")
        await ctx.home(ctx.t("mentee.left", mentor=mentor.full_name))
        return
    if ctx.option == "code":
        await ctx.go("code.enter")
        return
    if mentor is None:
        ctx.say(ctx.t("mentee.no_mentor"), [ctx.opt("ask", "help_request.ask_btn"), ctx.opt("code", "menu.code"),
                                            ctx.opt("menu", "menu.back_to_menu")])
        return
    ctx.say(ctx.t("mentee.your_mentor", mentor=mentor.full_name, org=ctx.t(f"org.{mentor.organisation}")),
            [ctx.opt("ask", "help_request.ask_btn"), ctx.opt("leave", "mentee.leave"),
             ctx.opt("menu", "menu.back_to_menu")])


router.menu_entry(40, "helper", "menu.ask_helper", "mentee.mine")
