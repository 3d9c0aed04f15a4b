"""A mentor's work with one mentee (detail, encouragement, a lesson done together, the quiz taken
aloud with the mentor entering each answer) and with a group ("buổi hướng dẫn"): attendance, the
lesson taught, the help log.

Only a quiz whose every answer was entered earns a certificate; a session
records who came and what was taught, never a result by itself.
"""

from __future__ import annotations

from datetime import date

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.db.learning import QuizAttempt
from bot.db.network import PLACES, HelpSession, HelpSessionAttendee
from bot.handlers.certificates import send_certificate
from bot.handlers.mentor import _mentor, core_lesson_counts
from bot.handlers.quiz import feedback, question_screen
from bot.lessons import progress as prog
from bot.network import mentors as net
from bot.outbox.queue import enqueue
from bot.people.roles import MENTOR
from bot.quiz import attempts
from bot.quiz.certificates import issue_for_pass

router = Router()

MINUTES = (15, 30, 45, 60, 90)
PICK_PAGE = 3
"""People per screen when ticking who came: with "all", "more" and "done", six choices at most."""


@router.screen("mentor.mentee", help="help.mentor_mentee", requires=MENTOR)
async def mentee_detail(ctx: Ctx) -> None:
    mentor = await _mentor(ctx)
    mentee = await net.mentee_of(ctx.session, mentor, int(ctx.data.get("mentee", 0)))
    if mentee is None:
        ctx.say(ctx.t("mentor.not_your_mentee"))
        await ctx.replace("mentor.home")
        return
    if ctx.option == "encourage":
        await enqueue(ctx.session, mentee.id, ctx.t("mentor.encouragement", mentor=mentor.full_name))
        ctx.say(ctx.t("mentor.encouraged", name=mentee.display_name))
    elif ctx.option == "lesson":
        await ctx.go("mentor.session", attendees=[mentee.id], step="topic")
        return
    elif ctx.option == "quiz":
        await ctx.go("mentor.quiz", mentee=mentee.id)
        return
    elif ctx.option == "end":
        pairing = await net.active_pairing(ctx.session, mentee.id)
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
    options = [ctx.opt("lesson", "mentor.record_together"), ctx.opt("quiz", "mentor.quiz_together")]
    if mentee.channel != "offline":
        options.append(ctx.opt("encourage", "mentor.encourage"))
    options += [ctx.opt("end", "mentor.end"), ctx.opt("back", "nav.back")]
    ctx.say("\n".join(lines), options)


