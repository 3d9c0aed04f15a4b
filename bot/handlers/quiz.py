"""Làm bài kiểm tra: 10 random questions per topic, feedback after each, result, review, retry, resume."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.db.learning import QuizAttempt
from bot.handlers.certificates import send_new_certificates
from bot.handlers.read_aloud import listen_option
from bot.quiz import attempts, bank
from bot.review import items as review_items

router = Router()


def _bank(ctx: Ctx, topic_id: str):
    return ctx.services.content.questions.get(topic_id, [])


def _question(ctx: Ctx, question_id: str):
    return ctx.services.content.question(question_id)


@router.screen("quiz.intro", help="help.quiz")
async def quiz_intro(ctx: Ctx) -> None:
    content = ctx.services.content
    if (topic_id := ctx.chosen("topic")) is not None:
        ctx.data["topic"] = topic_id
        ctx.option, ctx.entering = None, True
    topic = content.topic(ctx.data.get("topic", ""))
    if topic is None:
        done = await attempts.passed_topics(ctx.session, ctx.user.id)
        options = [Option(f"topic:{t.id}", f"{'✓' if t.id in done else '○'} {t.short}")
                   for t in content.topics if content.questions.get(t.id)]
        ctx.say(ctx.t("quiz.choose_topic"), options[:5] + [ctx.opt("back", "nav.back")])
        return
    attempt = await attempts.open_attempt(ctx.session, ctx.user.id, topic.id)
    if ctx.option == "start" or (ctx.option == "restart" and attempt is not None):
        if attempt is not None:
            attempt.finished_at = datetime.now(UTC)
        attempt = await attempts.start(ctx.session, ctx.services.content, ctx.user.id, topic.id)
        await ctx.replace("quiz.question", attempt=attempt.id)
        return
    if ctx.option == "continue" and attempt is not None:
        await ctx.replace("quiz.question", attempt=attempt.id)
        return
    if attempt is not None:
        ctx.say(ctx.t("quiz.resume_offer", topic=topic.title, n=len(attempt.answers) + 1,
                      total=len(attempt.question_ids)),
                [ctx.opt("continue", "quiz.continue"), ctx.opt("restart", "quiz.restart"),
                 ctx.opt("menu", "menu.back_to_menu")])
        return
    count = min(bank.QUESTIONS_PER_ATTEMPT, len(_bank(ctx, topic.id)))
    need = -(-count * ctx.settings.quiz_pass_mark // 100)
    ctx.say(ctx.t("quiz.intro", topic=topic.title, count=count, need=need),
            [ctx.opt("start", "quiz.start"), ctx.opt("back", "nav.back")])


async def _attempt(ctx: Ctx) -> QuizAttempt | None:
    attempt = await ctx.session.get(QuizAttempt, int(ctx.data.get("attempt", 0)))
    if attempt is None or attempt.user_id != ctx.user.id or attempt.finished_at is not None:
        return None
    return attempt


@router.screen("quiz.question", help="help.quiz_question")
async def quiz_question(ctx: Ctx) -> None:
    attempt = await _attempt(ctx)
    if attempt is None:
        await ctx.replace("quiz.intro")
        return
    content = ctx.services.content
    found = attempts.current(content, attempt)
    if found is not None and (shown := ctx.chosen_number("q", below=len(found[1]))) is not None:
        question, order, correct = attempts.answer(content, attempt, shown)
        ctx.say(feedback(ctx, question, order, correct), screen="quiz.feedback")
        found = attempts.current(content, attempt)
    if found is None:
        attempts.finish(attempt, ctx.settings.quiz_pass_mark)
        await review_items.record_answers(ctx.session, content, ctx.user.id, (
            (qid, bool(item["correct"])) for qid, item in zip(attempt.question_ids, attempt.answers)), datetime.now(UTC))
        await ctx.replace("quiz.result", attempt=attempt.id)
        return
    text, options = question_screen(ctx, attempt, *found)
    ctx.say(text, options + [listen_option(ctx, f"quiz:{found[0].id}"), ctx.opt("menu", "quiz.pause")])


def feedback(ctx: Ctx, question, order: list[int], correct: bool) -> str:
    right = bank.shown_options(question, order)[order.index(question.answer)]
    verdict = ctx.t("quiz.right") if correct else ctx.t("quiz.wrong", answer=right)
    return f"{verdict}\n{question.explanation.strip()}"


def question_screen(ctx: Ctx, attempt: QuizAttempt, question, order: list[int]) -> tuple[str, list[Option]]:
    """The question text and its answers as buttons ("q0", "q1", … in the shown order)."""
    labels = bank.shown_options(question, order)
    text = ctx.t("quiz.question", n=len(attempt.answers) + 1, total=len(attempt.question_ids),
                 question=question.question.strip())
    return text, [Option(f"q{i}", label) for i, label in enumerate(labels)]


@router.screen("quiz.result", help="help.quiz_result")
async def quiz_result(ctx: Ctx) -> None:
    attempt = await ctx.session.get(QuizAttempt, int(ctx.data.get("attempt", 0)))
    content = ctx.services.content
    if attempt is None or attempt.user_id != ctx.user.id:
        await ctx.replace("quiz.intro")
        return
    topic = content.topic(attempt.topic_id)
    missed = [(qid, answer) for qid, answer in zip(attempt.question_ids, attempt.answers) if not answer["correct"]]
    if ctx.option == "retry":
        await ctx.replace("quiz.intro", topic=attempt.topic_id)
        return
    if ctx.option == "review":
        await ctx.replace("quiz.review", attempt=attempt.id, index=0)
        return
    first_missed = _question(ctx, missed[0][0]) if missed else None
    lesson = content.lessons.get(first_missed.lesson) if first_missed is not None else None
    if ctx.option == "reread" and lesson is not None:
        await ctx.go("lesson.step", lesson=lesson.id, step=0)
        return
    if ctx.option == "certificates":
        await ctx.go("certificates")
        return
    if ctx.option == "quiz_other":
        await ctx.go("quiz.intro")
        return
    text = ctx.t("quiz.score", topic=topic.title if topic else attempt.topic_id, score=attempt.score, total=len(attempt.question_ids))
    if attempt.passed:
        ctx.say(text + "\n" + ctx.t("quiz.passed"))
        if ctx.entering:
            await send_new_certificates(ctx, attempt.topic_id)
            if ctx.screen != "quiz.result":  # the name to print is asked or confirmed first
                return
        ctx.say(ctx.t("quiz.what_next"), [ctx.opt("certificates", "menu.certificates"),
                                          ctx.opt("quiz_other", "quiz.other_topic"),
                                          ctx.opt("menu", "menu.back_to_menu")])
        return
    ctx.say(text + "\n" + ctx.t("quiz.failed", need=ctx.settings.quiz_pass_mark),
            [ctx.opt("review", "quiz.review"), ctx.opt("retry", "quiz.retry"), ctx.opt("reread", "quiz.reread"),
             ctx.opt("menu", "menu.back_to_menu")])


@router.screen("quiz.review", help="help.quiz_result")
async def quiz_review(ctx: Ctx) -> None:
    """The missed questions one at a time: the right answer, why, and the lesson to reread one tap away."""
    attempt = await ctx.session.get(QuizAttempt, int(ctx.data.get("attempt", 0)))
    if attempt is None or attempt.user_id != ctx.user.id:
        await ctx.replace("quiz.intro")
        return
    if ctx.option == "retry":
        await ctx.replace("quiz.intro", topic=attempt.topic_id)
        return
    content = ctx.services.content
    missed = [qid for qid, answer in zip(attempt.question_ids, attempt.answers) if not answer["correct"]]
    index = int(ctx.data.get("index", 0))
    if ctx.option == "next":
        index = ctx.data["index"] = index + 1
    question = _question(ctx, missed[index]) if index < len(missed) else None
    lesson = content.lessons.get(question.lesson) if question is not None else None
    if ctx.option == "reread" and lesson is not None:
        await ctx.go("lesson.step", lesson=lesson.id, step=0)
        return
    if question is None:
        ctx.say(ctx.t("quiz.review_end"), [ctx.opt("retry", "quiz.retry"), ctx.opt("menu", "menu.back_to_menu")])
        return
    options = [ctx.opt("next", "quiz.review_next")] if index + 1 < len(missed) else []
    if lesson is not None:
        options.append(ctx.opt("reread", "quiz.reread_lesson", title=lesson.title))
    ctx.say(ctx.t("quiz.review_item", n=index + 1, total=len(missed), question=question.question.strip(),
                  answer=question.options[question.answer], explanation=question.explanation.strip()),
            options + [ctx.opt("retry", "quiz.retry"), ctx.opt("back", "nav.back")])


router.menu_entry(20, "quiz", "menu.quiz", "quiz.intro")
