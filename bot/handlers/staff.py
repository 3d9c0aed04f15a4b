"""Cán bộ phường: the staff menu, mentor approvals, the network at a glance, reports in chat.

Every screen here declares the right it needs (`requires=STAFF`, `ADMIN`); the
engine checks it against the identity that sent the update before each run and
audits refusals.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.core.context import Ctx
from bot.core.flow import Router
from bot.core.messages import Attachment, Option
from bot.db.models import Tdp, User
from bot.db.network import Mentor, Mentorship
from bot.network import mentors as net
from bot.outbox.queue import enqueue
from bot.people.roles import ADMIN, ROLES, STAFF, TRUSTED_CHANNELS, grant_role, is_admin, staff_tdp_scope
from bot.questions.service import count_open
from bot.text.i18n import WARD_TZ
from bot.units.reference import tdp_number

router = Router()


@router.screen("staff.home", help="help.staff", requires=STAFF)
async def staff_home(ctx: Ctx) -> None:
    targets = {"broadcast": "broadcast.compose", "broadcasts": "broadcast.list", "report": "staff.report",
               "mentors": "staff.mentors", "network": "staff.network", "questions": "staff.questions"}
    if ctx.option in targets:
        await ctx.go(targets[ctx.option])
        return
    pending = await ctx.session.scalar(select(func.count()).select_from(Mentor).where(Mentor.status == "pending"))
    waiting = await count_open(ctx.session, tdp_id=staff_tdp_scope(ctx.identity))
    options = [ctx.opt("broadcasts", "staff.broadcasts"), ctx.opt("questions", "staff.questions", n=waiting),
               ctx.opt("mentors", "staff.mentors", n=pending or 0), ctx.opt("network", "staff.network"),
               ctx.opt("report", "staff.report"), ctx.opt("menu", "menu.back_to_menu")]
    ctx.say(ctx.t("staff.title", pending=pending or 0), options)


@router.screen("staff.roles", help="help.staff_roles", free_text=True, requires=ADMIN)
async def roles(ctx: Ctx) -> None:
    """Admins give roles in chat: "telegram:123456 staff" or "zalo:abc tdp-leader 5"."""
    if ctx.entering or not ctx.text:
        ctx.say(ctx.t("staff.roles_ask"), [ctx.opt("back", "nav.back")])
        return
    parts = ctx.text.split()
    channel, _, external = parts[0].partition(":") if parts else ("", "", "")
    role = parts[1].lower() if len(parts) > 1 else ""
    number = tdp_number(" ".join(parts[2:])) if len(parts) > 2 else None
    if channel not in TRUSTED_CHANNELS or not external or role not in ROLES or (role == "tdp-leader" and number is None):
        ctx.say(ctx.t("staff.roles_bad"), [ctx.opt("back", "nav.back")])
        return
    scope = None
    if role == "tdp-leader":
        scope = await ctx.session.scalar(select(Tdp.id).where(Tdp.ward_id == ctx.user.ward_id, Tdp.number == number)) \
            if ctx.user.ward_id else await ctx.session.scalar(select(Tdp.id).where(Tdp.number == number))
        if scope is None:
            ctx.say(ctx.t("onboarding.tdp_not_found"), [ctx.opt("back", "nav.back")])
            return
    await grant_role(ctx.session, ctx.actor, channel, external, role, scope)
    ctx.say(ctx.t("staff.roles_done", who=f"{channel}:{external}", role=role), [ctx.opt("back", "nav.back")])


@router.screen("staff.mentors", help="help.staff", requires=STAFF)
async def mentor_applications(ctx: Ctx) -> None:
    if ctx.option == "code":
        code = await net.new_approval_code(ctx.session, ctx.actor)
        ctx.say(ctx.t("staff.approval_code", code=code))
    elif (decided := ctx.chosen_id("y") or ctx.chosen_id("n")) is not None:
        mentor = await ctx.session.get(Mentor, decided)
        scope = staff_tdp_scope(ctx.identity)
        if mentor is not None and mentor.status == "pending" and scope in (None, mentor.tdp_id):
            approve = ctx.chosen_id("y") is not None
            await net.decide(ctx.session, mentor, approve, ctx.actor)
            ctx.say(ctx.t("staff.decided", name=mentor.full_name,
                          decision=ctx.t("staff.approved" if approve else "staff.rejected")))
    query = select(Mentor).where(Mentor.status == "pending").order_by(Mentor.requested_at).limit(2)
    if staff_tdp_scope(ctx.identity) is not None:
        query = query.where(Mentor.tdp_id == staff_tdp_scope(ctx.identity))
    pending = list(await ctx.session.scalars(query))
    options: list[Option] = []
    lines = [ctx.t("staff.pending_title") if pending else ctx.t("staff.no_pending")]
    for mentor in pending:
        tdp = await ctx.session.get(Tdp, mentor.tdp_id) if mentor.tdp_id else None
        lines.append(f"#{mentor.id} {mentor.full_name} – {ctx.t(f'org.{mentor.organisation}')}"
                     + (f" – {tdp.name}" if tdp else ""))
        options += [Option(f"y:{mentor.id}", ctx.t("staff.approve", name=mentor.full_name)),
                    Option(f"n:{mentor.id}", ctx.t("staff.reject", name=mentor.full_name))]
    ctx.say("\n".join(lines), options + [ctx.opt("code", "staff.make_code"), ctx.opt("back", "nav.back")])


@router.screen("staff.network", help="help.staff", requires=STAFF)
async def network(ctx: Ctx) -> None:
    """Mentors per TDP and below target, learners without a mentor, pairs per organisation; assign one."""
    if ctx.option == "roles" and is_admin(ctx.identity, ctx.settings):
        await ctx.go("staff.roles")
        return
    scope = staff_tdp_scope(ctx.identity)
    if (learner_id := ctx.chosen_id("assign")) is not None:
        learner = await ctx.session.get(User, learner_id)
        team = await net.team_of_tdp(ctx.session, learner.tdp_id if learner else None,
                                     exclude_user=learner.id if learner else None)
        if learner is not None and scope not in (None, learner.tdp_id):
            learner = None
        if learner is not None and team and await net.active_pairing(ctx.session, learner.id) is None:
            counts = await net.active_counts(ctx.session, [m.id for m in team])
            mentor = min(team, key=lambda m: counts[m.id])
            await net.pair(ctx.session, mentor, learner, "staff")
            await enqueue(ctx.session, mentor.user_id, ctx.t("mentor.new_mentee", name=learner.display_name or "?"),
                          about=learner.id)
            ctx.audit("mentor.assign", target=f"user#{learner.id}", detail=f"mentor#{mentor.id}")
            ctx.say(ctx.t("staff.assigned", learner=learner.display_name or "?", mentor=mentor.full_name))
    mentors = select(Mentor).where(Mentor.status == "approved")
    if scope is not None:
        mentors = mentors.where(Mentor.tdp_id == scope)
    rows = list(await ctx.session.scalars(mentors))
    target = ctx.settings.mentor_target
    counts = await net.active_counts(ctx.session, [m.id for m in rows])
    below = [m for m in rows if counts[m.id] < target]
    orgs: dict[str, int] = {}
    for mentor in rows:
        orgs[mentor.organisation] = orgs.get(mentor.organisation, 0) + counts[mentor.id]
    unpaired = (select(User).where(User.role == "learner", User.consent_at.is_not(None),
                                   User.merged_into_id.is_(None), User.tdp_id.is_not(None),
                                   ~select(Mentorship.id).where(Mentorship.mentee_id == User.id,
                                                                Mentorship.ended_at.is_(None)).exists())
                .order_by(User.created_at))
    if scope is not None:
        unpaired = unpaired.where(User.tdp_id == scope)
    learners = list(await ctx.session.scalars(unpaired.limit(4)))
    total_unpaired = await ctx.session.scalar(select(func.count()).select_from(unpaired.subquery()))
    lines = [ctx.t("staff.network_title", mentors=len(rows), below=len(below), target=target,
                   unpaired=total_unpaired or 0)]
    lines += [f"• {ctx.t(f'org.{org}')}: {n}" for org, n in sorted(orgs.items())]
    options = [Option(f"assign:{u.id}", ctx.t("staff.assign", name=u.display_name or f"#{u.id}")) for u in learners]
    if is_admin(ctx.identity, ctx.settings):  # giving roles belongs with the people of the network
        options.append(ctx.opt("roles", "staff.roles"))
    ctx.say("\n".join(lines), options + [ctx.opt("back", "nav.back")])


@router.screen("staff.report", help="help.staff", requires=STAFF)
async def report(ctx: Ctx) -> None:
    now = datetime.now(WARD_TZ)
    choices = {"quarter": ("quarterly", (now.month - 1) // 3 + 1, None), "month": ("monthly", None, now.month),
               "year": ("annual", None, None)}
    if ctx.option in choices:
        from bot.reports.service import build_report

        kind, quarter, month = choices[ctx.option]
        files = await build_report(ctx.services.db, ctx.settings, kind, now.year, quarter, month,
                                   out_dir=ctx.services.files_dir)
        ctx.audit("report.export", target=files.xlsx.name)
        ctx.say(files.summary, screen="report",
                document=Attachment(files.xlsx, files.xlsx.name, "application/vnd.openxmlformats-officedocument"
                                                                  ".spreadsheetml.sheet"),
                image=Attachment(files.chart_png, files.chart_png.name, "image/png"))
    ctx.say(ctx.t("staff.report_choose"), [ctx.opt("quarter", "staff.this_quarter"), ctx.opt("month", "staff.this_month"),
                                           ctx.opt("year", "staff.this_year"), ctx.opt("back", "nav.back")])


router.menu_entry(1, "staff", "menu.staff", "staff.home")