@router.screen("mentor.session", help="help.mentor_session", free_text=True, requires=MENTOR)
async def session_log(ctx: Ctx) -> None:
    """Steps: attendees (group) → topic → lesson → minutes → place → quiz scores → saved in one go."""
    mentor = await _mentor(ctx)
    content, step = ctx.services.content, ctx.data.get("step", "attendees")
    attendees: list[int] = list(ctx.data.get("attendees", []))
    if step == "attendees":
        rows = await net.mentee_rows(ctx.session, mentor, core_lesson_counts(ctx))
        page = int(ctx.data.get("page", 0))
        if (person := ctx.chosen_id("m")) is not None:  # a tap ticks, a second tap unticks
            attendees = [a for a in attendees if a != person] if person in attendees else attendees + [person]
            ctx.data["attendees"] = attendees
        elif ctx.option == "all":
            everyone = [row.user_id for row in rows]
            ctx.data["attendees"] = attendees = [] if set(everyone) <= set(attendees) else everyone
        elif ctx.option == "more":
            page = ctx.data["page"] = page + 1 if (page + 1) * PICK_PAGE < len(rows) else 0
        elif ctx.option == "done" and attendees:
            ctx.data["step"] = step = "topic"
        if step == "attendees":
            shown = rows[page * PICK_PAGE:(page + 1) * PICK_PAGE]
            options = [Option(f"m:{row.user_id}", ("☑ " if row.user_id in attendees else "☐ ") + row.name)
                       for row in shown]
            if len(rows) > PICK_PAGE:
                options.append(ctx.opt("more", "menu.more"))
            ctx.say(ctx.t("session.pick", n=len(attendees)),
                    [ctx.opt("all", "session.all"), *options, ctx.opt("done", "session.done")])
            return
    if step == "topic":
        if (topic_id := ctx.chosen("topic")) is not None:
            ctx.data.update(step="lesson", topic=topic_id)
            step = "lesson"
        else:
            ctx.say(ctx.t("session.topic"), [Option(f"topic:{t.id}", t.short) for t in content.topics][:6])
            return
    if step == "lesson":
        lessons = content.lessons_by_topic.get(ctx.data["topic"], [])
        if (lesson_id := ctx.chosen("lesson")) in content.lessons:
            ctx.data.update(step="minutes", lesson=lesson_id)
            step = "minutes"
        else:
            number = prog_number(ctx.text)
            if number is not None and 1 <= number <= len(lessons):
                ctx.data.update(step="minutes", lesson=lessons[number - 1].id)
                step = "minutes"
            else:
                listing = "\n".join(f"{n}. {lesson.title}" for n, lesson in enumerate(lessons, 1))
                ctx.say(ctx.t("session.lesson") + "\n" + listing,
                        [Option(f"lesson:{lesson.id}", lesson.title) for lesson in lessons][:6])
                return
    if step == "minutes":
        minutes = prog_number(ctx.text) if ctx.text and not ctx.option else None
        if ctx.chosen_id("min") is not None:
            minutes = ctx.chosen_id("min")
        if minutes is not None and 1 <= minutes <= 600 and ctx.data.get("asked_minutes"):
            ctx.data.update(step="place", minutes=minutes)
            step = "place"
        else:
            ctx.data["asked_minutes"] = True
            ctx.say(ctx.t("session.minutes"), [Option(f"min:{m}", ctx.t("session.n_minutes", n=m)) for m in MINUTES])
            return
    if ctx.option in PLACES and ctx.data.get("asked_place"):
        ctx.data["place"] = ctx.option
        people = [await net.mentee_of(ctx.session, mentor, person) for person in attendees]
        await save_session(ctx, mentor, [p for p in people if p is not None])
        return
    ctx.data.update(step="place", asked_place=True)
    ctx.say(ctx.t("session.place"), [ctx.opt(p, f"place.{p}") for p in PLACES])


def prog_number(text: str | None) -> int | None:
    digits = "".join(ch for ch in (text or "") if ch.isdigit())
    return int(digits) if digits and len(digits) <= 3 else None


async def save_session(ctx: Ctx, mentor, people) -> None:  # type: ignore[no-untyped-def]
    """Attendance and the lesson taught, for each person who came; no quiz result, no certificate."""
    content, data = ctx.services.content, ctx.data
    lesson = content.lessons[data["lesson"]]
    session = HelpSession(mentor_id=mentor.id, held_on=date.today(), topic_id=lesson.topic, lesson_id=lesson.id,
                          minutes=int(data["minutes"]), place=data["place"], is_group=len(people) > 1)
    ctx.session.add(session)
    await ctx.session.flush()
    for person in people:
        ctx.session.add(HelpSessionAttendee(session_id=session.id, user_id=person.id))
        await prog.complete(ctx.session, person.id, lesson.id, lesson.topic, True)
    ctx.say(ctx.t("session.saved", n=len(people), lesson=lesson.title))
    ctx.history.clear()
    await ctx.replace("mentor.home")


@router.screen("mentor.quiz", help="help.mentor_quiz", requires=MENTOR)
async def quiz_together(ctx: Ctx) -> None:
    """The mentee answers aloud and the mentor taps each answer: the same bank, draw and pass mark as in
    chat, so a pass earns the mentee's certificate (shown to the mentor to print or show)."""
    mentor = await _mentor(ctx)
    mentee = await net.mentee_of(ctx.session, mentor, int(ctx.data.get("mentee", 0)))
    if mentee is None:
        ctx.say(ctx.t("mentor.not_your_mentee"))
        await ctx.replace("mentor.home")
        return
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
