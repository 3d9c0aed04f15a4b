"""Đại sứ số: apply to be a mentor; for approved mentors, the mentee list, invites, offline mentees.

A mentor's work reaches other people, so it belongs to the Telegram or Zalo
account that applied (`requires=MENTOR`), never to a linked web-chat visitor.
"""

from __future__ import annotations

import secrets

import segno

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Attachment, Option
from bot.db.network import ORGANISATIONS, Mentor
from bot.network import mentors as net
from bot.outbox.queue import enqueue
from bot.people import codes
from bot.people.folders import person_folder
from bot.people.names import MAX_NAME, clean_name, refusal_key
from bot.people.roles import CHAT_ACCOUNT, MENTOR, approved_mentor_of, is_staff
from bot.text.i18n import format_short_day

router = Router()

PAGE = 4
"""Mentees per screen: with "more" and "back", six choices at most."""


async def _mentor(ctx: Ctx) -> Mentor:
    """The speaking identity's mentor record (the screen requires MENTOR, checked in this transaction)."""
    mentor = await approved_mentor_of(ctx.session, ctx.identity)
    assert mentor is not None, "a mentor screen runs only for an approved mentor"
    return mentor


async def not_mentor(ctx: Ctx) -> bool:
    return not await ctx.holds(MENTOR)


def core_lesson_counts(ctx: Ctx) -> dict[str, int]:
    content = ctx.services.content
    return {t.id: len(content.lessons_by_topic.get(t.id, [])) for t in content.core_topics}


@router.screen("mentor.apply", help="help.mentor_apply", free_text=True, requires=CHAT_ACCOUNT)
async def apply(ctx: Ctx) -> None:
    existing = await net.mentor_of_user(ctx.session, ctx.identity.id)
    if ctx.entering:
        if existing is not None and existing.status == "pending":
            ctx.say(ctx.t("mentor.pending"), [ctx.opt("menu", "menu.back_to_menu")])
            return
        if not ctx.user.has_consented:
            ctx.say(ctx.t("mentor.needs_consent"), [ctx.opt("menu", "menu.back_to_menu")])
            return
        ctx.say(ctx.t("mentor.apply_intro"), [ctx.opt("menu", "menu.back_to_menu")])
        return
    if "name" not in ctx.data:
        name = clean_name(ctx.text)
        if name is None:
            ctx.say(ctx.t(refusal_key(ctx.text), limit=MAX_NAME), [ctx.opt("menu", "menu.back_to_menu")])
            return
        ctx.data["name"] = name
        ctx.say(ctx.t("mentor.ask_org"), [ctx.opt(org, f"org.{org}") for org in ORGANISATIONS])
        return
    if ctx.option not in ORGANISATIONS:
        ctx.say(ctx.t("mentor.ask_org"), [ctx.opt(org, f"org.{org}") for org in ORGANISATIONS])
        return
    mentor = await net.request_mentor(ctx.session, ctx.identity, ctx.data["name"], ctx.option, ctx.user.tdp_id)
    if ctx.memory.pop("approval_code", False):  # a one-time code from staff approves at once
        await net.decide(ctx.session, mentor, True, ctx.actor, tell=False)
        await ctx.home(ctx.t("mentor.approved_you"))
        return
    await _tell_staff(ctx, mentor)
    ctx.say(ctx.t("mentor.applied"))
    await ctx.home()


async def _tell_staff(ctx: Ctx, mentor: Mentor) -> None:
    from sqlalchemy import select

    from bot.db.models import User

    staff = await ctx.session.scalars(select(User).where(User.role.in_(("admin", "staff", "tdp-leader"))))
    for person in staff:
        if is_staff(person, ctx.settings) and person.scope_tdp_id in (None, mentor.tdp_id):
            await enqueue(ctx.session, person.id, ctx.t("mentor.staff_alert", name=mentor.full_name, id=mentor.id,
                                                        org=ctx.t(f"org.{mentor.organisation}")), about=ctx.user.id)


