"""Nhắc học: "Nhắc tôi học?" at the end of onboarding and in Cài đặt, "DỪNG" and "TIẾP TỤC" anywhere,
and the nudge's one button.

The person picks a day of the week and a part of the day (sáng / chiều / tối), or
never; they may add more days, and get at most one nudge per day chosen each week.
"DỪNG" stops them on every channel (the plan belongs to the person, not the account),
"TIẾP TỤC" restarts them; both say what changed, and that the ward's announcements
are a separate thing ("tắt thông báo").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.matching import parse_number
from bot.core.messages import Incoming
from bot.db.nudges import Nudge, NudgePlan
from bot.db.staff import OutboxMessage
from bot.handlers.lessons import start_lesson
from bot.handlers.review import start_review
from bot.lessons.progress import progress_of
from bot.nudges import plans
from bot.nudges.scheduler import GO, what_next
from bot.nudges.times import PARTS, aware, day_bit, weekdays_of, window
from bot.text.fold import fold

router = Router()
PAGE_DAYS = 4
_DAY_WORDS = {
    "thu hai": 0, "thu 2": 0, "t2": 0, "thu ba": 1, "thu 3": 1, "t3": 1, "thu tu": 2, "thu 4": 2, "t4": 2,
    "thu nam": 3, "thu 5": 3, "t5": 3, "thu sau": 4, "thu 6": 4, "t6": 4, "thu bay": 5, "thu 7": 5, "t7": 5,
    "chu nhat": 6, "cn": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
}


def parse_weekday(text: str) -> int | None:
    """'Thứ 5', 'thu nam', 't5', 'chủ nhật', 'CN' → 0..6 (Monday = 0); anything else → None."""
    folded = re.sub(r"\bngay\s+", "", fold(text)).strip()
    return _DAY_WORDS.get(folded)


def _hours_text(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def describe(ctx: Ctx, plan: NudgePlan | None) -> str:
    """"Thứ 5, buổi tối (19:00–20:00)", or "không nhắc"; what the person chose, in their words."""
    if plan is None or not plan.days or plan.part is None:
        return ctx.t("nudges.never_now")
    start, end = window(plan.part, ctx.settings.nudge_window)
    days = ", ".join(ctx.t(f"weekday.{d}") for d in weekdays_of(plan.days))
    return ctx.t("nudges.plan", days=days, part=ctx.t(f"nudges.part.{plan.part}"), start=_hours_text(start),
                 end=_hours_text(end))


async def _leave(ctx: Ctx, notice: str) -> None:
    """Back where the person came from: the main menu after onboarding, Cài đặt otherwise."""
    if ctx.data.get("onboarding"):
        await ctx.home(notice)
    else:
        ctx.say(notice)
        ctx.history.clear()
        await ctx.replace("settings" if "settings" in ctx.screens else "menu")


@router.screen("nudges.offer", help="help.nudges")
async def offer(ctx: Ctx) -> None:
    onboarding = bool(ctx.data.get("onboarding"))
    if not ctx.user.has_consented:
        if ctx.option == "consent":
            await ctx.go("onboarding.consent", again=True)
            return
        ctx.say(ctx.t("nudges.needs_consent"), [ctx.opt("consent", "onboarding.agree"), ctx.opt("back", "nav.back")])
        return
    if ctx.option == "yes":
        await ctx.go("nudges.day", onboarding=onboarding, page=0)
        return
    if ctx.option == "never":
        await plans.choose(ctx.session, ctx.user.id, 0, None, datetime.now(UTC))
        await _leave(ctx, ctx.t("nudges.saved_never"))
        return
    if ctx.option == "later":
        await ctx.home(ctx.t("nudges.later"))
        return
    plan = await plans.plan_of(ctx.session, ctx.user.id)
    lines = [ctx.t("nudges.ask", end=_hours_text(ctx.settings.nudge_window[1]))]
    if plan is not None:
        lines.append(ctx.t("nudges.now", plan=describe(ctx, plan)))
        if plan.days and plan.stopped_at is not None:
            lines.append(ctx.t("nudges.stopped_now"))
    options = [ctx.opt("yes", "nudges.yes"), ctx.opt("never", "nudges.no")]
    options.append(ctx.opt("later", "nudges.later_button") if onboarding else ctx.opt("back", "nav.back"))
    ctx.say("\n".join(lines), options)


@router.screen("nudges.day", help="help.nudges", free_text=True)
async def day(ctx: Ctx) -> None:
    page = int(ctx.data.get("page", 0))
    chosen = parse_weekday(ctx.text) if ctx.text is not None else None  # a day named wins over a button hint
    if chosen is None:
        chosen = ctx.chosen_number("d", below=7)
    if chosen is not None:
        await ctx.go("nudges.part", onboarding=bool(ctx.data.get("onboarding")), day=chosen,
                     adding=bool(ctx.data.get("adding")))
        return
    if ctx.option == "more":
        page = ctx.data["page"] = 0 if page else 1
    elif ctx.option == "back":
        await ctx.back()
        return
    elif not ctx.entering:
        ctx.say(ctx.t("nudges.day_not_understood"))
    shown = range(PAGE_DAYS) if page == 0 else range(PAGE_DAYS, 7)
    options = [ctx.opt(f"d{d}", f"weekday.{d}") for d in shown]
    options += [ctx.opt("more", "nudges.other_days" if page == 0 else "nudges.first_days"), ctx.opt("back", "nav.back")]
    ctx.say(ctx.t("nudges.ask_day"), options)


@router.screen("nudges.part", help="help.nudges", needs=("day",))
async def part(ctx: Ctx) -> None:
    weekday = ctx.data["day"]
    if not isinstance(weekday, int) or not 0 <= weekday < 7:  # a state from elsewhere: choose the day again
        await ctx.replace("nudges.day", onboarding=bool(ctx.data.get("onboarding")), page=0)
        return
    if ctx.option in PARTS:
        plan = await plans.plan_of(ctx.session, ctx.user.id)
        days = day_bit(weekday) | (plan.days if plan is not None and ctx.data.get("adding") else 0)
        await plans.choose(ctx.session, ctx.user.id, days, ctx.option, datetime.now(UTC))
        ctx.history.clear()
        await ctx.replace("nudges.saved", onboarding=bool(ctx.data.get("onboarding")))
        return
    hours = ctx.settings.nudge_window
    options = []
    for name in PARTS:
        start, end = window(name, hours)
        options.append(ctx.opt(name, "nudges.part_button", part=ctx.t(f"nudges.part.{name}").capitalize(),
                               start=_hours_text(start), end=_hours_text(end)))
    ctx.say(ctx.t("nudges.ask_part", day=ctx.t(f"weekday.{weekday}")),
            options + [ctx.opt("back", "nav.back")])


@router.screen("nudges.saved", help="help.nudges")
async def saved(ctx: Ctx) -> None:
    if ctx.option == "add":
        await ctx.go("nudges.day", onboarding=bool(ctx.data.get("onboarding")), page=0, adding=True)
        return
    if ctx.option == "done":
        await _leave(ctx, ctx.t("nudges.done"))
        return
    plan = await plans.plan_of(ctx.session, ctx.user.id)
    count = len(weekdays_of(plan.days)) if plan is not None else 0
    options = [ctx.opt("add", "nudges.add_day")] if count < 7 else []
    ctx.say(ctx.t("nudges.saved", plan=describe(ctx, plan), count=count),
            options + [ctx.opt("done", "nudges.enough")])


@router.word("stop_nudges")
async def stop_word(ctx: Ctx) -> bool:
    """"DỪNG" from any screen: nudges stop for the person on every channel; the screen comes back."""
    plan = await plans.stop(ctx.session, ctx.user.id, datetime.now(UTC))
    if plan is None:
        ctx.say(ctx.t("nudges.nothing_to_stop"), screen="nudges.stopped")
    else:
        ctx.say(ctx.t("nudges.stopped"), screen="nudges.stopped")
    if ctx.screen:
        await ctx.show_again()
    return True


@router.word("resume_nudges")
async def resume_word(ctx: Ctx) -> bool:
    """"TIẾP TỤC" restarts stopped nudges; when nothing is stopped it means what the screen makes of it."""
    plan = await plans.restart(ctx.session, ctx.user.id)
    if plan is None:
        return False
    ctx.say(ctx.t("nudges.restarted", plan=describe(ctx, plan)), screen="nudges.restarted")
    await ctx.show_again()
    return True


@router.pushed_option(GO)
async def go(ctx: Ctx) -> None:
    """The nudge's button: the review it offered, or the lesson (what is next now, if that changed)."""
    ctx.history.clear()
    ctx.screen, ctx.data = "menu", {}
    offer = await what_next(ctx.session, ctx.services.content, ctx.user, datetime.now(UTC))
    if offer is None:
        await ctx.home(ctx.t("nudges.all_done"))
    elif offer.kind == "review":
        await start_review(ctx)
    else:
        lesson = ctx.services.content.lessons[str(offer.lesson_id)]
        row = (await progress_of(ctx.session, ctx.user.id)).get(lesson.id)
        step = row.step if row is not None and row.completed_at is None else 0
        await start_lesson(ctx, lesson, min(step, len(lesson.steps) - 1))


@router.on_turn
async def answered(ctx: Ctx) -> None:
    """Any message answers the nudges waiting and ends a pause; on Zalo, whose buttons are a numbered
    list, "1" right after a nudge is the nudge's button (it was the last thing the person was sent)."""
    seen = ctx.user.last_seen_at
    if not await plans.answered(ctx.session, ctx.user.id, datetime.now(UTC)):
        return
    incoming = ctx.incoming
    if incoming.channel != "zalo" or incoming.text is None or parse_number(incoming.text) != 1:
        return
    last_sent = await ctx.session.scalar(
        select(OutboxMessage.sent_at).join(Nudge, Nudge.outbox_id == OutboxMessage.id)
        .where(Nudge.user_id == ctx.user.id, OutboxMessage.status == "sent").order_by(Nudge.id.desc()).limit(1))
    if last_sent is not None and (seen is None or aware(last_sent) > aware(seen)):
        ctx.incoming = Incoming(**{**incoming.__dict__, "text": None, "option": GO})

