"""Ôn nhanh: three questions from lessons and quizzes done before, due by their Leitner box.

Offered on "Học tiếp" and by a nudge's button. Each answer moves its question
between boxes (`bot.review`): right, it comes back later; missed, tomorrow.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bot.content.models import QuizQuestion
from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.quiz import bank
from bot.review import items

router = Router()
START = "review:start"
_rng = random.SystemRandom()


async def waiting(ctx: Ctx) -> int:
    """How many questions are due for review now (0 for someone who never finished a lesson or quiz)."""
    return await ctx.answer_once("review:due", lambda: items.due_count(ctx.session, ctx.user.id, datetime.now(UTC)))


async def offer(ctx: Ctx) -> Option | None:
    """The "Ôn nhanh: 3 câu" button, when questions are due."""
    count = await waiting(ctx)
    if not count:
        return None
    return ctx.opt(START, "review.offer", n=min(count, items.SESSION))


async def start_review(ctx: Ctx) -> None:
    due = await items.due(ctx.session, ctx.services.content, ctx.user.id, datetime.now(UTC))
    if not due:
        await ctx.home(ctx.t("review.nothing_due"))
        return
    await ctx.go("review.question", items=due, index=0, right=0)


@router.option_prefix(START)
async def chosen_start(ctx: Ctx) -> None:
    await start_review(ctx)


def _order(ctx: Ctx, question: QuizQuestion) -> list[int]:
    """The shown order of the options, kept while the question is on screen (true/false stays Đúng, Sai)."""
    count = len(question.options)
    order = ctx.data.get("order")
    if not (isinstance(order, list) and sorted(order) == list(range(count))):
        order = list(range(count))
        if question.kind != "truefalse":
            _rng.shuffle(order)
        ctx.data["order"] = order
    return order


@router.screen("review.question", help="help.review", needs=("items",))
async def review_question(ctx: Ctx) -> None:
    content = ctx.services.content
    queue = [qid for qid in ctx.data.get("items", []) if isinstance(qid, str)]
    index = int(ctx.data.get("index", 0))
    question = content.question(queue[index]) if index < len(queue) else None
    if question is not None and (shown := ctx.chosen_number("r", below=len(question.options))) is not None:
        order = _order(ctx, question)
        correct = bank.is_correct(question, order, shown)
        await items.record_answers(ctx.session, content, ctx.user.id, [(question.id, correct)], datetime.now(UTC))
        right = bank.shown_options(question, order)[order.index(question.answer)]
        verdict = ctx.t("quiz.right") if correct else ctx.t("review.missed", answer=right)
        ctx.say(f"{verdict}\n{question.explanation.strip()}", screen="review.feedback")
        ctx.data.update(index=index + 1, right=int(ctx.data.get("right", 0)) + correct)
        ctx.data.pop("order", None)
        index += 1
        question = content.question(queue[index]) if index < len(queue) else None
    if question is None:
        await ctx.replace("review.done", right=int(ctx.data.get("right", 0)), total=len(queue))
        return
    order = _order(ctx, question)
    labels = bank.shown_options(question, order)
    ctx.say(ctx.t("review.question", n=index + 1, total=len(queue), question=question.question.strip()),
            [Option(f"r{i}", label) for i, label in enumerate(labels)] + [ctx.opt("menu", "review.later")])


@router.screen("review.done", help="help.review")
async def review_done(ctx: Ctx) -> None:
    if ctx.option == "learn":
        await ctx.go("lessons.resume", reviewed=True) if "lessons.resume" in ctx.screens else await ctx.home()
        return
    right, total = int(ctx.data.get("right", 0)), int(ctx.data.get("total", 0))
    key = "review.all_right" if right == total else "review.result"
    ctx.say(ctx.t(key, right=right, total=total),
            [ctx.opt("learn", "review.learn_on"), ctx.opt("menu", "menu.back_to_menu")])