@router.screen("mentor.home", help="help.mentor_home", requires=MENTOR)
async def home(ctx: Ctx) -> None:
    mentor = await _mentor(ctx)
    targets = {"invite": "mentor.invite", "offline": "mentor.offline", "session": "mentor.session",
               "requests": "mentor.requests", "mentees": "mentor.mentees"}
    if ctx.option in targets:
        await ctx.go(targets[ctx.option])
        return
    content = ctx.services.content
    rows = await net.mentee_rows(ctx.session, mentor, core_lesson_counts(ctx),
                                 {t.id: len(content.lessons_by_topic.get(t.id, [])) for t in content.topics})
    target = ctx.settings.mentor_target
    missing = max(0, target - len(rows))
    lines = [ctx.t("mentor.count", n=len(rows), target=target) +
             (ctx.t("mentor.need_more", missing=missing) if missing else " ✓")]
    total = len(core_lesson_counts(ctx))
    for row in rows:
        seen = format_short_day(row.last_active, ctx.lang) if row.last_active else "–"
        flag = " ⚠️" + ctx.t("mentor.stuck") if row.stuck else ""
        offline = " " + ctx.t("mentor.offline_mark") if row.offline else ""
        stamps = [topic.short for topic_id in row.stamps if (topic := content.topic(topic_id)) is not None]
        lines.append(ctx.t("mentor.row", name=row.name, offline=offline, done=row.topics_done, total=total,
                           certs=row.certificates, seen=seen) + flag
                     + (ctx.t("mentor.row_stamps", stamps=", ".join(stamps)) if stamps else ""))
    options = [ctx.opt("mentees", "mentor.mentees_btn")] if rows else []
    options += [ctx.opt("invite", "mentor.invite_btn"), ctx.opt("offline", "mentor.offline_btn"),
                ctx.opt("session", "mentor.session_btn"), ctx.opt("requests", "mentor.requests_btn")]
    ctx.say("\n".join(lines), options + [ctx.opt("menu", "menu.back_to_menu")])


@router.screen("mentor.mentees", help="help.mentor_home", requires=MENTOR)
async def mentees(ctx: Ctx) -> None:
    mentor = await _mentor(ctx)
    if (mentee_id := ctx.chosen_id("mentee")) is not None:
        await ctx.go("mentor.mentee", mentee=mentee_id)
        return
    rows = await net.mentee_rows(ctx.session, mentor, core_lesson_counts(ctx))
    page = int(ctx.data.get("page", 0)) + (1 if ctx.option == "more" else 0)
    if page * PAGE >= len(rows):
        page = 0
    ctx.data["page"] = page
    options = [Option(f"mentee:{row.user_id}", row.name + (" ⚠️" if row.stuck else ""))
               for row in rows[page * PAGE:(page + 1) * PAGE]]
    if len(rows) > PAGE:
        options.append(ctx.opt("more", "menu.more"))
    ctx.say(ctx.t("mentor.choose_mentee"), options + [ctx.opt("back", "nav.back")])


@router.screen("mentor.invite", help="help.mentor_invite", requires=MENTOR)
async def invite(ctx: Ctx) -> None:
    """A fresh single-use code (and Telegram link, QR) each time: one invitation for one person."""
    mentor = await _mentor(ctx)
    if ctx.option == "rotate":
        ctx.say(ctx.t("mentor.rotated"))
    code = await net.new_invite(ctx.session, mentor)
    link = invite_link(ctx, code)
    text = ctx.t("mentor.invite_text", code=codes.shown(code))
    image = None
    if link:
        text += "\n" + ctx.t("mentor.invite_link", link=link)
        image = invite_qr(ctx, link)
    ctx.say(text, [ctx.opt("rotate", "mentor.rotate"), ctx.opt("back", "nav.back")], image=image)


def invite_qr(ctx: Ctx, link: str) -> Attachment:
    """A QR code of the invite link: the person scans it with the phone camera and lands in the bot.
    Kept in the mentor's own folder, so it goes when they do."""
    folder = person_folder(ctx.services.files_dir, ctx.settings.signing_key, ctx.user.id)
    path = folder / f"invite-{secrets.token_urlsafe(12)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    segno.make(link, error="m").save(str(path), kind="png", scale=8, border=2)
    return Attachment(path, "ma-moi.png", "image/png")


def invite_link(ctx: Ctx, code: str) -> str | None:
    username = ctx.services.extras.get("telegram_username")
    return f"https://t.me/{username}?start=m_{code}" if username else None


router.menu_entry(3, "mentor", "menu.mentor", "mentor.home")
router.menu_entry(70, "become_mentor", "menu.become_mentor", "mentor.apply", visible=not_mentor)
