"""Hỏi đáp: questions typed in the residents' own words, answered from the FAQ and the lessons.

Any text that is not a choice on the current screen comes here too. What we could
not answer is kept, masked, so staff grow the FAQ from real questions
(`bot faq unanswered`).
"""

from __future__ import annotations

import re

from bot.content.search import Hit, index_of
from bot.core.context import Ctx
from bot.core.engine import AGAIN
from bot.core.flow import Router
from bot.core.matching import match_option
from bot.core.messages import Option
from bot.db.learning import UnansweredQuestion
from bot.handlers.menu import shown_to
from bot.text.fold import fold
from bot.text.masking import mask

router = Router()

MIN_QUESTION = 3
LESSON_NUMBER = re.compile(r"^(?:bai|bai hoc|hoc bai)\s*(\d{1,2})$")
TOPIC_PREFIX = re.compile(r"^(?:hoc|hoc bai|bai hoc|chu de|xem)\s+")
CONFIDENT = 50.0  # a search hit this good wins over a vague resemblance to one of the screen's choices
STOP_WORDS = {"tat thong bao", "khong nhan thong bao", "ngung thong bao", "huy thong bao", "stop announcements"}


def _hit_option(hit: Hit) -> Option:
    return Option(f"faq:{hit.id}" if hit.kind == "faq" else f"read:{hit.id}", hit.title[:60])


async def answer(ctx: Ctx, query: str, *, extra: list[Option] | None = None) -> bool:
    """Replies with the best answer and up to 3 other likely ones; False when nothing fits."""
    hits = index_of(ctx.services.content).search(query, limit=4)
    if not hits:
        return False
    await show_hit(ctx, hits[0], others=[_hit_option(h) for h in hits[1:]], extra=extra)
    return True


async def show_hit(ctx: Ctx, hit: Hit, *, others: list[Option], extra: list[Option] | None = None) -> None:
    content = ctx.services.content
    options = others[:3]
    if hit.kind == "faq":
        entry = next(e for e in content.faq if e.id == hit.id)
        text = entry.answer
        if entry.lesson and entry.lesson in content.lessons:
            options.insert(0, Option(f"read:{entry.lesson}", ctx.t("faq.read_lesson",
                                                                    title=content.lessons[entry.lesson].title)))
    else:
        lesson = content.lessons[hit.id]
        text = ctx.t("faq.lesson_found", title=lesson.title, first=lesson.steps[0].text.strip())
        options.insert(0, Option(f"read:{lesson.id}", ctx.t("faq.read_this")))
    options = options[:4] + (extra or []) + [ctx.opt("menu", "menu.back_to_menu")]
    ctx.say(text, options[:6], screen="faq.answer")


@router.option_prefix("faq:")
async def chosen_faq(ctx: Ctx) -> None:
    entry = next((e for e in ctx.services.content.faq if e.id == ctx.chosen("faq")), None)
    if entry is None:
        await ctx.show_again()
        return
    await show_hit(ctx, Hit("faq", entry.id, entry.question, 100.0), others=[], extra=_back_option(ctx))


@router.option_prefix("read:")
async def chosen_lesson(ctx: Ctx) -> None:
    lesson_id = ctx.chosen("read")
    if lesson_id is None or lesson_id not in ctx.services.content.lessons:
        await ctx.show_again()
        return
    await ctx.go("lesson.step", lesson=lesson_id, step=0)


def _back_option(ctx: Ctx) -> list[Option]:
    return [] if ctx.screen in ("menu", "faq.ask") else [ctx.opt(AGAIN, "faq.back_to_step")]


@router.screen("faq.ask", help="help.faq", free_text=True)
async def ask(ctx: Ctx) -> None:
    if ctx.entering or not ctx.text:
        ctx.say(ctx.t("faq.ask"), [ctx.opt("menu", "menu.back_to_menu")])
        return
    if not await answer(ctx, ctx.text):
        await no_answer(ctx, ctx.text)


async def no_answer(ctx: Ctx, text: str, candidates: list[Option] | None = None) -> None:
    if len(text.strip()) >= MIN_QUESTION:
        ctx.session.add(UnansweredQuestion(text=mask(text.strip())[:500], channel=ctx.user.channel,
                                               user_id=ctx.user.id))
    options = (candidates or [])[:3] + _back_option(ctx)
    options += [ctx.opt("helper", "menu.ask_helper"), ctx.opt("menu", "menu.back_to_menu")]
    ctx.say(ctx.t("faq.no_answer"), options[:6], screen="fallback")


@router.option_prefix("helper")
async def to_helper(ctx: Ctx) -> None:
    await ctx.go("mentee.mine")


@router.on_unmatched
async def unmatched(ctx: Ctx, candidates: list[Option]) -> None:
    """Not a choice here: a main-menu word, then a question for the FAQ, else the closest choices."""
    text = ctx.text or ""
    if fold(text) in STOP_WORDS:
        ctx.user.notifications_off = True
        ctx.say(ctx.t("notifications.stopped"), [ctx.opt("menu", "menu.back_to_menu")], screen="settings.notifications")
        return
    menu_labels = {e.option_id: e for e in ctx.menu}
    labels = [Option(e.option_id, ctx.t(e.label_key)) for e in menu_labels.values()]
    picked = match_option(text, labels, cutoff=88)
    if picked.option is not None:
        entry = menu_labels[picked.option.id]
        if await shown_to(ctx, entry):
            await ctx.go(entry.screen)
            return
    if await open_topic_or_lesson(ctx, text):
        return
    hits = index_of(ctx.services.content).search(text, limit=4)
    if hits and (hits[0].score >= CONFIDENT or not candidates):
        await show_hit(ctx, hits[0], others=[_hit_option(h) for h in hits[1:]], extra=_back_option(ctx))
        return
    if candidates:
        ctx.say(ctx.t("engine.did_you_mean"), candidates + [ctx.opt(AGAIN, "engine.show_again"),
                                                           ctx.opt("menu", "menu.back_to_menu")], screen="fallback")
        return
    await no_answer(ctx, text)


async def open_topic_or_lesson(ctx: Ctx, text: str) -> bool:
    """"học vneid", "an toàn", "bài 2": straight to the topic, or to lesson 2 of the topic last opened."""
    content = ctx.services.content
    words = fold(text)
    lesson_number = LESSON_NUMBER.match(words)
    if lesson_number:
        topic_id = ctx.memory.get("topic")
        lessons = content.lessons_by_topic.get(topic_id or "", [])
        index = int(lesson_number.group(1)) - 1
        if 0 <= index < len(lessons):
            await ctx.go("lesson.step", lesson=lessons[index].id, step=0)
        else:
            await ctx.go("topic.list")
        return True
    topic_words = TOPIC_PREFIX.sub("", words)
    topics = [Option(t.id, t.short) for t in content.topics] + [Option(t.id, t.title) for t in content.topics]
    picked = match_option(topic_words, topics, cutoff=88)
    if picked.option is None:
        return False
    await ctx.go("topic.lessons", topic=picked.option.id, page=0)
    return True


router.menu_entry(35, "faq", "menu.faq", "faq.ask")
