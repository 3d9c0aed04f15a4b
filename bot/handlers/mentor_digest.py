""""Nhắc nhẹ" from the weekly mentor digest (`bot.network.digest`): one tap, one kind line to the mentee.

The button comes in a pushed message, so it works on whatever screen the mentor is on;
the identity tapping it must be an approved Đại sứ số and the person still their
mentee (`mentee_of`), so a forged or stale button reaches nobody.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.network import digest
from bot.network import mentors as net
from bot.people.roles import MENTOR, approved_mentor_of

router = Router()


@router.pushed_option(digest.GENTLE)
async def gentle_nudge(ctx: Ctx) -> None:
    back = [ctx.opt("menu", "menu.back_to_menu")]
    mentor = await approved_mentor_of(ctx.session, ctx.identity) if await ctx.holds(MENTOR) else None
    mentee_id = ctx.chosen_id(digest.GENTLE.rstrip(":"))
    mentee = await net.mentee_of(ctx.session, mentor, mentee_id) if mentor and mentee_id else None
    if mentor is None or mentee is None:
        ctx.say(ctx.t("mentor.not_your_mentee"), back, screen="mentor.gentle")
        return
    if await digest.nudged_recently(ctx.session, mentee.id, datetime.now(UTC)):
        ctx.say(ctx.t("digest.gentle_already", name=mentee.display_name), back, screen="mentor.gentle")
        return
    await digest.send_gentle(ctx.session, mentor, mentee)
    ctx.say(ctx.t("digest.gentle_sent", name=mentee.display_name), back, screen="mentor.gentle")
