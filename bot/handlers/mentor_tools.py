"""A mentor's work with one mentee: their progress, encouragement, a lesson done together (recorded
in `bot.handlers.mentor_session`), and the quiz taken aloud with the mentor entering each answer —
the only way a mentor's work earns a certificate."""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.db.learning import QuizAttempt
from bot.db.models import User
from bot.db.network import Mentor
from bot.handlers.certificates import send_certificate
from bot.handlers.mentor import _mentor
from bot.handlers.quiz import feedback, question_screen
from bot.lessons import progress as prog
from bot.network import mentors as net
from bot.outbox.queue import enqueue
from bot.people.roles import MENTOR
from bot.quiz import attempts
from bot.quiz.certificates import issue_for_pass
from bot.review import items as review_items

router = Router()


async def _with_mentee(ctx: Ctx) -> tuple[Mentor, User] | None:
    """(the mentor speaking, the mentee this screen is about); None (and back to the mentor's
    screen) when that person is not, or no longer, their mentee."""
    mentor = await _mentor(ctx)
    mentee_id = int(ctx.data.get("mentee", 0))
    mentee = await net.mentee_of(ctx.session, mentor, mentee_id)
    if mentee is None:
        gone = await ctx.session.get(User, mentee_id) is None  # deleted their data: not an error of the mentor's
        ctx.say(ctx.t("mentor.mentee_left" if gone else "mentor.not_your_mentee"))
        await ctx.replace("mentor.home")
        return None
    return mentor, mentee


@router.screen("mentor.mentee", help="help.mentor_mentee", requires=MENTOR)
async def mentee_detail(ctx: Ctx) -> None:
    if (pair := await _with_mentee(ctx)) is None:
        return
    mentor, mentee = pair
    if ctx.option == "encourage":
        await enqueue(ctx.session, mentee.id, ctx.t("mentor.encouragement", mentor=mentor.full_name))
        ctx.say(ctx.t("mentor.encouraged", name=mentee.display_name))
    elif ctx.option == "lesson":
        await ctx.go("mentor.session_topic", attendees=[mentee.id])
        return
    elif ctx.option == "quiz":
        await ctx.go("mentor.quiz", mentee=mentee.id)
        return
    elif ctx.option == "end":
        pairing = await net.active_pairing(ctx.session, mentee.id)
        if pairing is not None:
            await net.end_pairing(ctx.session, pairing, "ended-by-mentor")
        ctx.say(ctx.t("mentor.ended", name=mentee.display_name))
        await ctx.replace("mentor.home")
        return
    progress = await prog.progress_of(ctx.session, mentee.id)
    lines = [ctx.t("mentor.detail_title", name=mentee.display_name)]
    for topic in ctx.services.content.core_topics:
        lessons = ctx.services.content.lessons_by_topic.get(topic.id, [])
        done = sum(1 for lesson in lessons if lesson.id in progress and progress[lesson.id].completed_at)
        lines.append(f"• {topic.short}: {done}/{len(lessons)}")
    if missed := await review_items.kept_missing(ctx.session, mentee.id):  # topics to go over together
        shorts = {t.id: t.short for t in ctx.services.content.topics}
        lines.append(ctx.t("mentor.keeps_missing", topics=", ".join(shorts.get(m.topic_id, m.topic_id) for m in missed)))
    options = [ctx.opt("lesson", "mentor.record_together"), ctx.opt("quiz", "mentor.quiz_together")]
    if mentee.channel != "offline":
        options.append(ctx.opt("encourage", "mentor.encourage"))
    options += [ctx.opt("end", "mentor.end"), ctx.opt("back", "nav.back")]
    ctx.say("\n".join(lines), options)


@router.screen("mentor.quiz", help="help.mentor_quiz", requires=MENTOR)
async def quiz_together(ctx: Ctx) -> None:
    """The mentee answers aloud and the mentor taps each answer: the same bank, draw and pass mark as in
    chat, so a pass earns the mentee's certificate (shown to the mentor to print or show)."""
    if (pair := await _with_mentee(ctx)) is None:
        return
    mentor, mentee = pair
    content = ctx.services.content
    attempt = await ctx.session.get(QuizAttempt, int(ctx.data.get("attempt", 0)))
    if attempt is None or attempt.user_id != mentee.id or attempt.finished_at is not None:
        if (topic_id := ctx.chosen("topic")) is not None and content.questions.get(topic_id):
            attempt = await attempts.start(ctx.session, content, mentee.id, topic_id)
            ctx.data["attempt"] = attempt.id
            ctx.option = None
        else:
            topics = [Option(f"topic:{t.id}", t.short) for t in content.topics if content.questions.get(t.id)]
            ctx.say(ctx.t("mentor.quiz_intro", name=mentee.display_name), topics[:5] + [ctx.opt("back", "nav.back")])
            return
    found = attempts.current(content, attempt)
    if found is not None and (shown := ctx.chosen_number("q", below=len(found[1]))) is not None:
        question, order, correct = attempts.answer(content, attempt, shown, with_mentor=mentor.id)
        ctx.say(feedback(ctx, question, order, correct), screen="quiz.feedback")
        found = attempts.current(content, attempt)
    if found is not None:
        text, options = question_screen(ctx, attempt, *found)
        ctx.say(text, options + [ctx.opt("back", "nav.back")])
        return
    passed = attempts.finish(attempt, ctx.settings.quiz_pass_mark)
    ctx.say(ctx.t("mentor.quiz_result", name=mentee.display_name, score=attempt.score,
                  total=len(attempt.question_ids)))
    if passed and mentee.has_consented and mentee.display_name:
        for certificate in await issue_for_pass(ctx.session, ctx.settings, content, mentee, attempt.topic_id):
            await send_certificate(ctx, certificate, "mentor.quiz_certificate")
    ctx.history.clear()
    await ctx.replace("mentor.mentee", mentee=mentee.id)
