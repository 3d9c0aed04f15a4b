"""Hỏi đáp: questions typed in the residents' own words, answered from the FAQ and the lessons.

Any text that is not a choice on the current screen comes here too. What we could
not answer is kept, masked, so staff grow the FAQ from real questions
(`bot faq unanswered`).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from bot.content.intents import classify, in_domain
from bot.content.search import Hit, index_of
from bot.core.context import Ctx
from bot.core.engine import AGAIN
from bot.core.flow import Router
from bot.core.matching import match_option
from bot.core.messages import Option
from bot.db.learning import UnansweredQuestion
from bot.handlers.menu import shown_to
from bot.handlers.read_aloud import listen_option
from bot.handlers.scamcheck import looks_forwarded, tell_verdict
from bot.text.fold import fold
from bot.text.labels import cut_at_word
from bot.text.masking import mask

router = Router()

MIN_QUESTION = 3
LESSON_NUMBER = re.compile(r"^(?:bai|bai hoc|hoc bai)\s*(\d{1,2})$")
TOPIC_PREFIX = re.compile(r"^(?:hoc|hoc bai|bai hoc|chu de|xem)\s+")
SURE = 51.0
"""A search hit this good is answered; below it, the question is declined kindly with the best two
hits offered as "Có phải bạn hỏi…" (out-of-scope questions score up to 51 on the measured set)."""
SURE_IN_DOMAIN = 42.0
FAQ_MARGIN = 5.0
LONG_STORY = 25  # words; a longer message is read sentence by sentence
STORY_SENTENCES = 6  # of a long story, the last sentences read
STORY_COVERAGE = 0.25  # of a story's part, the share of words an answer must hold (a question alone: 0.34)
STORY_BREAK = re.compile(r"(?<=[.!?\n])\s+|\n")
EMERGENCY_LESSON = "antoan-8"  # "Lỡ chuyển tiền cho kẻ lừa đảo: làm gì ngay"
STOP_WORDS = {"tat thong bao", "khong nhan thong bao", "ngung thong bao", "huy thong bao", "stop announcements"}


def _hit_option(hit: Hit) -> Option:
    return Option(f"faq:{hit.id}" if hit.kind == "faq" else f"read:{hit.id}", cut_at_word(hit.title, 60))


async def answer(ctx: Ctx, query: str, *, extra: list[Option] | None = None) -> bool:
    """Replies with the best answer and up to 3 other likely ones; False when nothing fits."""
    if looks_forwarded(ctx, query):  # a message they got, with a link: is it a trap?
        tell_verdict(ctx, query)
        return True
    if await understood(ctx, query):
        return True
    hits = search(ctx, query)
    if not hits:
        return False
    if not sure(query, hits[0]):
        await no_answer(ctx, query, [_hit_option(h) for h in hits[:2]])
        return True
    await show_hit(ctx, hits[0], others=[_hit_option(h) for h in hits[1:]], extra=extra)
    return True


def sure(text: str, hit: Hit) -> bool:
    """Certain enough to answer: a question about what the assistant knows may score lower."""
    return hit.score >= SURE or (hit.score >= SURE_IN_DOMAIN and in_domain(text))


def search(ctx: Ctx, text: str, limit: int = 4) -> list[Hit]:
    """The likely answers; in a long story, those of the part that asks (`asking_parts`)."""
    return _faq_first(_search(ctx, text, limit))


def _faq_first(hits: list[Hit]) -> list[Hit]:
    """A lesson on top with an FAQ entry close behind: the entry answers the question itself (and
    links to the lesson), so it comes first."""
    if hits and hits[0].kind == "lesson":
        close = next((h for h in hits[1:] if h.kind == "faq" and hits[0].score - h.score <= FAQ_MARGIN), None)
        if close is not None:
            return [close, *(h for h in hits if h is not close)]
    return hits


def _search(ctx: Ctx, text: str, limit: int) -> list[Hit]:
    index = index_of(ctx.services.content)
    parts = asking_parts(text)
    if len(parts) == 1:
        return index.search(text, limit=limit)
    found: dict[tuple[str, str], Hit] = {}
    searches = [(weight, index.search(part, limit=limit, min_coverage=STORY_COVERAGE)) for weight, part in parts]
    for weight, hits in [*searches, (1.0, index.search_story(" ".join(_sentences(text)[-STORY_SENTENCES:]), limit))]:
        for hit in hits:
            scored = Hit(hit.kind, hit.id, hit.title, hit.score * weight)
            key = (hit.kind, hit.id)
            if key not in found or found[key].score < scored.score:
                found[key] = scored
    return sorted(found.values(), key=lambda h: h.score, reverse=True)[:limit]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in STORY_BREAK.split(text) if len(s.split()) >= 3]


def asking_parts(text: str) -> list[tuple[float, str]]:
    """A long story's sentences, the one that asks (a "?" or the last) counting most; a short text whole.

    Residents tell what happened first and ask last ("... Giờ tôi phải làm gì"): searching the
    whole story lets its many words about the past outvote the few that ask."""
    sentences = _sentences(text)
    if len(text.split()) <= LONG_STORY or len(sentences) < 2:
        return [(1.0, text)]
    sentences = sentences[-STORY_SENTENCES:]  # the asking is at the end; a 300-word message stays quick
    pairs = [" ".join(sentences[i:i + 2]) for i in range(len(sentences) - 1)]
    parts = [(0.9, pair) for pair in pairs[:-1]] + [(1.0, pairs[-1])]
    # A sentence alone only when it says enough: "có nên không" matches anything.
    parts += [(1.0, s) for s in sentences if len(s.split()) >= 6 and (s.endswith("?") or s is sentences[-1])]
    return parts


async def understood(ctx: Ctx, text: str) -> bool:
    """An emergency, a harmful request or a request for a person: answered before any search
    (`bot.content.intents`), so nobody losing money now gets a lesson, and nothing harmful gets a
    topical text."""
    intent = classify(text)
    if intent == "emergency":
        ctx.say(ctx.t("intent.emergency"), about="intent:emergency")
        lesson = ctx.services.content.lessons.get(EMERGENCY_LESSON)
        options = [ctx.opt("helper", "menu.ask_helper")]
        if lesson is not None:
            options.append(Option(f"read:{lesson.id}", cut_at_word(ctx.t("faq.read_lesson", title=lesson.title), 60)))
        ctx.say(ctx.t("intent.emergency_more"), options + [ctx.opt("menu", "menu.back_to_menu")],
                screen="fallback", about="intent:emergency")
    elif intent == "harmful":
        ctx.say(ctx.t("intent.harmful"), [ctx.opt("menu", "menu.back_to_menu")], screen="fallback",
                about="intent:harmful")
    elif intent == "human":
        ctx.say(ctx.t("intent.human"), about="intent:human")
        await ctx.go("mentee.mine")
    return intent is not None


async def show_hit(ctx: Ctx, hit: Hit, *, others: list[Option], extra: list[Option] | None = None) -> None:
    content = ctx.services.content
    options = others[:3]
    listen = listen_option(ctx, f"faq:{hit.id}" if hit.kind == "faq" else f"step:{hit.id}:0")
    if hit.kind == "faq":
        entry = next(e for e in content.faq if e.id == hit.id)
        text = f"❓ {entry.question}\n{entry.answer}"  # the question answered first: a misreading shows at once
        if entry.lesson and entry.lesson in content.lessons:
            options.insert(0, Option(f"read:{entry.lesson}", ctx.t("faq.read_lesson",
                                                                    title=content.lessons[entry.lesson].title)))
    else:
        lesson = content.lessons[hit.id]
        text = ctx.t("faq.lesson_found", title=lesson.title, first=lesson.steps[0].text.strip())
        options.insert(0, Option(f"read:{lesson.id}", ctx.t("faq.read_this")))
    options = options[:3] + [listen] + (extra or []) + [ctx.opt("menu", "menu.back_to_menu")]
    ctx.say(text, options[:6], screen="faq.answer", about=f"{hit.kind}:{hit.id}")


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
    text = ctx.t("intent.out_of_scope") + ("\n" + ctx.t("intent.maybe") if candidates else "")
    ctx.say(text, options[:6], screen="fallback", about="intent:out_of_scope")


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
    if looks_forwarded(ctx, text):
        tell_verdict(ctx, text)
        return
    if await understood(ctx, text):
        return
    # A sentence is never a button: `match_option` refuses texts much longer than every label.
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
    hits = search(ctx, text)
    if hits and sure(text, hits[0]):
        await show_hit(ctx, hits[0], others=[_hit_option(h) for h in hits[1:]], extra=_back_option(ctx))
        return
    if candidates and not hits and ctx.screen not in ("menu", "faq.ask"):
        # Most likely a slip on one of this screen's own buttons (an answer, "Tiếp").
        ctx.say(ctx.t("engine.did_you_mean"), candidates + [ctx.opt(AGAIN, "engine.show_again"),
                                                           ctx.opt("menu", "menu.back_to_menu")], screen="fallback")
        return
    # Not sure: decline kindly, offering the closest questions and choices ("Có phải bạn hỏi…").
    await no_answer(ctx, text, [_hit_option(h) for h in hits[:2]] + candidates[:1])


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
    names = {fold(name): t.id for t in content.topics for name in (t.short, t.title)}
    # The topic's name itself, give or take a typo; "quen mk vneid" is a question about VNeID, not the topic.
    found = process.extractOne(topic_words, list(names), scorer=fuzz.ratio, score_cutoff=88)
    if found is None:
        return False
    await ctx.go("topic.lessons", topic=names[found[0]], page=0)
    return True


router.menu_entry(35, "faq", "menu.faq", "faq.ask")
