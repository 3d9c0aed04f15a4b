"""A mentor's work with one mentee (detail, encouragement, lessons and quizzes done together)
and with a group ("buổi hướng dẫn"): attendance, the lesson taught, results, the help log."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.core.context import Ctx
from bot.core.flow import flow
from bot.core.messages import Option
from bot.db.learning import QuizAttempt
from bot.db.network import PLACES, HelpSession, HelpSessionAttendee
from bot.handlers.mentor import _mentor, core_lesson_counts
from bot.lessons import progress as prog
from bot.network import mentors as net
from bot.outbox import enqueue
from bot.people.roles import MENTOR
from bot.quiz import bank
from bot.quiz.certificates import issue_for_pass

MINUTES = (15, 30, 45, 60, 90)


@flow.screen("mentor.mentee", help="help.mentor_mentee", requires=MENTOR)
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
    options = [ctx.opt("lesson", "mentor.record_together")]
    if mentee.channel != "offline":
        options.append(ctx.opt("encourage", "mentor.encourage"))
    options += [ctx.opt("end", "mentor.end"), ctx.opt("back", "nav.back")]
    ctx.say("\n".join(lines), options)


@flow.screen("mentor.session", help="help.mentor_session", free_text=True, requires=MENTOR)
async def session_log(ctx: Ctx) -> None:
    """Steps: attendees (group) → topic → lesson → minutes → place → quiz scores → saved in one go."""
    mentor = await _mentor(ctx)
    content, step = ctx.services.content, ctx.data.get("step", "attendees")
    attendees: list[int] = list(ctx.data.get("attendees", []))
    if step == "attendees":
        rows = await net.mentee_rows(ctx.session, mentor, core_lesson_counts(ctx))
        if ctx.option and ctx.option.startswith("m:"):
            person = int(ctx.option[2:])
            attendees = [a for a in attendees if a != person] if person in attendees else attendees + [person]
            ctx.data["attendees"] = attendees
        elif ctx.option == "all":
            ctx.data["attendees"] = attendees = [row.user_id for row in rows]
        elif ctx.option == "done" and attendees:
            ctx.data["step"] = step = "topic"
        if step == "attendees":
            page = [Option(f"m:{row.user_id}", ("☑ " if row.user_id in attendees else "☐ ") + row.name)
                    for row in rows if row.user_id not in attendees][:3]
            ctx.say(ctx.t("session.pick", n=len(attendees)),
                    [ctx.opt("all", "session.all"), *page, ctx.opt("done", "session.done")])
            return
    if step == "topic":
        if ctx.option and ctx.option.startswith("topic:"):
            ctx.data.update(step="lesson", topic=ctx.option[6:])
            step = "lesson"
        else:
            ctx.say(ctx.t("session.topic"), [Option(f"topic:{t.id}", t.short) for t in content.topics][:6])
            return
    if step == "lesson":
        lessons = content.lessons_by_topic.get(ctx.data["topic"], [])
        if ctx.option and ctx.option.startswith("lesson:"):
            ctx.data.update(step="minutes", lesson=ctx.option[7:])
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
        if ctx.option and ctx.option.startswith("min:"):
            minutes = int(ctx.option[4:])
        if minutes is not None and 1 <= minutes <= 600 and ctx.data.get("asked_minutes"):
            ctx.data.update(step="place", minutes=minutes)
            step = "place"
        else:
            ctx.data["asked_minutes"] = True
            ctx.say(ctx.t("session.minutes"), [Option(f"min:{m}", ctx.t("session.n_minutes", n=m)) for m in MINUTES])
            return
    if step == "place":
        if ctx.option in PLACES and ctx.data.get("asked_place"):
            ctx.data.update(step="scores", place=ctx.option, scores={}, index=0)
            step = "scores"
        else:
            ctx.data["asked_place"] = True
            ctx.say(ctx.t("session.place"), [ctx.opt(p, f"place.{p}") for p in PLACES])
            return
    await _scores(ctx, mentor, attendees)


def prog_number(text: str | None) -> int | None:
    digits = "".join(ch for ch in (text or "") if ch.isdigit())
    return int(digits) if digits and len(digits) <= 3 else None


async def _scores(ctx: Ctx, mentor, attendees: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Asks each attendee's quiz score taken together (or "bỏ qua"), then saves everything."""
    index, scores = int(ctx.data.get("index", 0)), dict(ctx.data.get("scores", {}))
    if ctx.data.get("asked_score"):
        score = prog_number(ctx.text) if ctx.option != "skip" else None
        if ctx.option != "skip" and (score is None or score > bank.QUESTIONS_PER_ATTEMPT):
            ctx.say(ctx.t("session.bad_score"), [ctx.opt("skip", "onboarding.skip")])
            return
        if score is not None:
            scores[str(attendees[index])] = score
        index += 1
        ctx.data.update(index=index, scores=scores)
    people = [await net.mentee_of(ctx.session, mentor, person) for person in attendees]
    if index < len(attendees):
        ctx.data["asked_score"] = True
        name = people[index].display_name if people[index] else "?"
        ctx.say(ctx.t("session.score", name=name, total=bank.QUESTIONS_PER_ATTEMPT), [ctx.opt("skip", "onboarding.skip")])
        return
    await save_session(ctx, mentor, [p for p in people if p is not None], scores)


async def save_session(ctx: Ctx, mentor, people, scores: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    content, data = ctx.services.content, ctx.data
    lesson = content.lessons[data["lesson"]]
    session = HelpSession(mentor_id=mentor.id, held_on=date.today(), topic_id=lesson.topic, lesson_id=lesson.id,
                          minutes=int(data["minutes"]), place=data["place"], is_group=len(people) > 1)
    ctx.session.add(session)
    await ctx.session.flush()
    passed = 0
    for person in people:
        ctx.session.add(HelpSessionAttendee(session_id=session.id, user_id=person.id,
                                            quiz_score=scores.get(str(person.id))))
        await prog.complete(ctx.session, person.id, lesson.id, lesson.topic, True)
        score = scores.get(str(person.id))
        if score is not None:
            now = datetime.now(timezone.utc)
            ok = bank.passed(score, bank.QUESTIONS_PER_ATTEMPT, ctx.settings.quiz_pass_mark)
            ctx.session.add(QuizAttempt(user_id=person.id, topic_id=lesson.topic, question_ids=[], orders=[],
                                        answers=[{"with_mentor": mentor.id}], started_at=now - timedelta(minutes=1),
                                        finished_at=now, score=score, passed=ok))
            if ok and person.has_consented and person.display_name:
                await issue_for_pass(ctx.session, ctx.settings, content, person, lesson.topic)
                passed += 1
    ctx.say(ctx.t("session.saved", n=len(people), lesson=lesson.title, passed=passed))
    ctx.history.clear()
    await ctx.replace("mentor.home")
