"""Kiểm tra tin nhắn lạ, "Hỏi trước khi bấm": paste or forward a message, hear at once if it is a trap.

The verdict and what to do come from `bot.scams` (rules as content, content/scams/). A
pasted text that holds a link, or a message forwarded on Telegram, is checked wherever it
is sent, not only on this screen: that is the moment of doubt. The message itself is
never stored and its links are never opened.
"""

from __future__ import annotations

import random
from functools import cache

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.db.learning import ScamCheck
from bot.lessons.progress import complete
from bot.scams import CONTENT_DIR, PracticeSet, check, default_rules, find_links, load_practice, render

router = Router()
ANOTHER = "check-another"
"""The verdict's "Kiểm tra tin khác": works wherever the verdict was given (a pasted link at the menu too)."""


@router.option_prefix(ANOTHER)
async def check_another(ctx: Ctx) -> None:
    await ctx.go("scam.check")


def looks_forwarded(ctx: Ctx, text: str) -> bool:
    """A message the person received rather than wrote: forwarded, or carrying a link."""
    return ctx.incoming.forwarded or bool(find_links(text, default_rules()))


def tell_verdict(ctx: Ctx, text: str) -> None:
    """The verdict and what to do; counted for the monthly report by TDP and trick, without the text."""
    verdict = check(text)
    ctx.session.add(ScamCheck(tdp_id=ctx.user.tdp_id, verdict=verdict.verdict, signs=sorted(verdict.signs)))
    ctx.say(render(verdict, ctx.lang), [ctx.opt(ANOTHER, "scam.again"), ctx.opt("helper", "menu.ask_helper"),
                                        ctx.opt("menu", "menu.back_to_menu")],
            screen="scam.check", about=f"scam:{verdict.verdict}")


@router.screen("scam.check", help="help.scam_check", free_text=True)
async def scam_check(ctx: Ctx) -> None:
    if ctx.option == "practice":
        await ctx.go("scam.practice")
        return
    if ctx.entering or not (ctx.text or "").strip():
        ctx.say(ctx.t("scam.ask"), [ctx.opt("practice", "scam.practice"), ctx.opt("menu", "menu.back_to_menu")])
        return
    tell_verdict(ctx, ctx.text or "")


PRACTICE_LESSON, PRACTICE_TOPIC = "luyen-nhan-biet-lua-dao", "antoan"
"""A passed round is kept as a finished activity of the An toàn topic: it shows in the week's count,
the mentor's view of the topic and the TDP report beside the topic's lessons."""


@cache
def practice_set() -> PracticeSet:
    return load_practice(CONTENT_DIR)


def draw_round(practice: PracticeSet, rng: random.Random) -> list[str]:
    """Half real, half fake messages, shuffled: the draw `bot content check` proves no blind habit passes."""
    fake = [i.id for i in practice.items if i.is_scam]
    real = [i.id for i in practice.items if not i.is_scam]
    half = practice.draw // 2
    chosen = rng.sample(fake, min(len(fake), practice.draw - half)) + rng.sample(real, min(len(real), half))
    rng.shuffle(chosen)
    return chosen


@router.screen("scam.practice", help="help.scam_practice")
async def practice(ctx: Ctx) -> None:
    """"Luyện nhận biết lừa đảo": a round of real and fake messages; after each answer, why."""
    practice = practice_set()
    if ctx.entering or ctx.option == "again" or "round" not in ctx.data:
        ctx.data.update(round=draw_round(practice, random.Random()), at=0, right=0)
        ctx.say(ctx.t("scam.practice_intro", total=len(ctx.data["round"])))
    elif ctx.option in ("lua-dao", "an-toan"):
        item = practice.item(ctx.data["round"][ctx.data["at"]])
        if item is not None:
            right = ctx.option == item.answer
            ctx.data["right"] += int(right)
            ctx.say(ctx.t("scam.right" if right else "scam.wrong",
                          answer=ctx.t("scam.answer_scam" if item.is_scam else "scam.answer_safe")) + "\n" + item.why)
        ctx.data["at"] += 1
    ids, at = ctx.data["round"], ctx.data["at"]
    if at >= len(ids):
        right, total = ctx.data["right"], len(ids)
        passed = right >= practice.needed
        key = "scam.practice_passed" if passed else "scam.practice_failed"
        if passed and ctx.user.has_consented:  # progress is kept only for people who agreed to it
            await complete(ctx.session, ctx.user.id, PRACTICE_LESSON, PRACTICE_TOPIC, True)
            key = "scam.practice_counted"
        ctx.say(ctx.t(key, right=right, total=total), [ctx.opt("again", "scam.practice_again"),
                                                       ctx.opt("menu", "menu.back_to_menu")])
        return
    item = practice.item(ids[at])
    text = item.text if item is not None else ""
    ctx.say(ctx.t("scam.practice_item", n=at + 1, total=len(ids), text=text),
            [Option("lua-dao", ctx.t("scam.answer_scam")), Option("an-toan", ctx.t("scam.answer_safe")),
             ctx.opt("menu", "menu.back_to_menu")])


router.menu_entry(45, "scam", "menu.scam", "scam.check")
