"""A mentor records help given — one person at home, or a group class ("buổi hướng dẫn"): who came →
topic → lesson → minutes → place, then saved. One screen per step, so "quay lại" goes back one step.

A session records attendance and the lesson taught; it never gives a quiz result or a certificate by
itself (a certificate needs the quiz, taken in chat or with the mentor entering each answer).
"""

from __future__ import annotations

from datetime import date

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Option
from bot.db.network import PLACES, HelpSession, HelpSessionAttendee
from bot.handlers.mentor import _mentor, core_lesson_counts
from bot.lessons import progress as prog
from bot.network import mentors as net
from bot.people.roles import MENTOR

router = Router()

MINUTES = (15, 30, 45, 60, 90)
PICK_PAGE = 3
"""People per screen when ticking who came: with "all", "more" and "done", six choices at most."""


@router.screen("mentor.session", help="help.mentor_session", requires=MENTOR)
async def attendees(ctx: Ctx) -> None:
    """Who came: a tap ticks a person, a second tap unticks them, page by page."""
    mentor = await _mentor(ctx)
    rows = await net.mentee_rows(ctx.session, mentor, core_lesson_counts(ctx))
    came: list[int] = list(ctx.data.get("attendees", []))
    page = int(ctx.data.get("page", 0))
    if (person := ctx.chosen_id("m")) is not None:
        came = [a for a in came if a != person] if person in came else came + [person]
    elif ctx.option == "all":
        everyone = [row.user_id for row in rows]
        came = [] if set(everyone) <= set(came) else everyone
    elif ctx.option == "more":
        page = page + 1 if (page + 1) * PICK_PAGE < len(rows) else 0
    elif ctx.option == "done" and came:
        await ctx.go("mentor.session_topic", attendees=came)
        return
    ctx.data.update(attendees=came, page=page)
    shown = rows[page * PICK_PAGE:(page + 1) * PICK_PAGE]
    options = [Option(f"m:{row.user_id}", ("☑ " if row.user_id in came else "☐ ") + row.name) for row in shown]
    if len(rows) > PICK_PAGE:
        options.append(ctx.opt("more", "menu.more"))
    ctx.say(ctx.t("session.pick", n=len(came)), [ctx.opt("all", "session.all"), *options, ctx.opt("done", "session.done")])


@router.screen("mentor.session_topic", help="help.mentor_session", requires=MENTOR, needs=("attendees",))
async def topic(ctx: Ctx) -> None:
    content = ctx.services.content
    if (topic_id := ctx.chosen("topic")) in content.lessons_by_topic:
        await ctx.go("mentor.session_lesson", **ctx.data, topic=topic_id)
        return
    ctx.say(ctx.t("session.topic"), [Option(f"topic:{t.id}", t.short) for t in content.topics][:5]
            + [ctx.opt("back", "nav.back")])


@router.screen("mentor.session_lesson", help="help.mentor_session", free_text=True, requires=MENTOR,
               needs=("attendees", "topic"))
async def lesson(ctx: Ctx) -> None:
    content = ctx.services.content
    lessons = content.lessons_by_topic.get(ctx.data.get("topic", ""), [])
    chosen = ctx.chosen("lesson")
    number = small_number(ctx.text) if ctx.text else None
    if chosen is None and number is not None and 1 <= number <= len(lessons):
        chosen = lessons[number - 1].id
    if chosen in {item.id for item in lessons}:
        await ctx.go("mentor.session_minutes", **ctx.data, lesson=chosen)
        return
    listing = "\n".join(f"{n}. {item.title}" for n, item in enumerate(lessons, 1))
    ctx.say(ctx.t("session.lesson") + "\n" + listing,
            [Option(f"lesson:{item.id}", item.title) for item in lessons][:5] + [ctx.opt("back", "nav.back")])


@router.screen("mentor.session_minutes", help="help.mentor_session", free_text=True, requires=MENTOR,
               needs=("attendees", "lesson"))
async def minutes(ctx: Ctx) -> None:
    typed = small_number(ctx.text) if ctx.text and not ctx.option else None
    spent = ctx.chosen_id("min") or typed
    if not ctx.entering and spent is not None and 1 <= spent <= 600:
        await ctx.go("mentor.session_place", **ctx.data, minutes=spent)
        return
    ctx.say(ctx.t("session.minutes"), [Option(f"min:{m}", ctx.t("session.n_minutes", n=m)) for m in MINUTES]
            + [ctx.opt("back", "nav.back")])


@router.screen("mentor.session_place", help="help.mentor_session", requires=MENTOR,
               needs=("attendees", "lesson", "minutes"))
async def place(ctx: Ctx) -> None:
    if ctx.option in PLACES:
        mentor = await _mentor(ctx)
        people = [await net.mentee_of(ctx.session, mentor, person) for person in ctx.data.get("attendees", [])]
        await save_session(ctx, mentor, [p for p in people if p is not None], ctx.option)
        return
    ctx.say(ctx.t("session.place"), [ctx.opt(p, f"place.{p}") for p in PLACES][:5] + [ctx.opt("back", "nav.back")])


def small_number(text: str | None) -> int | None:
    """The number in "30 phút" or "bài 2" (up to three digits)."""
    digits = "".join(ch for ch in (text or "") if ch.isdecimal())
    return int(digits) if digits and len(digits) <= 3 else None


async def save_session(ctx: Ctx, mentor, people, where: str) -> None:
    """Attendance and the lesson taught, for each person who came; no quiz result, no certificate."""
    taught = ctx.services.content.lessons[ctx.data["lesson"]]
    record = HelpSession(mentor_id=mentor.id, held_on=date.today(), topic_id=taught.topic, lesson_id=taught.id,
                         minutes=int(ctx.data["minutes"]), place=where, is_group=len(people) > 1)
    ctx.session.add(record)
    await ctx.session.flush()
    for person in people:
        ctx.session.add(HelpSessionAttendee(session_id=record.id, user_id=person.id))
        await prog.complete(ctx.session, person.id, taught.id, taught.topic, True)
    ctx.say(ctx.t("session.saved", n=len(people), lesson=taught.title))
    ctx.history.clear()
    await ctx.replace("mentor.home")
